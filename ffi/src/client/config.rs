//! Connection settings for C: `lhttp_config_new`, the setters and `lhttp_config_free`,
//! used by `lhttp_client_connect_config`.

use std::ffi::c_char;

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
