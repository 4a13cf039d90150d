//! Line splitting and the header-block reader shared by messages and multipart parts.

use crate::header::{is_ows, is_token, is_token_str, is_value_byte, Header};
use crate::word::{control_bytes, load, not_lower_or_dash, not_printable_ascii};
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

/// The common case in one pass: a well-formed `name:value` line at the start
/// of `line`, returned with what follows its line ending. `None` for anything
/// else (blank line, bad byte, lone `\r`): [`line`] and [`header`] then
/// decide, so errors are theirs. Same result as `line` + `header` whenever it
/// returns `Some`, with one scan and at most one UTF-8 check per line instead
/// of five passes.
///
/// The line is read eight bytes at a time from its start. The name's words
/// are `[a-z-]` up to the first other byte, which must be `:` (other token
/// bytes are stepped over one at a time). The word holding the colon goes on
/// to the value, whose words are printable ASCII up to the first other byte:
/// a tab (stepped over), a control character (the end of the value) or a
/// non-ASCII byte (the rest goes to [`value_end_utf8`]).
#[inline]
fn header_line(line: &[u8]) -> Option<(Header<'_>, &[u8])> {
    // `w` holds the bytes of `line` from `i`, `valid` of them real.
    let mut i = 0;
    let (mut w, mut valid) = load(line);
    let colon = loop {
        let other = not_lower_or_dash(w);
        if other == 0 {
            i += 8;
        } else {
            let k = (other.trailing_zeros() / 8) as usize;
            if k >= valid {
                // The input ends inside the name.
                return None;
            }
            let b = (w >> (8 * k)) as u8;
            if b == b':' {
                break i + k;
            }
            if !is_token(b) {
                return None;
            }
            i += k + 1;
        }
        (w, valid) = load(line.get(i..)?);
    };
    if colon == 0 {
        return None;
    }
    // The bytes of `w` before the value are the name's and the colon, all
    // printable ASCII: the first flagged byte belongs to the value.
    let mut ascii = true;
    let end = loop {
        let other = not_printable_ascii(w);
        if other == 0 {
            i += 8;
        } else {
            let k = (other.trailing_zeros() / 8) as usize;
            if k >= valid {
                break i + valid;
            }
            let b = (w >> (8 * k)) as u8;
            if b >= 0x80 {
                ascii = false;
                break value_end_utf8(line, i + k);
            }
            if b != b'\t' {
                break i + k;
            }
            i += k + 1;
        }
        (w, valid) = load(line.get(i..)?);
    };
    let (value, at) = line.split_at_checked(end)?;
    let next = match at {
        [] => at,
        [b'\r', b'\n', next @ ..] | [b'\n', next @ ..] => next,
        _ => return None,
    };
    let name = value.get(..colon)?;
    let mut value = value.get(colon + 1..)?;
    // Spaces and tabs around the value: usually none. A value byte up to 0x20
    // is a space or a tab, so one comparison tests both ends.
    if let (Some(&first), Some(&last)) = (value.first(), value.last()) {
        if first.min(last) <= b' ' {
            value = trim_ows(value);
        }
    }
    // The name is a token, hence ASCII; the value needs a UTF-8 check only when
    // it is not ASCII.
    let value = if ascii {
        crate::header::ascii_str(value)
    } else {
        core::str::from_utf8(value).ok()?
    };
    let name = crate::header::ascii_str(name);
    Some((Header { name, value }, next))
}

/// Where the value that holds a non-ASCII byte at `from` ends: at the first
/// control character other than tab, or the end of `line`.
#[inline(never)]
fn value_end_utf8(line: &[u8], from: usize) -> usize {
    let mut at = line.get(from..).unwrap_or_default();
    // A word without control characters is taken whole; otherwise its first
    // control character (exact: the lowest flagged byte of the mask) ends the
    // value, unless it is a tab.
    while let Some((chunk, tail)) = at.split_first_chunk::<8>() {
        let bad = control_bytes(u64::from_le_bytes(*chunk));
        if bad == 0 {
            at = tail;
            continue;
        }
        let k = (bad.trailing_zeros() / 8) as usize;
        at = at.get(k..).unwrap_or_default();
        if at.first() != Some(&b'\t') {
            return line.len() - at.len();
        }
        at = at.get(1..).unwrap_or_default();
    }
    while let [b, tail @ ..] = at {
        if !is_value_byte(*b) {
            break;
        }
        at = tail;
    }
    line.len() - at.len()
}

/// `v` without the spaces and tabs at either end.
#[cold]
fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = v {
        if !is_ows(*first) {
            break;
        }
        v = rest;
    }
    while let [rest @ .., last] = v {
        if !is_ows(*last) {
            break;
        }
        v = rest;
    }
    v
}

