//! The blocking client for C: connect, send, subscribe, publish and receive with
//! timeouts, plus a non-blocking poll. A thin layer over `lhttp_client::BlockingClient`.
//!
//! Threading: an `lhttp_client` may be used from several threads at once (each call
//! blocks only its own thread; a message goes to exactly one receiver). Only
//! `lhttp_client_free` must come last, once no other call on it is running.
//! A background thread owned by the client keeps the connection (pings, reconnects).
//!
//! This file holds the client object and the argument conversions its calls share;
//! the calls are in `config` (settings), `connection` (connect, close, free, id),
//! `send` (send, subscribe, unsubscribe, publish), `receive`, `history` (position, history),
//! `presence` (presence, presence stats), `presence_event` (a received join or leave) and
//! `http_publish`.

use std::ffi::c_char;
use std::time::Duration;

use ::lhttp_client::BlockingClient;

use crate::boundary::{text, write};
use crate::result::lhttp_result;
use crate::types::lhttp_header;

// In the order include/lhttp.h lists their functions (cbindgen follows declaration
// order); the blank lines keep rustfmt from sorting them.
mod config;
mod connection;

mod send;

mod receive;

mod history;

mod presence;

mod presence_event;

mod http_publish;

pub use config::*;
pub use connection::*;
pub use history::*;
pub use http_publish::*;
pub use presence::*;
pub use presence_event::*;
pub use receive::*;
pub use send::*;

/// A connection to an lhttp server. See the module notes on threading.
pub struct lhttp_client {
    inner: BlockingClient,
    /// Recovery notices taken from the client whose channel did not fit the caller's
    /// buffer: `lhttp_client_recovery` gives them first next time, so none is lost.
    unread: std::sync::Mutex<std::collections::VecDeque<::lhttp_client::Recovery>>,
}

impl lhttp_client {
    fn new(inner: BlockingClient) -> lhttp_client {
        lhttp_client {
            inner,
            unread: std::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }
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

/// Writes the number of subscribers a publish reached to `*out_deliveries`, unless NULL.
///
/// # Safety
/// `out_deliveries` NULL or writable.
unsafe fn report_deliveries(out_deliveries: *mut u64, n: u64) -> Result<(), lhttp_result> {
    if !out_deliveries.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { write(out_deliveries, n)? };
    }
    Ok(())
}
