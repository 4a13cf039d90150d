//! Reading a whole message: the start line, the header block and the body.

use crate::header::{is_command, Header};
use crate::lines::{header_block_into, line, token_len, BlockEnd};
use crate::{Error, Message, VERSION};

/// Parses one LHTTP message, storing its headers in `headers`.
///
/// The returned [`Message`] borrows the command, header names and values and
/// the body from `buf`, and the header list from `headers`. Nothing is
/// allocated. Tolerances (all specified in `spec/PROTOCOL.md`):
/// - a bare `\n` ends a line like `\r\n`; a lone `\r` is [`Error::NewLine`];
/// - spaces and tabs around a header value are removed; a value may hold `:`;
/// - the blank line may be left out when the body is empty;
/// - the body is everything after the first blank line, any bytes.
///
/// ```
/// use lhttp_core::{parse, Error, EMPTY_HEADER};
///
/// let mut headers = [EMPTY_HEADER; 4];
/// let msg = parse(b"LHTTP/1.0 subpub\r\nsubscribe:camera_123\r\n\r\n", &mut headers).unwrap();
/// assert_eq!(msg.header("SUBSCRIBE"), Some("camera_123"));
///
/// let mut headers = [EMPTY_HEADER; 4];
/// assert_eq!(parse(b"HTTP/1.1 GET\r\n\r\n", &mut headers), Err(Error::Version));
/// ```
pub fn parse<'h, 'b>(buf: &'b [u8], headers: &'h mut [Header<'b>]) -> Result<Message<'h, 'b>, Error> {
    let (command, pos) = match start_line(buf) {
        Some(fast) => fast,
        None => start_line_slow(buf)?,
    };
    let (headers, body_start) = header_block_into(buf, pos, BlockEnd::BlankLineOrEnd, headers)?;
    Ok(Message {
        command,
        headers,
        body: buf.get(body_start..).unwrap_or_default(),
    })
}

/// The common case: `LHTTP/1.0 `, a valid command and its line ending, read
/// in one scan. Returns the command and where the headers start, or `None`
/// for anything else, which [`start_line_slow`] then reads (and whose errors
/// are the only ones). Same result as `start_line_slow` whenever it is `Some`.
#[inline]
fn start_line(buf: &[u8]) -> Option<(&str, usize)> {
    const PREFIX: &[u8; 10] = b"LHTTP/1.0 ";
    if buf.first_chunk::<10>() != Some(PREFIX) {
        return None;
    }
    let rest = buf.get(PREFIX.len()..)?;
    let (cmd, after) = rest.split_at_checked(token_len(rest))?;
    if cmd.is_empty() || cmd.len() > crate::MAX_COMMAND_LEN {
        return None;
    }
    let ending = match after {
        [] => 0,
        [b'\n', ..] => 1,
        [b'\r', b'\n', ..] => 2,
        _ => return None,
    };
    Some((crate::header::ascii_str(cmd), buf.len() - after.len() + ending))
}

/// The start line, byte by byte: the version, then the command line checked
/// as a whole. Decides every start-line error. Returns the command and where
/// the headers start.
fn start_line_slow(buf: &[u8]) -> Result<(&str, usize), Error> {
    let v = VERSION.as_bytes();
    if buf.len() < v.len() || &buf[..v.len()] != v {
        return Err(Error::Version);
    }
    match buf.get(v.len()) {
        Some(b' ') => {}
        // `LHTTP/1.0` then the end of the line: the command is missing.
        None | Some(b'\r') | Some(b'\n') => return Err(Error::Command),
        Some(_) => return Err(Error::Version),
    }
    let (cmd, pos) = line(buf, v.len() + 1)?;
    if !is_command(cmd) {
        return Err(Error::Command);
    }
    Ok((crate::header::ascii_str(cmd), pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whenever the one-scan start line accepts, the byte-by-byte reader reads
    /// the same command and position.
    #[test]
    fn start_line_agrees_with_start_line_slow() {
        // The first four bytes are common, so commands run over several words.
        const ALPHABET: &[u8] = b"ab-Z\r\n \x00\x7f\xc3:";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut buf = [0u8; 96];
        buf[..10].copy_from_slice(b"LHTTP/1.0 ");
        let mut accepted = 0;
        for _ in 0..300_000 {
            let len = 10 + (next() % 86) as usize;
            for b in &mut buf[10..len] {
                let r = next();
                let n = if r % 16 == 0 { ALPHABET.len() } else { 4 };
                *b = ALPHABET[(r >> 8) as usize % n];
            }
            let input = &buf[..len];
            if let Some(fast) = start_line(input) {
                accepted += 1;
                assert_eq!(Ok(fast), start_line_slow(input), "{input:?}");
            }
        }
        assert!(accepted > 1000, "only {accepted} start lines accepted");
    }
}