/// How many token bytes `s` starts with: eight bytes at a time while they are
/// `[a-z-]`, the bytes of nearly every command, any other byte checked
/// against the token table.
#[inline]
pub(crate) fn token_len(s: &[u8]) -> usize {
    let mut i = 0;
    let (mut w, mut valid) = load(s);
    loop {
        let other = not_lower_or_dash(w);
        if other == 0 {
            i += 8;
        } else {
            let k = (other.trailing_zeros() / 8) as usize;
            if k >= valid || !is_token((w >> (8 * k)) as u8) {
                return i + k.min(valid);
            }
            i += k + 1;
        }
        match s.get(i..) {
            Some(rest) => (w, valid) = load(rest),
            None => return s.len(),
        }
    }
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
    pos: usize,
    end: BlockEnd,
    mut sink: impl FnMut(Header<'b>) -> Result<(), Error>,
) -> Result<usize, Error> {
    // What is left to read; callers pass `pos <= buf.len()`.
    let mut rest = buf.get(pos..).unwrap_or_default();
    loop {
        let (h, next) = match rest {
            [] => {
                return match end {
                    BlockEnd::BlankLineOrEnd => Ok(buf.len()),
                    BlockEnd::BlankLine => Err(Error::Part),
                }
            }
            // The blank line.
            [b'\r', b'\n', ..] => return Ok(buf.len() - rest.len() + 2),
            [b'\n', ..] => return Ok(buf.len() - rest.len() + 1),
            _ => match header_line(rest) {
                Some(fast) => fast,
                // Anything unusual: line first, then the header.
                None => {
                    let (l, next) = line(buf, buf.len() - rest.len())?;
                    if next == buf.len() && end == BlockEnd::BlankLine {
                        // Checked before the header is read: the part's error wins.
                        return Err(Error::Part);
                    }
                    (header(l)?, buf.get(next..).unwrap_or_default())
                }
            },
        };
        if next.is_empty() && end == BlockEnd::BlankLine {
            // The part ended inside its header block.
            return Err(Error::Part);
        }
        sink(h)?;
        rest = next;
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
pub(crate) mod tests {
    use super::*;

    /// A xorshift generator: deterministic inputs without a dependency.
    pub(crate) fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// `token_len` counts the same token bytes as a byte-by-byte scan.
    #[test]
    fn token_len_agrees_with_the_token_table() {
        const ALPHABET: &[u8] = b"abz-Z09_~:. \r\n\x00\x7f\xc3\xff";
        let mut state = 0x2545_f491_4f6c_dd1d;
        let mut buf = [0u8; 40];
        for _ in 0..300_000 {
            let len = (next(&mut state) % 40) as usize;
            // Mostly token bytes, so runs cross word boundaries.
            for b in &mut buf[..len] {
                let r = next(&mut state);
                *b = if r % 8 == 0 {
                    ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                } else {
                    ALPHABET[(r >> 8) as usize % 6]
                };
            }
            let input = &buf[..len];
            let expected = input.iter().position(|&c| !is_token(c)).unwrap_or(len);
            assert_eq!(token_len(input), expected, "{input:?}");
        }
    }

    /// Whenever the one-pass reader accepts a line, `line` + `header` read it the same way.
    #[test]
    fn header_line_agrees_with_line_and_header() {
        // The first six bytes are common: every other line is mostly those,
        // so names and values run over several words.
        const ALPHABET: &[u8] = b"aZ-: ~\t:\r\n\x01\x7f\xc3\xa9\xff";
        let mut state = 0x2545_f491_4f6c_dd1d;
        let mut buf = [0u8; 40];
        let mut accepted = 0;
        for round in 0..300_000 {
            let len = (next(&mut state) % 40) as usize;
            for b in &mut buf[..len] {
                let r = next(&mut state);
                let common = round % 2 == 0 && r % 8 != 0;
                let n = if common { 6 } else { ALPHABET.len() };
                *b = ALPHABET[(r >> 8) as usize % n];
            }
            if len > 2 && next(&mut state) % 2 == 0 {
                buf[..2].copy_from_slice(b"k:");
            }
            let input = &buf[..len];
            if let Some((h, rest)) = header_line(input) {
                accepted += 1;
                let (l, next) = line(input, 0).expect("a line the fast path accepts has no lone CR");
                assert_eq!(
                    Ok((h, input.len() - rest.len())),
                    header(l).map(|h| (h, next)),
                    "{input:?}"
                );
            }
        }
        assert!(
            accepted > 1000,
            "only {accepted} lines accepted: the generator misses the fast path"
        );
    }
}
