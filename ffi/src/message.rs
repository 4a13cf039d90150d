//! Parsed messages for C: `lhttp_message_parse` records where each field lies in the
//! caller's buffer and the accessors hand out views (pointer + length) into it.
//! Nothing is copied; received messages (`lhttp_client_recv`) own their buffer instead.

use std::ffi::c_char;
use std::ops::Range;

use lhttp_core::{Error as CoreError, Header, Part, PartMessage, EMPTY_HEADER};

use crate::boundary::{bytes, guard, guard_or, object, text, write};
use crate::result::{fail_core, lhttp_result};
use crate::types::{lhttp_bytes, lhttp_header, lhttp_parse_limits, lhttp_part, lhttp_str};

/// A parsed LHTTP message: views of a buffer it was parsed from.
///
/// From `lhttp_message_parse`, it borrows the caller's buffer, which must stay valid and
/// unchanged until `lhttp_message_free`. From `lhttp_client_recv` / `lhttp_client_try_recv`,
/// it owns its buffer. Every view it returns is valid until `lhttp_message_free`.
/// Read-only after creation: any number of threads may read one message at once.
pub struct lhttp_message {
    /// The buffer of a received message, owned; `None` when parsing the caller's buffer.
    _owned: Option<Box<[u8]>>,
    /// The start of the buffer the ranges index.
    buf: *const u8,
    /// The buffer's length.
    len: usize,
    /// The parsed fields, as ranges into the buffer.
    fields: Fields,
}

/// Where each part of a message lies in its buffer.
#[derive(Debug)]
struct Fields {
    /// The command.
    command: Range<usize>,
    /// The headers in order.
    headers: Vec<HeaderRange>,
    /// The body.
    body: Range<usize>,
    /// The parts (offsets into the body) or why splitting failed.
    parts: Result<Vec<PartRanges>, CoreError>,
}

/// A header's name and value.
#[derive(Debug, Clone)]
struct HeaderRange {
    name: Range<usize>,
    value: Range<usize>,
}

/// One multipart part: its offsets and its headers (or why reading them failed).
#[derive(Debug)]
struct PartRanges {
    part: Part,
    headers: Result<Vec<HeaderRange>, CoreError>,
}

