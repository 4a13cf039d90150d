//! Publishing through the server's HTTP endpoint (`POST /publish`), for C programs
//! that publish without holding a WebSocket.

use std::ffi::c_char;

use crate::boundary::{array, bytes, guard, text};
use crate::result::{fail, lhttp_result};
use crate::types::lhttp_header;

use super::{channel_list, owned_headers, report_deliveries, url_text};

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
        unsafe { report_deliveries(out_deliveries, n) }
    })
}
