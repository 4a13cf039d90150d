//! Encoding for C: `lhttp_encode`, `lhttp_encode_multipart` and `lhttp_channel_list`
//! write into the caller's buffer through core and report the length needed when it
//! is too small.

use std::ffi::c_char;

use lhttp_core::{Error as CoreError, Header, PartFields};

use crate::boundary::{array, bytes, guard, out_bytes, text, write};
use crate::result::{fail_core, lhttp_result};
use crate::types::{lhttp_header, lhttp_part_fields, lhttp_str};

/// Core headers viewing the caller's; a name that is not UTF-8 is `HeaderName`,
/// a value that is not is `HeaderValue`.
///
/// # Safety
/// Each header's views must be valid for their lengths.
unsafe fn core_headers<'a>(headers: &'a [lhttp_header]) -> Result<Vec<Header<'a>>, lhttp_result> {
    headers
        .iter()
        .map(|h| {
            // SAFETY: per the caller.
            let name = unsafe { text(h.name.data.cast(), h.name.len, lhttp_result::HeaderName)? };
            let value = unsafe { text(h.value.data.cast(), h.value.len, lhttp_result::HeaderValue)? };
            Ok(Header { name, value })
        })
        .collect()
}

/// Runs an encoder; on `BufferTooSmall` reports `needed` through `out_n`.
///
/// # Safety
/// `out_n` as for [`write`].
unsafe fn finish(result: Result<usize, CoreError>, needed: usize, out_n: *mut usize) -> Result<(), lhttp_result> {
    match result {
        // SAFETY: per the caller.
        Ok(n) => unsafe { write(out_n, n) },
        Err(CoreError::BufferTooSmall) => {
            // SAFETY: per the caller.
            unsafe { write(out_n, needed)? };
            Err(fail_core(CoreError::BufferTooSmall))
        }
        Err(e) => Err(fail_core(e)),
    }
}

/// Encodes `LHTTP/1.0 <command>\r\n<headers>\r\n<body>` into `out[..out_len]` and
/// writes the length written to `*out_n`.
///
/// Invalid fields fail with `COMMAND`, `HEADER_NAME` or `HEADER_VALUE`. When the buffer
/// is too small the result is `LHTTP_RESULT_BUFFER_TOO_SMALL` and `*out_n` receives
/// the length needed (the one output written on failure); call with `out` NULL and
/// `out_len` 0 to learn it. Nothing is written to `out` unless the call succeeds.
#[no_mangle]
pub unsafe extern "C" fn lhttp_encode(
    command: *const c_char,
    command_len: usize,
    headers: *const lhttp_header,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
    out: *mut u8,
    out_len: usize,
    out_n: *mut usize,
) -> lhttp_result {
    guard(|| {
        if out_n.is_null() {
            return Err(crate::boundary::null());
        }
        // SAFETY: the caller's pointers, valid for their lengths.
        let command = unsafe { text(command.cast(), command_len, lhttp_result::Command)? };
        let headers = unsafe { core_headers(array(headers, headers_len)?)? };
        let body = unsafe { bytes(body, body_len)? };
        let out = unsafe { out_bytes(out, out_len)? };
        let needed = lhttp_core::encoded_len(command, &headers, body);
        let result = lhttp_core::encode(command, &headers, body, out);
        unsafe { finish(result, needed, out_n) }
    })
}

/// Encodes a multipart message: `headers`, then the `multipart` header computed by
/// the codec, then each part as `<headers>\r\n<body>`. Zero parts is
/// `LHTTP_RESULT_PART_OFFSET`; otherwise as `lhttp_encode`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_encode_multipart(
    command: *const c_char,
    command_len: usize,
    headers: *const lhttp_header,
    headers_len: usize,
    parts: *const lhttp_part_fields,
    parts_len: usize,
    out: *mut u8,
    out_len: usize,
    out_n: *mut usize,
) -> lhttp_result {
    guard(|| {
        if out_n.is_null() {
            return Err(crate::boundary::null());
        }
        // SAFETY: the caller's pointers, valid for their lengths.
        let command = unsafe { text(command.cast(), command_len, lhttp_result::Command)? };
        let headers = unsafe { core_headers(array(headers, headers_len)?)? };
        let parts = unsafe { array(parts, parts_len)? };
        let mut part_headers = Vec::with_capacity(parts.len());
        let mut bodies = Vec::with_capacity(parts.len());
        for p in parts {
            part_headers.push(unsafe { core_headers(array(p.headers, p.headers_len)?)? });
            bodies.push(unsafe { bytes(p.body, p.body_len)? });
        }
        let fields: Vec<PartFields<'_>> = part_headers
            .iter()
            .zip(&bodies)
            .map(|(h, b)| PartFields { headers: h, body: b })
            .collect();
        let out = unsafe { out_bytes(out, out_len)? };
        let needed = lhttp_core::multipart_encoded_len(command, &headers, &fields);
        let result = lhttp_core::encode_multipart(command, &headers, &fields, out);
        unsafe { finish(result, needed, out_n) }
    })
}

/// Writes `channels` as one `subscribe` / `publish` / `unsubscribe` header value (the
/// names joined by one space) into `out[..out_len]` and the length written to `*out_n`.
///
/// An empty list, or a name that is empty, holds a space, a tab or a control character
/// or is not UTF-8, is `LHTTP_RESULT_CHANNEL` (it would be read back as no channel or
/// as several). A buffer too small is `LHTTP_RESULT_BUFFER_TOO_SMALL` with the length
/// needed in `*out_n`, as for `lhttp_encode`. Nothing is written to `out` unless the
/// call succeeds.
#[no_mangle]
pub unsafe extern "C" fn lhttp_channel_list(
    channels: *const lhttp_str,
    channels_len: usize,
    out: *mut u8,
    out_len: usize,
    out_n: *mut usize,
) -> lhttp_result {
    guard(|| {
        if out_n.is_null() {
            return Err(crate::boundary::null());
        }
        // SAFETY: the caller's pointers, valid for their lengths.
        let names = unsafe { array(channels, channels_len)? };
        let names = names
            .iter()
            // SAFETY: each view valid for its length, per the caller.
            .map(|c| unsafe { text(c.data.cast(), c.len, lhttp_result::Channel) })
            .collect::<Result<Vec<&str>, lhttp_result>>()?;
        let out = unsafe { out_bytes(out, out_len)? };
        let needed = lhttp_core::channel::list_len(&names);
        let result = lhttp_core::channel::write_list(&names, out);
        unsafe { finish(result, needed, out_n) }
    })
}
