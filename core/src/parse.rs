//! Reading a whole message: the start line, the header block and the body.

use crate::header::{is_command, Header};
use crate::lines::{header_block_into, line, BlockEnd};
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
    let command = crate::header::ascii_str(cmd);
    let (headers, body_start) = header_block_into(buf, pos, BlockEnd::BlankLineOrEnd, headers)?;
    Ok(Message {
        command,
        headers,
        body: &buf[body_start..],
    })
}
