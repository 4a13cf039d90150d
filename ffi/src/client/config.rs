//! Connection settings for C: `lhttp_config_new`, the setters and `lhttp_config_free`,
//! used by `lhttp_client_connect_config`.

use std::ffi::{c_char, c_void};

use ::lhttp_client::Config;

use crate::boundary::{bytes, guard, guard_or, null, text, write};
use crate::result::lhttp_result;

use super::{millis, url_text};

/// Connection settings, built with `lhttp_config_new` and the setters, used by
/// `lhttp_client_connect_config`, freed with `lhttp_config_free`. Not thread-safe
/// while being changed.
pub struct lhttp_config {
    pub(super) config: Config,
}

/// Creates settings for `url[..url_len]` with the defaults (no reconnect, no pings,
/// 10 s timeouts, system roots, no origin) and writes them to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_new(
    url: *const c_char,
    url_len: usize,
    out: *mut *mut lhttp_config,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let url = unsafe { url_text(url, url_len)? };
        if out.is_null() {
            return Err(null());
        }
        let config = Box::new(lhttp_config {
            config: Config::new(url),
        });
        unsafe { write(out, Box::into_raw(config)) }
    })
}

/// Frees settings. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_free(config: *mut lhttp_config) {
    guard_or((), || {
        if !config.is_null() {
            // SAFETY: from Box::into_raw here, freed once.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// Applies `f` to the settings behind `config`.
///
/// # Safety
/// `config` NULL or live.
unsafe fn set(config: *mut lhttp_config, f: impl FnOnce(&mut Config)) -> lhttp_result {
    guard(|| {
        // SAFETY: per the caller.
        let c = unsafe { config.as_mut() }.ok_or_else(null)?;
        f(&mut c.config);
        Ok(())
    })
}

/// Reconnect with backoff after a drop and re-subscribe (`true`), or not (`false`, the default).
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_reconnect(config: *mut lhttp_config, reconnect: bool) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.reconnect = reconnect) }
}

/// Send a keep-alive ping every `ms` milliseconds; 0 (the default) sends none.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_ping_interval_ms(config: *mut lhttp_config, ms: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.ping_interval = (ms > 0).then(|| millis(ms))) }
}

/// The longest a connection attempt may take, in milliseconds.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_connect_timeout_ms(config: *mut lhttp_config, ms: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.connect_timeout = millis(ms)) }
}

/// How long subscribe / unsubscribe / publish wait for the server's acknowledgement.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_request_timeout_ms(config: *mut lhttp_config, ms: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.request_timeout = millis(ms)) }
}

/// The longest wait between two reconnect attempts, in milliseconds (default 20000).
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_max_backoff_ms(config: *mut lhttp_config, ms: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.max_backoff = millis(ms)) }
}

/// The first wait before reconnecting, in milliseconds, doubled after each failed
/// attempt (default 500).
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_initial_backoff_ms(config: *mut lhttp_config, ms: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.initial_backoff = millis(ms)) }
}

/// Stops reconnecting after `attempts` failed attempts in a row; 0 (the default)
/// never stops.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_max_attempts(config: *mut lhttp_config, attempts: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.max_attempts = (attempts > 0).then_some(attempts)) }
}

/// The most received messages kept until `lhttp_client_recv` takes them (default
/// 10000, at least 1). While that many wait, the client stops reading the socket
/// instead of dropping any (acknowledgements wait too).
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_max_buffered(config: *mut lhttp_config, messages: usize) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.max_buffered = messages.max(1)) }
}

/// Sends `origin[..origin_len]` as the handshake's `Origin` header, as a browser
/// page would; NULL (with length 0) sends none, the default. A server that does
/// not allow that origin refuses the connection: `CONNECT`, and `lhttp_last_error`
/// says `HTTP 403: OriginNotAllowed: ...`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_origin(
    config: *mut lhttp_config,
    origin: *const c_char,
    origin_len: usize,
) -> lhttp_result {
    guard(|| {
        let origin = if origin.is_null() {
            None
        } else {
            // SAFETY: the caller's pointer, valid for `origin_len` bytes.
            Some(unsafe { text(origin.cast(), origin_len, lhttp_result::Connect)? }.to_owned())
        };
        // SAFETY: the caller's pointer.
        let c = unsafe { config.as_mut() }.ok_or_else(null)?;
        c.config.origin = origin;
        Ok(())
    })
}

/// Trusts the certificate authorities in `pem[..pem_len]` for `wss://`, besides the
/// system's roots. The bytes are copied.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_ca_pem(
    config: *mut lhttp_config,
    pem: *const u8,
    pem_len: usize,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let pem = unsafe { bytes(pem, pem_len)? }.to_vec();
        let c = unsafe { config.as_mut() }.ok_or_else(null)?;
        c.config.ca_pem = Some(pem);
        Ok(())
    })
}

/// Sends the connection token `token[..token_len]` (spec 14: a JWT the application's
/// backend signed) in `connect` on every connection; NULL (with length 0) sends none, the
/// default. The bytes are copied; liblhttp never logs a token nor puts it in
/// `lhttp_last_error`. Not UTF-8: `HEADER_VALUE`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_token(
    config: *mut lhttp_config,
    token: *const c_char,
    token_len: usize,
) -> lhttp_result {
    guard(|| {
        let token = if token.is_null() {
            None
        } else {
            // SAFETY: the caller's pointer, valid for `token_len` bytes.
            Some(unsafe { text(token.cast(), token_len, lhttp_result::HeaderValue)? }.into())
        };
        // SAFETY: the caller's pointer.
        let c = unsafe { config.as_mut() }.ok_or_else(null)?;
        c.config.token = token;
        Ok(())
    })
}

