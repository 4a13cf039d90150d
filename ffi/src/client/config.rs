//! Connection settings for C: `lhttp_config_new`, the setters and `lhttp_config_free`,
//! used by `lhttp_client_connect_config`.

use std::ffi::c_char;

use ::lhttp_client::Config;

use crate::boundary::{bytes, guard, guard_or, null, write};
use crate::result::lhttp_result;

use super::{millis, url_text};

/// Connection settings, built with `lhttp_config_new` and the setters, used by
/// `lhttp_client_connect_config`, freed with `lhttp_config_free`. Not thread-safe
/// while being changed.
pub struct lhttp_config {
    pub(super) config: Config,
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