/// The range `sub` occupies in `buf` (views from core always lie inside it).
fn range_in(buf: &[u8], sub: &[u8]) -> Range<usize> {
    let start = (sub.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    if start <= buf.len() && sub.len() <= buf.len() - start {
        start..start + sub.len()
    } else {
        0..0
    }
}

fn header_ranges(buf: &[u8], headers: &[Header<'_>]) -> Vec<HeaderRange> {
    headers
        .iter()
        .map(|h| HeaderRange {
            name: range_in(buf, h.name.as_bytes()),
            value: range_in(buf, h.value.as_bytes()),
        })
        .collect()
}

impl Fields {
    /// Parses `buf` with core, then splits and reads the parts (keeping their errors).
    fn parse(buf: &[u8], limits: &lhttp_parse_limits) -> Result<Fields, CoreError> {
        let mut storage = vec![EMPTY_HEADER; limits.max_headers];
        let msg = lhttp_core::parse(buf, &mut storage)?;
        let parts = match msg.parts() {
            None => Ok(Vec::new()),
            Some(parts) => {
                let mut out = Vec::new();
                let mut result = Ok(());
                for part in parts {
                    match part {
                        Ok(_) if out.len() == limits.max_parts => {
                            result = Err(CoreError::TooManyParts);
                            break;
                        }
                        Ok(part) => {
                            let mut part_storage = vec![EMPTY_HEADER; limits.max_part_headers];
                            let headers = part
                                .parse(msg.body, &mut part_storage)
                                .map(|p| header_ranges(buf, p.headers));
                            out.push(PartRanges { part, headers });
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                result.map(|()| out)
            }
        };
        Ok(Fields {
            command: range_in(buf, msg.command.as_bytes()),
            headers: header_ranges(buf, msg.headers),
            body: range_in(buf, msg.body),
            parts,
        })
    }
}

impl lhttp_message {
    /// Parses `buf`; `owned` keeps a received message's bytes alive.
    fn new(buf: &[u8], owned: Option<Box<[u8]>>, limits: &lhttp_parse_limits) -> Result<lhttp_message, CoreError> {
        let fields = Fields::parse(buf, limits)?;
        Ok(lhttp_message {
            buf: buf.as_ptr(),
            len: buf.len(),
            _owned: owned,
            fields,
        })
    }

    /// A message owning `bytes`, parsed with limits that fit it.
    pub(crate) fn owned(bytes: Vec<u8>, headers: usize) -> Result<lhttp_message, CoreError> {
        let owned = bytes.into_boxed_slice();
        let limits = lhttp_parse_limits {
            max_headers: headers,
            max_parts: lhttp_client::message::MAX_HEADERS,
            max_part_headers: lhttp_client::message::MAX_HEADERS,
        };
        // The heap block does not move when the box does, so views stay valid.
        let view: &[u8] = &owned;
        let (ptr, len) = (view.as_ptr(), view.len());
        // SAFETY: `ptr[..len]` is the boxed slice, kept alive (and unmoved) in the message.
        let buf = unsafe { std::slice::from_raw_parts(ptr, len) };
        lhttp_message::new(buf, Some(owned), &limits)
    }

    /// The whole buffer.
    fn buf(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the caller keeps the buffer valid while the message lives (documented),
        // or the message owns it.
        unsafe { std::slice::from_raw_parts(self.buf, self.len) }
    }

    fn slice(&self, r: &Range<usize>) -> &[u8] {
        &self.buf()[r.clone()]
    }

    fn str(&self, r: &Range<usize>) -> &str {
        // Core only yields UTF-8 for commands, names and values.
        std::str::from_utf8(self.slice(r)).unwrap_or_default()
    }

    fn header_views(&self, headers: &[HeaderRange]) -> Vec<Header<'_>> {
        headers
            .iter()
            .map(|h| Header {
                name: self.str(&h.name),
                value: self.str(&h.value),
            })
            .collect()
    }

    fn header_out(&self, h: &HeaderRange) -> lhttp_header {
        lhttp_header {
            name: lhttp_str::of(self.slice(&h.name)),
            value: lhttp_str::of(self.slice(&h.value)),
        }
    }

    /// Core's view of the message, over header views rebuilt from the ranges.
    fn with_view<T>(&self, f: impl FnOnce(lhttp_core::Message<'_, '_>) -> T) -> T {
        let headers = self.header_views(&self.fields.headers);
        f(lhttp_core::Message {
            command: self.str(&self.fields.command),
            headers: &headers,
            body: self.slice(&self.fields.body),
        })
    }

    fn parts(&self) -> Result<&[PartRanges], lhttp_result> {
        self.fields.parts.as_deref().map_err(|e| fail_core(*e))
    }

    fn part(&self, index: usize) -> Result<&PartRanges, lhttp_result> {
        self.parts()?.get(index).ok_or(lhttp_result::OutOfRange)
    }

    fn part_headers(&self, index: usize) -> Result<&[HeaderRange], lhttp_result> {
        self.part(index)?.headers.as_deref().map_err(|e| fail_core(*e))
    }
}

/// Parses `buf[..len]` into a new message written to `*out`.
///
/// The message holds views into `buf`: keep `buf` valid and unchanged until
/// `lhttp_message_free(*out)`. `limits` may be NULL for the defaults
/// (`LHTTP_DEFAULT_MAX_*`). Parse errors are the codec's (`LHTTP_RESULT_VERSION` ...);
/// multipart errors are reported later, by the part functions.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_parse(
    buf: *const u8,
    len: usize,
    limits: *const lhttp_parse_limits,
    out: *mut *mut lhttp_message,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers, valid for their lengths.
        let input = unsafe { bytes(buf, len)? };
        let limits = unsafe { limits.as_ref() }.copied().unwrap_or_default();
        if out.is_null() {
            return Err(crate::boundary::null());
        }
        let msg = lhttp_message::new(input, None, &limits).map_err(fail_core)?;
        // SAFETY: checked non-NULL above.
        unsafe { write(out, Box::into_raw(Box::new(msg))) }
    })
}

/// Frees a message. NULL is fine. Views it returned become invalid.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_free(msg: *mut lhttp_message) {
    guard_or((), || {
        if !msg.is_null() {
            // SAFETY: `msg` came from Box::into_raw in this library and is freed once.
            drop(unsafe { Box::from_raw(msg) });
        }
    })
}

