//! A client's connection for C: connecting (with a URL or settings), closing, freeing,
//! and the client id the server gave it.

use std::ffi::c_char;

use ::lhttp_client::BlockingClient;

use crate::boundary::{guard, guard_or, null, object, write};
use crate::result::{fail, lhttp_result};

use super::{lhttp_client, lhttp_config, millis, url_text};

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
        unsafe { write(out, Box::into_raw(Box::new(lhttp_client::new(inner)))) }
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
        unsafe { write(out, Box::into_raw(Box::new(lhttp_client::new(inner)))) }
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
        unsafe { crate::boundary::copy_out(&id, buf.cast(), len, out_n) }
    })
}
