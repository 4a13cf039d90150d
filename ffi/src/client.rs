//! The blocking client for C: connect, send, subscribe, publish and receive with
//! timeouts, plus a non-blocking poll. A thin layer over `lhttp_client::BlockingClient`.
//!
//! Threading: an `lhttp_client` may be used from several threads at once (each call
//! blocks only its own thread; a message goes to exactly one receiver). Only
//! `lhttp_client_free` must come last, once no other call on it is running.
//! A background thread owned by the client keeps the connection (pings, reconnects).

use std::ffi::c_char;
use std::time::Duration;

use ::lhttp_client::{BlockingClient, Config, Error, Message};

use crate::boundary::{array, bytes, guard, guard_or, null, object, text, write};
use crate::message::lhttp_message;
use crate::result::{fail, fail_core, lhttp_result};
use crate::types::lhttp_header;

/// `lhttp_client_recv` without a time limit.
pub const LHTTP_WAIT_FOREVER: u32 = u32::MAX;

/// Connection settings, built with `lhttp_config_new` and the setters, used by
/// `lhttp_client_connect_config`, freed with `lhttp_config_free`. Not thread-safe
/// while being changed.
pub struct lhttp_config {
    config: Config,
}

/// A connection to an lhttp server. See the module notes on threading.
pub struct lhttp_client {
    inner: BlockingClient,
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

/// The URL argument as text; not UTF-8 is `CONNECT`.
///
/// # Safety
/// `url` valid for `url_len` bytes.
unsafe fn url_text<'a>(url: *const c_char, url_len: usize) -> Result<&'a str, lhttp_result> {
    // SAFETY: per the caller.
    unsafe { text(url.cast(), url_len, lhttp_result::Connect) }
}

/// A channel list argument, `"a b c"`, split by the codec's rules.
///
/// # Safety
/// `channels` valid for `len` bytes.
unsafe fn channel_list<'a>(channels: *const c_char, len: usize) -> Result<Vec<&'a str>, lhttp_result> {
    // SAFETY: per the caller.
    let list = unsafe { text(channels.cast(), len, lhttp_result::HeaderValue)? };
    Ok(lhttp_core::channel::split(list).collect())
}

/// Creates settings for `url[..url_len]` with the defaults (no reconnect, no pings,
/// 10 s timeouts, system roots) and writes them to `*out`.
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

/// The longest wait between two reconnect attempts, in milliseconds.
#[no_mangle]
pub unsafe extern "C" fn lhttp_config_set_max_backoff_ms(config: *mut lhttp_config, ms: u32) -> lhttp_result {
    // SAFETY: forwarded.
    unsafe { set(config, |c| c.max_backoff = millis(ms)) }
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

/// Connects to `url[..url_len]` (`ws://` or `wss://`), waiting at most `timeout_ms`
/// for the connection and later for each acknowledgement, and writes the client to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_connect(
    url: *const c_char,
    url_len: usize,
    timeout_ms: u32,
    out: *mut *mut lhttp_client,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let url = unsafe { url_text(url, url_len)? };
        if out.is_null() {
            return Err(null());
        }
        let inner = BlockingClient::connect(url, millis(timeout_ms)).map_err(|e| fail(&e))?;
        unsafe { write(out, Box::into_raw(Box::new(lhttp_client { inner }))) }
    })
}

/// Connects with `config` (which stays the caller's to free) and writes the client to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_connect_config(
    config: *const lhttp_config,
    out: *mut *mut lhttp_client,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let config = unsafe { object(config)? }.config.clone();
        if out.is_null() {
            return Err(null());
        }
        let inner = BlockingClient::connect_with(config).map_err(|e| fail(&e))?;
        unsafe { write(out, Box::into_raw(Box::new(lhttp_client { inner }))) }
    })
}

/// Closes the connection (if open) and frees the client. NULL is fine. No other call
/// on this client may be running or follow.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_free(client: *mut lhttp_client) {
    guard_or((), || {
        if !client.is_null() {
            // SAFETY: from Box::into_raw here, freed once.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Closes the connection with a WebSocket close; later sends fail with `CLOSED`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_close(client: *const lhttp_client) -> lhttp_result {
    guard(|| {
        // SAFETY: a live client.
        let c = unsafe { object(client)? };
        c.inner.close().map_err(|e| fail(&e))
    })
}

/// Copies the client id the server gave this connection into `buf[..len]` (not
/// NUL-terminated) and writes its length to `*out_n`. `BUFFER_TOO_SMALL` writes the
/// length needed to `*out_n`; `NOT_FOUND` when the server sent none.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_id(
    client: *const lhttp_client,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let id = c.inner.client_id().ok_or(lhttp_result::NotFound)?;
        let out = unsafe { crate::boundary::out_bytes(buf.cast(), len)? };
        if out.len() < id.len() {
            unsafe { write(out_n, id.len())? };
            return Err(fail_core(lhttp_core::Error::BufferTooSmall));
        }
        out[..id.len()].copy_from_slice(id.as_bytes());
        unsafe { write(out_n, id.len()) }
    })
}

/// Sends one encoded LHTTP message, `msg[..len]` (e.g. from `lhttp_encode`), after
/// checking that it parses; returns once written.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_send(client: *const lhttp_client, msg: *const u8, len: usize) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let bytes = unsafe { bytes(msg, len)? };
        let parsed = Message::parse(bytes).map_err(fail_core)?;
        c.inner.send(&parsed).map_err(|e| fail(&e))
    })
}