/// Writes a view of the command to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_command(msg: *const lhttp_message, out: *mut lhttp_str) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        unsafe { write(out, lhttp_str::of(m.slice(&m.fields.command))) }
    })
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
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        let h = m.fields.headers.get(index).ok_or(lhttp_result::OutOfRange)?;
        unsafe { write(out, m.header_out(h)) }
    })
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
    guard(|| {
        // SAFETY: the caller's pointers.
        let m = unsafe { object(msg)? };
        let name = unsafe { text(name.cast(), name_len, lhttp_result::NotFound)? };
        let value = m
            .with_view(|v| v.header(name).map(str::as_bytes).map(lhttp_str::of))
            .ok_or(lhttp_result::NotFound)?;
        unsafe { write(out, value) }
    })
}

/// Writes a view of the body to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_body(msg: *const lhttp_message, out: *mut lhttp_bytes) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        unsafe { write(out, lhttp_bytes::of(m.slice(&m.fields.body))) }
    })
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
    guard(|| {
        // SAFETY: the caller's pointers.
        let m = unsafe { object(msg)? };
        let name = unsafe { text(name.cast(), name_len, lhttp_result::NotFound)? };
        let n = m.with_view(|v| v.channels(name).count());
        unsafe { write(out, n) }
    })
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
    guard(|| {
        // SAFETY: the caller's pointers.
        let m = unsafe { object(msg)? };
        let name = unsafe { text(name.cast(), name_len, lhttp_result::NotFound)? };
        let channel = m
            .with_view(|v| v.channels(name).nth(index).map(|c| lhttp_str::of(c.as_bytes())))
            .ok_or(lhttp_result::OutOfRange)?;
        unsafe { write(out, channel) }
    })
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

/// Writes the number of multipart parts to `*out` (0 without a `multipart` header).
/// Fails with the codec's error when the offsets or a part are invalid
/// (`PART_OFFSET`, `PART`, `TOO_MANY_PARTS`, ...).
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_count(msg: *const lhttp_message, out: *mut usize) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        let n = m.parts()?.len();
        unsafe { write(out, n) }
    })
}

/// Writes the offsets of part `index` (into the message BODY) to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part(
    msg: *const lhttp_message,
    index: usize,
    out: *mut lhttp_part,
) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        let p = m.part(index)?.part;
        let part = lhttp_part {
            start: p.start,
            len: p.len,
            body_start: p.body_start,
        };
        unsafe { write(out, part) }
    })
}

/// Writes the number of headers of part `index` to `*out`; fails with the codec's
/// error when that part's headers cannot be read (e.g. `TOO_MANY_HEADERS`).
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_header_count(
    msg: *const lhttp_message,
    index: usize,
    out: *mut usize,
) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        let n = m.part_headers(index)?.len();
        unsafe { write(out, n) }
    })
}

/// Writes header number `header_index` of part `part_index` to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_header(
    msg: *const lhttp_message,
    part_index: usize,
    header_index: usize,
    out: *mut lhttp_header,
) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        let h = m
            .part_headers(part_index)?
            .get(header_index)
            .ok_or(lhttp_result::OutOfRange)?;
        unsafe { write(out, m.header_out(h)) }
    })
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
    guard(|| {
        // SAFETY: the caller's pointers.
        let m = unsafe { object(msg)? };
        let name = unsafe { text(name.cast(), name_len, lhttp_result::NotFound)? };
        let headers = m.header_views(m.part_headers(part_index)?);
        let part = PartMessage {
            headers: &headers,
            body: &[],
        };
        let value = part.header(name).map(|v| lhttp_str::of(v.as_bytes()));
        unsafe { write(out, value.ok_or(lhttp_result::NotFound)?) }
    })
}

/// Writes a view of the body of part `index` to `*out`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_part_body(
    msg: *const lhttp_message,
    index: usize,
    out: *mut lhttp_bytes,
) -> lhttp_result {
    guard(|| {
        // SAFETY: a live message from this library.
        let m = unsafe { object(msg)? };
        let p = m.part(index)?.part;
        let body = m.slice(&m.fields.body);
        unsafe { write(out, lhttp_bytes::of(p.body(body))) }
    })
}
