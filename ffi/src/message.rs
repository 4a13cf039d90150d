//! Parsed messages for C: `lhttp_message_parse` records where each field lies in the
//! caller's buffer and the accessors hand out views (pointer + length) into it.
//! Nothing is copied; received messages (`lhttp_client_recv`) own their buffer instead.
//!
//! This file holds the message object and its lifetime (parse, free); the ranges are
//! in `fields`, the accessors of the command, headers and body in `accessors` and
//! those of multipart parts in `parts`.

use std::ffi::c_char;
use std::ops::Range;

use lhttp_core::{Error as CoreError, Header};

use crate::boundary::{bytes, guard, guard_or, object, text, write};
use crate::result::{fail_core, lhttp_result};
use crate::types::{lhttp_header, lhttp_parse_limits, lhttp_str};

mod accessors;
mod fields;
mod parts;

pub use accessors::*;
pub use parts::*;

use fields::{Fields, HeaderRange, PartRanges};

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
            max_parts: lhttp_core::owned::MAX_PARTS,
            max_part_headers: lhttp_core::owned::MAX_HEADERS,
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

    /// An owned copy (command, headers, body), for readers that take core's owned
    /// message, such as the session's presence event reader.
    pub(crate) fn to_owned_message(&self) -> lhttp_core::OwnedMessage {
        let mut msg = lhttp_core::OwnedMessage::new(self.str(&self.fields.command));
        for h in &self.fields.headers {
            msg.headers_mut()
                .push((self.str(&h.name).to_owned(), self.str(&h.value).to_owned()));
        }
        msg.with_body(self.slice(&self.fields.body))
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

/// Runs `read` on the message behind `msg` and writes its answer to `*out`: the shape
/// of the accessors with one out-parameter.
///
/// # Safety
/// `msg` NULL or a live message; `out` NULL or writable.
unsafe fn answer<T>(
    msg: *const lhttp_message,
    out: *mut T,
    read: impl FnOnce(&lhttp_message) -> Result<T, lhttp_result>,
) -> lhttp_result {
    guard(|| {
        // SAFETY: per the caller.
        let m = unsafe { object(msg)? };
        let value = read(m)?;
        unsafe { write(out, value) }
    })
}

/// Reads the header name argument `name[..name_len]` (not UTF-8 is `NOT_FOUND`), then
/// answers as [`answer`].
///
/// # Safety
/// As [`answer`]; `name` valid for `name_len` bytes.
unsafe fn answer_named<T>(
    msg: *const lhttp_message,
    name: *const c_char,
    name_len: usize,
    out: *mut T,
    read: impl FnOnce(&lhttp_message, &str) -> Result<T, lhttp_result>,
) -> lhttp_result {
    // SAFETY: per the caller.
    unsafe {
        answer(msg, out, |m| {
            let name = text(name.cast(), name_len, lhttp_result::NotFound)?;
            read(m, name)
        })
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
