//! Line splitting and the header-block reader shared by messages and multipart parts.

use crate::header::{is_ows, is_token, is_token_str, is_value_byte, Header};
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
    let name = crate::header::ascii_str(name);
    Ok(Header { name, value })
}

/// The common case in one pass: a well-formed `name:value` line at `pos`,
/// returned with the position after its line ending. `None` for anything else
/// (blank line, bad byte, lone `\r`): [`line`] and [`header`] then decide, so
/// errors are theirs. Same result as `line` + `header` whenever it returns
/// `Some`, with one scan and one UTF-8 check per line instead of five passes.
#[inline]
fn header_line(buf: &[u8], pos: usize) -> Option<(Header<'_>, usize)> {
    let b = buf.get(pos..)?;
    let mut colon = 0;
    while colon < b.len() && is_token(b[colon]) {
        colon += 1;
    }
    if colon == 0 || b.get(colon) != Some(&b':') {
        return None;
    }
    let mut end = colon + 1;
    // High bits seen: none means the line is ASCII and needs no UTF-8 check.
    let mut high = 0u64;
    // Eight bytes at a time: a word without control characters is taken whole;
    // otherwise its first control character (exact: the lowest flagged byte of
    // the mask) ends the value, unless it is a tab. The last bytes of the buffer
    // go byte by byte.
    while let Some(chunk) = b.get(end..end + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let bad = control_bytes(word);
        if bad == 0 {
            high |= word;
            end += 8;
            continue;
        }
        let k = (bad.trailing_zeros() / 8) as usize;
        high |= word & ((1u64 << (8 * k)) - 1);
        end += k;
        if b[end] != b'\t' {
            break;
        }
        end += 1;
    }
    if b.get(end..end + 8).is_none() {
        while end < b.len() && is_value_byte(b[end]) {
            high |= u64::from(b[end]);
            end += 1;
        }
    }
    let next = match b.get(end) {
        None => buf.len(),
        Some(b'\n') => pos + end + 1,
        Some(b'\r') if b.get(end + 1) == Some(&b'\n') => pos + end + 2,
        Some(_) => return None,
    };
    let mut start = colon + 1;
    while start < end && is_ows(b[start]) {
        start += 1;
    }
    while end > start && is_ows(b[end - 1]) {
        end -= 1;
    }
    // One UTF-8 check for the whole line, none at all when it is ASCII; the
    // name and the colon are ASCII.
    let text = if high & 0x8080_8080_8080_8080 == 0 {
        crate::header::ascii_str(&b[..end])
    } else {
        core::str::from_utf8(&b[..end]).ok()?
    };
    Some((
        Header {
            name: text.get(..colon)?,
            value: text.get(start..)?,
        },
        next,
    ))
}

/// The high bit of each byte of `w` that is below 0x20 or equal to 0x7f (tab
/// included). The lowest flagged byte is always a real one; bytes above it may
/// be flagged falsely (borrows), so callers use only the lowest.
#[inline]
const fn control_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below n sets its high bit in (w - n) & !w.
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let del = w ^ (ONES * 0x7f);
    let is_del = del.wrapping_sub(ONES) & !del & HIGH;
    below_space | is_del
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
        let (h, next) = match header_line(buf, pos) {
            Some(fast) => fast,
            // The blank line or anything unusual: line first, then the header.
            None => {
                let (l, next) = line(buf, pos)?;
                if l.is_empty() {
                    return Ok(next);
                }
                if next == buf.len() && end == BlockEnd::BlankLine {
                    // Checked before the header is read: the part's error wins.
                    return Err(Error::Part);
                }
                (header(l)?, next)
            }
        };
        if next == buf.len() && end == BlockEnd::BlankLine {
            // The part ended inside its header block.
            return Err(Error::Part);
        }
        sink(h)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift generator: deterministic inputs without a dependency.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The word check finds exactly the first control byte (tab included), or none.
    #[test]
    fn control_bytes_finds_the_first_control_byte() {
        let first = |w: [u8; 8]| w.iter().position(|&c| c < 0x20 || c == 0x7f);
        let found = |w: u64| {
            let m = control_bytes(w);
            (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
        };
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = b;
                assert_eq!(found(u64::from_le_bytes(w)), first(w), "byte {b:#x} at {at}");
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            let w = next(&mut state);
            assert_eq!(found(w), first(w.to_le_bytes()), "word {w:#x}");
        }
    }

    /// Whenever the one-pass reader accepts a line, `line` + `header` read it the same way.
    #[test]
    fn header_line_agrees_with_line_and_header() {
        const ALPHABET: &[u8] = b"aZ-:: \t\r\n\x01\x7f\xc3\xa9\xff~";
        let mut state = 0x2545_f491_4f6c_dd1d;
        let mut buf = [0u8; 40];
        let mut accepted = 0;
        for _ in 0..300_000 {
            let len = (next(&mut state) % 40) as usize;
            for b in &mut buf[..len] {
                *b = ALPHABET[(next(&mut state) % ALPHABET.len() as u64) as usize];
            }
            if len > 2 && next(&mut state) % 2 == 0 {
                buf[..2].copy_from_slice(b"k:");
            }
            let input = &buf[..len];
            if let Some(fast) = header_line(input, 0) {
                accepted += 1;
                let (l, next) = line(input, 0).expect("a line the fast path accepts has no lone CR");
                assert_eq!(Ok(fast), header(l).map(|h| (h, next)), "{input:?}");
            }
        }
        assert!(
            accepted > 1000,
            "only {accepted} lines accepted: the generator misses the fast path"
        );
    }
}
