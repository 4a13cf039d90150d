//! Multipart bodies: `multipart:0 14` lists the byte offsets in the body where
//! each part starts; a part is `<headers>\r\n\r\n<body>` with no start line.
//!
//! Parts are plain offsets ([`Part`]) into the message body, so the same
//! integers cross C, wasm, Python and Node unchanged and nothing is copied.
//!
//! ```
//! use lhttp_core::{parse, Part, EMPTY_HEADER};
//!
//! let mut headers = [EMPTY_HEADER; 4];
//! let msg = parse(b"LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2", &mut headers).unwrap();
//! let mut parts = [Part::default(); 4];
//! let parts = msg.split_parts(&mut parts).unwrap();
//! let mut part_headers = [EMPTY_HEADER; 4];
//! let second = parts[1].parse(msg.body, &mut part_headers).unwrap();
//! assert_eq!(second.header("k2"), Some("v2"));
//! assert_eq!(second.body, b"body2");
//! ```

use crate::lines::{header_block, header_block_into, BlockEnd};
use crate::{Error, Header};

/// The offsets of a `multipart` header value, each a decimal number.
#[derive(Debug, Clone)]
pub struct Offsets<'b> {
    rest: core::str::Split<'b, [char; 2]>,
}

impl<'b> Offsets<'b> {
    /// The offsets listed in a `multipart` header value.
    pub fn new(value: &'b str) -> Self {
        Offsets {
            rest: value.split([' ', '\t']),
        }
    }
}

impl Iterator for Offsets<'_> {
    type Item = Result<usize, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.rest.by_ref().find(|s| !s.is_empty())?;
        Some(parse_usize(s))
    }
}

fn parse_usize(s: &str) -> Result<usize, Error> {
    let mut n: usize = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(Error::PartOffset);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(b - b'0')))
            .ok_or(Error::PartOffset)?;
    }
    Ok(n)
}

/// One part of a multipart body, as offsets into the message body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Part {
    /// Where the part starts in the message body (its offset from the header).
    pub start: usize,
    /// The part's length, headers and blank line included.
    pub len: usize,
    /// Where the part's own body starts in the message body (after its blank line).
    pub body_start: usize,
}

impl Part {
    /// The whole part (headers, blank line and body) within the message `body`.
    pub fn bytes<'b>(&self, body: &'b [u8]) -> &'b [u8] {
        &body[self.start..self.start + self.len]
    }

    /// The part's own body within the message `body`.
    pub fn body<'b>(&self, body: &'b [u8]) -> &'b [u8] {
        &body[self.body_start..self.start + self.len]
    }

    /// Reads the part's headers into `headers`; `body` is the message body it came from.
    pub fn parse<'h, 'b>(&self, body: &'b [u8], headers: &'h mut [Header<'b>]) -> Result<PartMessage<'h, 'b>, Error> {
        let bytes = body.get(self.start..self.start + self.len).ok_or(Error::PartOffset)?;
        let (headers, body_start) = header_block_into(bytes, 0, BlockEnd::BlankLine, headers)?;
        Ok(PartMessage {
            headers,
            body: &bytes[body_start..],
        })
    }
}

/// A part read with [`Part::parse`]: its headers and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartMessage<'h, 'b> {
    /// The part's headers in order.
    pub headers: &'h [Header<'b>],
    /// The part's body.
    pub body: &'b [u8],
}

impl<'b> PartMessage<'_, 'b> {
    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

/// An iterator over the parts of a body, checking each offset and part as it goes.
/// After the first error it ends.
#[derive(Debug, Clone)]
pub struct Parts<'b> {
    body: &'b [u8],
    offsets: Offsets<'b>,
    /// The start of the next part, once known.
    next_start: Option<usize>,
    /// Whether the first offset has been read.
    started: bool,
    /// Set after the last part or an error.
    done: bool,
}

impl<'b> Parts<'b> {
    /// The parts of `body` at `offsets`.
    pub fn new(body: &'b [u8], offsets: Offsets<'b>) -> Self {
        Parts {
            body,
            offsets,
            next_start: None,
            started: false,
            done: false,
        }
    }

    /// Stores every part in `storage`, failing with the first error, or
    /// [`Error::TooManyParts`] when `storage` is too short.
    pub fn collect_into(self, storage: &mut [Part]) -> Result<&[Part], Error> {
        let mut n = 0;
        for part in self {
            let part = part?;
            *storage.get_mut(n).ok_or(Error::TooManyParts)? = part;
            n += 1;
        }
        Ok(&storage[..n])
    }

    fn step(&mut self) -> Result<Option<Part>, Error> {
        let start = if self.started {
            match self.next_start {
                Some(s) => s,
                None => return Ok(None),
            }
        } else {
            self.started = true;
            match self.offsets.next() {
                Some(Ok(0)) => 0,
                _ => return Err(Error::PartOffset),
            }
        };
        if start >= self.body.len() {
            return Err(Error::PartOffset);
        }
        let end = match self.offsets.next() {
            None => self.body.len(),
            Some(Ok(n)) if n > start && n < self.body.len() => n,
            Some(_) => return Err(Error::PartOffset),
        };
        self.next_start = (end < self.body.len()).then_some(end);
        let bytes = &self.body[start..end];
        let body_start = header_block(bytes, 0, BlockEnd::BlankLine, |_| Ok(()))?;
        Ok(Some(Part {
            start,
            len: end - start,
            body_start: start + body_start,
        }))
    }
}

impl Iterator for Parts<'_> {
    type Item = Result<Part, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}