/// Subscribes to the space-separated `channels[..channels_len]`; returns once the
/// server acknowledged. A refusal is the server's code (e.g. `TOO_MANY_SUBSCRIPTIONS`).
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_subscribe(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let list = unsafe { channel_list(channels, channels_len)? };
        c.inner.subscribe(&list).map_err(|e| fail(&e))
    })
}

/// Unsubscribes from the space-separated `channels[..channels_len]`; waits for the ack.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_unsubscribe(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let list = unsafe { channel_list(channels, channels_len)? };
        c.inner.unsubscribe(&list).map_err(|e| fail(&e))
    })
}

/// Owned header pairs from C headers; bad UTF-8 is `HEADER_NAME` / `HEADER_VALUE`.
///
/// # Safety
/// Each view valid for its length.
unsafe fn owned_headers(headers: &[lhttp_header]) -> Result<Vec<(String, String)>, lhttp_result> {
    headers
        .iter()
        .map(|h| {
            // SAFETY: per the caller.
            let name = unsafe { text(h.name.data.cast(), h.name.len, lhttp_result::HeaderName)? };
            let value = unsafe { text(h.value.data.cast(), h.value.len, lhttp_result::HeaderValue)? };
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Publishes a message with `command`, `headers` and `body` to the space-separated
/// `channels`; returns once the server acknowledged. When `out_deliveries` is not
/// NULL it receives the number of subscribers reached.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_publish(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
    command: *const c_char,
    command_len: usize,
    headers: *const lhttp_header,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
    out_deliveries: *mut u64,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers, valid for their lengths.
        let c = unsafe { object(client)? };
        let list = unsafe { channel_list(channels, channels_len)? };
        let command = unsafe { text(command.cast(), command_len, lhttp_result::Command)? };
        let headers = unsafe { owned_headers(array(headers, headers_len)?)? };
        let body = unsafe { bytes(body, body_len)? };
        let n = c
            .inner
            .publish_counted(&list, command, &headers, body)
            .map_err(|e| fail(&e))?;
        if !out_deliveries.is_null() {
            unsafe { write(out_deliveries, n)? };
        }
        Ok(())
    })
}

/// Hands a received message to C as an owned `lhttp_message`.
///
/// # Safety
/// `out` NULL or writable.
unsafe fn deliver(received: Result<Option<Message>, Error>, out: *mut *mut lhttp_message) -> Result<(), lhttp_result> {
    let msg = received.map_err(|e| fail(&e))?.ok_or(lhttp_result::WouldBlock)?;
    let bytes = msg.encode().map_err(fail_core)?;
    let owned = lhttp_message::owned(bytes, msg.headers().len()).map_err(fail_core)?;
    // SAFETY: per the caller.
    unsafe { write(out, Box::into_raw(Box::new(owned))) }
}

/// Waits at most `timeout_ms` (`LHTTP_WAIT_FOREVER`: no limit) for the next message
/// and writes it to `*out`: a message that owns its bytes, read with the
/// `lhttp_message_*` functions and freed with `lhttp_message_free`.
/// `TIMEOUT` when none came; `CLOSED` once the connection is over. Server `error`
/// replies not tied to a call arrive as messages with command `error`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_recv(
    client: *const lhttp_client,
    timeout_ms: u32,
    out: *mut *mut lhttp_message,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        if out.is_null() {
            return Err(null());
        }
        let timeout = (timeout_ms != LHTTP_WAIT_FOREVER).then(|| millis(timeout_ms));
        let received = c.inner.recv_timeout(timeout);
        unsafe { deliver(received, out) }.map_err(|r| match r {
            lhttp_result::WouldBlock => lhttp_result::Timeout,
            other => other,
        })
    })
}

/// Writes the next message to `*out` if one has already arrived; never blocks.
/// `WOULD_BLOCK` when there is none; `CLOSED` once the connection is over.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_try_recv(
    client: *const lhttp_client,
    out: *mut *mut lhttp_message,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        if out.is_null() {
            return Err(null());
        }
        unsafe { deliver(c.inner.try_recv(), out) }
    })
}

/// Publishes through the server's HTTP endpoint (`POST {url}/publish`, plain
/// `http://`, or `https://` with the system roots) without a WebSocket. `token` may
/// be NULL (with `token_len` 0) for none. `out_deliveries`, when not NULL, receives
/// the number of subscribers reached. A 401 answer is `UNAUTHORIZED`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_http_publish(
    url: *const c_char,
    url_len: usize,
    channels: *const c_char,
    channels_len: usize,
    command: *const c_char,
    command_len: usize,
    headers: *const lhttp_header,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
    token: *const c_char,
    token_len: usize,
    out_deliveries: *mut u64,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers, valid for their lengths.
        let url = unsafe { url_text(url, url_len)? };
        let list = unsafe { channel_list(channels, channels_len)? };
        let command = unsafe { text(command.cast(), command_len, lhttp_result::Command)? };
        let headers = unsafe { owned_headers(array(headers, headers_len)?)? };
        let body = unsafe { bytes(body, body_len)? };
        let token = if token.is_null() {
            None
        } else {
            Some(unsafe { text(token.cast(), token_len, lhttp_result::Unauthorized)? })
        };
        let n =
            ::lhttp_client::http_publish_blocking(url, &list, command, &headers, body, token).map_err(|e| fail(&e))?;
        if !out_deliveries.is_null() {
            unsafe { write(out_deliveries, n)? };
        }
        Ok(())
    })
}
