//! The plain C structs that cross the boundary: string and byte views, headers,
//! part offsets, parts to encode and parse limits.

use std::ffi::c_char;

/// A view of UTF-8 text: `len` bytes at `data`, NOT NUL-terminated.
///
/// Views returned by liblhttp point into a buffer they name (the caller's input or
/// a message's own buffer) and are valid as long as that buffer is.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lhttp_str {
    /// The first byte (may be NULL when `len` is 0).
    pub data: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

/// A view of bytes: `len` bytes at `data`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lhttp_bytes {
    /// The first byte (may be NULL when `len` is 0).
    pub data: *const u8,
    /// The length in bytes.
    pub len: usize,
}

/// One header: `name:value`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lhttp_header {
    /// The header name, as sent.
    pub name: lhttp_str,
    /// The value, surrounding spaces and tabs removed.
    pub value: lhttp_str,
}

/// Where one multipart part lies, as byte offsets into the MESSAGE BODY.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct lhttp_part {
    /// The part's first byte in the body.
    pub start: usize,
    /// The part's length (headers, blank line and body).
    pub len: usize,
    /// Where the part's own body starts in the message body.
    pub body_start: usize,
}

/// A part to encode with `lhttp_encode_multipart`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lhttp_part_fields {
    /// The part's headers.
    pub headers: *const lhttp_header,
    /// How many headers `headers` holds.
    pub headers_len: usize,
    /// The part's body.
    pub body: *const u8,
    /// The body's length.
    pub body_len: usize,
}

/// How much `lhttp_message_parse` accepts; like the storage a C caller would
/// give the codec. Exceeding a limit is `TooManyHeaders` or `TooManyParts`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lhttp_parse_limits {
    /// The most headers in the message.
    pub max_headers: usize,
    /// The most parts in a multipart body.
    pub max_parts: usize,
    /// The most headers in each part.
    pub max_part_headers: usize,
}

/// The limits used when `lhttp_message_parse` gets NULL.
pub const LHTTP_DEFAULT_MAX_HEADERS: usize = 64;
/// The default most parts in a multipart body.
pub const LHTTP_DEFAULT_MAX_PARTS: usize = 64;
/// The default most headers in each part.
pub const LHTTP_DEFAULT_MAX_PART_HEADERS: usize = 64;

impl Default for lhttp_parse_limits {
    fn default() -> Self {
        lhttp_parse_limits {
            max_headers: LHTTP_DEFAULT_MAX_HEADERS,
            max_parts: LHTTP_DEFAULT_MAX_PARTS,
            max_part_headers: LHTTP_DEFAULT_MAX_PART_HEADERS,
        }
    }
}

impl lhttp_str {
    /// A view of `s`.
    pub(crate) fn of(s: &[u8]) -> lhttp_str {
        lhttp_str {
            data: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

impl lhttp_bytes {
    /// A view of `b`.
    pub(crate) fn of(b: &[u8]) -> lhttp_bytes {
        lhttp_bytes {
            data: b.as_ptr(),
            len: b.len(),
        }
    }
}
