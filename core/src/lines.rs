//! Line splitting and the header-block reader shared by messages and multipart parts.

use crate::header::{is_ows, is_token_str, is_value_byte, Header};
use crate::Error;

/// One line of `buf` starting at `pos`: `(line, next)` where `next` is the first
/// byte after the line ending. A line ends at `\r\n`, a bare `\n`, or the end of
/// the buffer. A `\r` not followed by `\n` is [`Error::NewLine`].
#[inline]
pub(crate) fn line(buf: &[u8], pos: usize) -> Result<(&[u8], usize), Error> {
    let rest = &buf[pos..];
    for (i, &b) in rest.iter().enumerate() {
        if b == b'\n' {
            return Ok((&rest[..i], pos + i + 1));
        }
        if b == b'\r' {
            return if rest.get(i + 1) == Some(&b'\n') {
                Ok((&rest[..i], pos + i + 2))
            } else {
                Err(Error::NewLine)
            };
        }
    }
    Ok((rest, buf.len()))
}

/// Reads one `name:value` line.
#[inline]
pub(crate) fn header(line: &[u8]) -> Result<Header<'_>, Error> {
    let colon = line.iter().position(|&b| b == b':').ok_or(Error::HeaderName)?;
    let name = &line[..colon];
    if !is_token_str(name) {
        return Err(Error::HeaderName);
    }
    let mut value = &line[colon + 1..];
    while let [first, rest @ ..] = value {
        if !is_ows(*first) {
            break;
        }
        value = rest;
    }
    while let [rest @ .., last] = value {
        if !is_ows(*last) {
            break;
        }
        value = rest;
    }
    if !value.iter().all(|&b| is_value_byte(b)) {
        return Err(Error::HeaderValue);
    }
    let value = core::str::from_utf8(value).map_err(|_| Error::HeaderValue)?;
    // A token is ASCII, so this cannot fail; no unsafe needed.
    let name = core::str::from_utf8(name).map_err(|_| Error::HeaderName)?;
    Ok(Header { name, value })
}

/// How a header block may end.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockEnd {
    /// A message: the end of the input also ends the headers (body empty).
    BlankLineOrEnd,
    /// A multipart part: the blank line is required.
    BlankLine,
}

/// Reads header lines from `pos` until the blank line, handing each to `sink`.
/// Returns where the body starts.
#[inline]
pub(crate) fn header_block<'b>(
    buf: &'b [u8],
    mut pos: usize,
    end: BlockEnd,
    mut sink: impl FnMut(Header<'b>) -> Result<(), Error>,
) -> Result<usize, Error> {
    loop {
        if pos == buf.len() {
            return match end {
                BlockEnd::BlankLineOrEnd => Ok(pos),
                BlockEnd::BlankLine => Err(Error::Part),
            };
        }
        let (l, next) = line(buf, pos)?;
        if l.is_empty() {
            return Ok(next);
        }
        if next == buf.len() && end == BlockEnd::BlankLine {
            // The part ended inside its header block.
            return Err(Error::Part);
        }
        sink(header(l)?)?;
        pos = next;
    }
}

/// Stores headers into the caller's storage, failing with [`Error::TooManyHeaders`].
#[inline]
pub(crate) fn header_block_into<'h, 'b>(
    buf: &'b [u8],
    pos: usize,
    end: BlockEnd,
    storage: &'h mut [Header<'b>],
) -> Result<(&'h [Header<'b>], usize), Error> {
    let mut n = 0;
    let body = header_block(buf, pos, end, |h| {
        let slot = storage.get_mut(n).ok_or(Error::TooManyHeaders)?;
        *slot = h;
        n += 1;
        Ok(())
    })?;
    let storage: &'h [Header<'b>] = storage;
    Ok((&storage[..n], body))
}
