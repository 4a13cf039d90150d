//! The accessors of a multipart message's parts: their count, offsets, headers and
//! bodies. Splitting errors surface here, not at parse time.

use std::ffi::c_char;

use lhttp_core::PartMessage;

use crate::result::lhttp_result;
use crate::types::{lhttp_bytes, lhttp_header, lhttp_part, lhttp_str};

use super::{answer, answer_named, lhttp_message};

/// Writes the number of multipart parts to `*out` (0 without a `multipart` header).
/// Fails with the codec's error when the offsets or a part are invalid
/// (`PART_OFFSET`, `PART`, `TOO_MANY_PARTS`, ...).
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_count(msg: *const lhttp_message, out: *mut usize) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe { answer(msg, out, |m| Ok(m.parts()?.len())) }
}

/// Writes the offsets of part `index` (into the message BODY) to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part(
    msg: *const lhttp_message,
    index: usize,
    out: *mut lhttp_part,
) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe {
        answer(msg, out, |m| {
            let p = m.part(index)?.part;
            Ok(lhttp_part {
                start: p.start,
                len: p.len,
                body_start: p.body_start,
            })
        })
    }
}

/// Writes the number of headers of part `index` to `*out`; fails with the codec's
/// error when that part's headers cannot be read (e.g. `TOO_MANY_HEADERS`).
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_header_count(
    msg: *const lhttp_message,
    index: usize,
    out: *mut usize,
) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe { answer(msg, out, |m| Ok(m.part_headers(index)?.len())) }
}

/// Writes header number `header_index` of part `part_index` to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_header(
    msg: *const lhttp_message,
    part_index: usize,
    header_index: usize,
    out: *mut lhttp_header,
) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe {
        answer(msg, out, |m| {
            let h = m
                .part_headers(part_index)?
                .get(header_index)
                .ok_or(lhttp_result::OutOfRange)?;
            Ok(m.header_out(h))
        })
    }
}

/// Writes the value of the first header of part `part_index` called `name[..name_len]`
/// (ASCII case-insensitive) to `*out`; `LHTTP_RESULT_NOT_FOUND` when there is none.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_header_by_name(
    msg: *const lhttp_message,
    part_index: usize,
    name: *const c_char,
    name_len: usize,
    out: *mut lhttp_str,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    unsafe {
        answer_named(msg, name, name_len, out, |m, name| {
            let headers = m.header_views(m.part_headers(part_index)?);
            let part = PartMessage {
                headers: &headers,
                body: &[],
            };
            part.header(name)
                .map(|v| lhttp_str::of(v.as_bytes()))
                .ok_or(lhttp_result::NotFound)
        })
    }
}

/// Writes a view of the body of part `index` to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_body(
    msg: *const lhttp_message,
    index: usize,
    out: *mut lhttp_bytes,
) -> lhttp_result {
    // SAFETY: a live message from this library.
    unsafe {
        answer(msg, out, |m| {
            let p = m.part(index)?.part;
            Ok(lhttp_bytes::of(p.body(m.slice(&m.fields.body))))
        })
    }
}
