//! The accessors of a message's command, headers and body, including the built-in
//! headers read through the codec (channels of `subscribe`/`publish`, `upstream`).

use std::ffi::c_char;

use crate::boundary::{guard, guard_or, object, write};
use crate::result::{fail_core, lhttp_result};
use crate::types::{lhttp_bytes, lhttp_header, lhttp_str};

use super::{answer, answer_named, lhttp_message};

/// Writes a view of the command to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_command(msg: *const lhttp_message, out: *mut lhttp_str) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe { answer(msg, out, |m| Ok(lhttp_str::of(m.slice(&m.fields.command)))) }
}

/// The number of headers; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_header_count(msg: *const lhttp_message) -> usize {
    // SAFETY: a live message from this library, or NULL.
    guard_or(0, || unsafe { msg.as_ref() }.map_or(0, |m| m.fields.headers.len()))
}

/// Writes header number `index` (from 0, in the order sent) to `*out`;
/// `LHTTP_RESULT_OUT_OF_RANGE` past the last.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_header(
    msg: *const lhttp_message,
    index: usize,
    out: *mut lhttp_header,
) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe {
        answer(msg, out, |m| {
            let h = m.fields.headers.get(index).ok_or(lhttp_result::OutOfRange)?;
            Ok(m.header_out(h))
        })
    }
}

/// Writes the value of the first header called `name[..name_len]` (ASCII
/// case-insensitive) to `*out`; `LHTTP_RESULT_NOT_FOUND` when there is none.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_header_by_name(
    msg: *const lhttp_message,
    name: *const c_char,
    name_len: usize,
    out: *mut lhttp_str,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    unsafe {
        answer_named(msg, name, name_len, out, |m, name| {
            m.with_view(|v| v.header(name).map(str::as_bytes).map(lhttp_str::of))
                .ok_or(lhttp_result::NotFound)
        })
    }
}

/// Writes a view of the body to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_body(msg: *const lhttp_message, out: *mut lhttp_bytes) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe { answer(msg, out, |m| Ok(lhttp_bytes::of(m.slice(&m.fields.body)))) }
}

/// Writes the number of channels listed in every header called `name[..name_len]`
/// (e.g. `subscribe`; values split on spaces and tabs) to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_channel_count(
    msg: *const lhttp_message,
    name: *const c_char,
    name_len: usize,
    out: *mut usize,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    unsafe {
        answer_named(msg, name, name_len, out, |m, name| {
            Ok(m.with_view(|v| v.channels(name).count()))
        })
    }
}

/// Writes channel number `index` of the headers called `name[..name_len]` to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_channel(
    msg: *const lhttp_message,
    name: *const c_char,
    name_len: usize,
    index: usize,
    out: *mut lhttp_str,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    unsafe {
        answer_named(msg, name, name_len, out, |m, name| {
            m.with_view(|v| v.channels(name).nth(index).map(|c| lhttp_str::of(c.as_bytes())))
                .ok_or(lhttp_result::OutOfRange)
        })
    }
}

/// Reads the `upstream:<METHOD> <URL>` header into `*out_method` and `*out_url`;
/// `LHTTP_RESULT_NOT_FOUND` without one, `LHTTP_RESULT_UPSTREAM` when it is malformed.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_upstream(
    msg: *const lhttp_message,
    out_method: *mut lhttp_str,
    out_url: *mut lhttp_str,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let m = unsafe { object(msg)? };
        if out_method.is_null() || out_url.is_null() {
            return Err(crate::boundary::null());
        }
        let (method, url) = m
            .with_view(|v| {
                v.upstream()
                    .map(|u| u.map(|u| (lhttp_str::of(u.method.as_bytes()), lhttp_str::of(u.url.as_bytes()))))
            })
            .ok_or(lhttp_result::NotFound)?
            .map_err(fail_core)?;
        unsafe {
            write(out_method, method)?;
            write(out_url, url)
        }
    })
}