/// Gets a connection token: writes it to `buf[..buf_len]` (no NUL needed), sets
/// `*out_len` to its length and returns `LHTTP_RESULT_OK`; or returns
/// `LHTTP_RESULT_BUFFER_TOO_SMALL` with `*out_len` the length it needs (it is called
/// again once with a buffer that large); any other code: no token (that attempt fails
/// with `IO`). Called on connect, on a reconnect whose token is no longer good and
/// before the token expires (the session decides when), on a thread of liblhttp's,
/// where it may block (e.g. on an HTTP request to the application's backend).
pub type lhttp_token_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> lhttp_result,
>;

/// Gets the subscription token of `channel[..channel_len]` (not NUL-terminated), as
/// `lhttp_token_fn` does; `*out_len` 0 with `LHTTP_RESULT_OK`: the channel needs none.
/// Called before the channel is subscribed, again on reconnect and before the token
/// expires, on a thread of liblhttp's; calls for different channels may run at once.
pub type lhttp_subscription_token_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        channel: *const c_char,
        channel_len: usize,
        buf: *mut c_char,
        buf_len: usize,
        out_len: *mut usize,
    ) -> lhttp_result,
>;

/// The application's pointer, handed back to its callback on liblhttp's threads: the
/// application promises (`lhttp_config_set_token_callback`) that this is safe.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: see `lhttp_config_set_token_callback`: the caller makes `user_data` usable
// from any thread for as long as a client made with the settings lives.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    /// The pointer (a method, so that closures capture the whole `Send` value).
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// The first buffer a token callback gets; a larger one follows `BUFFER_TOO_SMALL`.
const TOKEN_BUF: usize = 4096;

/// Runs `call(buf, len, &mut out_len)` on a blocking thread: the token, `None` for
/// an empty answer, or the client's `Io` error (never the token's bytes).
async fn run_callback(
    call: impl Fn(*mut c_char, usize, *mut usize) -> lhttp_result + Send + 'static,
) -> Result<Option<String>, ::lhttp_client::Error> {
    let io = |why: String| ::lhttp_client::Error::Io(why);
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; TOKEN_BUF];
        for _ in 0..2 {
            let mut out_len = 0usize;
            let r = call(buf.as_mut_ptr().cast(), buf.len(), &mut out_len);
            match r {
                lhttp_result::Ok if out_len <= buf.len() => {
                    let token = std::str::from_utf8(&buf[..out_len])
                        .map(|t| (!t.is_empty()).then(|| t.to_owned()))
                        .map_err(|_| io("the token callback gave a token that is not UTF-8".into()));
                    buf.fill(0); // a secret: not left behind in freed memory
                    return token;
                }
                lhttp_result::BufferTooSmall if out_len > buf.len() => {
                    buf.fill(0);
                    buf = vec![0u8; out_len];
                }
                r => {
                    buf.fill(0);
                    return Err(io(format!("the token callback returned {}", crate::result::name(r))));
                }
            }
        }
        buf.fill(0);
        Err(io("the token callback asked for a larger buffer twice".into()))
    })
    .await
    .map_err(|_| io("the token callback did not finish".into()))?
}

/// Gets connection tokens from `callback(user_data, ...)` (see `lhttp_token_fn`); NULL
/// removes the callback. `user_data` is handed back as it is, from liblhttp's threads:
/// it must stay valid, and be safe to use from another thread, for as long as any client
/// connected with these settings lives (until `lhttp_client_free`).
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_token_callback(
    config: *mut lhttp_config,
    callback: lhttp_token_fn,
    user_data: *mut c_void,
) -> lhttp_result {
    let user = UserData(user_data);
    let cb = callback.map(|f| {
        ::lhttp_client::TokenCallback::new(move || async move {
            let user = user;
            // SAFETY: the caller's callback and pointer, per this function's contract.
            let token = run_callback(move |buf, len, out| unsafe { f(user.get(), buf, len, out) }).await?;
            token.ok_or_else(|| ::lhttp_client::Error::Io("the token callback gave an empty token".into()))
        })
    });
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.token_callback = cb) }
}

/// Gets subscription tokens from `callback(user_data, channel, ...)` (see
/// `lhttp_subscription_token_fn`); NULL removes the callback. With one set, each
/// subscribe first asks it for each of its channels. `user_data` as for
/// `lhttp_config_set_token_callback`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_subscription_token_callback(
    config: *mut lhttp_config,
    callback: lhttp_subscription_token_fn,
    user_data: *mut c_void,
) -> lhttp_result {
    let user = UserData(user_data);
    let cb = callback.map(|f| {
        ::lhttp_client::SubscriptionTokenCallback::new(move |channel: String| async move {
            let user = user;
            // SAFETY: the caller's callback and pointer, per this function's contract;
            // `channel` lives in the closure for the call.
            run_callback(move |buf, len, out| unsafe {
                f(user.get(), channel.as_ptr().cast(), channel.len(), buf, len, out)
            })
            .await
        })
    });
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.subscription_token_callback = cb) }
}
