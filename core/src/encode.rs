//! Writing messages and multipart bodies into a caller-provided buffer.
//! [`encoded_len`] is exact, so callers size buffers once; nothing is written
//! unless the whole message fits and every field is valid.

use crate::header::{is_command, is_encodable_value, is_token_str};
use crate::{names, Error, Header, VERSION};

/// One part to encode: its headers and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartFields<'a> {
    /// The part's headers.
    pub headers: &'a [Header<'a>],
    /// The part's body.
    pub body: &'a [u8],
}

/// The exact length of the encoded message.
pub fn encoded_len(command: &str, headers: &[Header<'_>], body: &[u8]) -> usize {
    VERSION.len() + 1 + command.len() + 2 + headers_len(headers) + 2 + body.len()
}

/// Writes `LHTTP/1.0 <command>\r\n<headers>\r\n<body>` into `out` and returns
/// the length written.
///
/// Fails with [`Error::Command`], [`Error::HeaderName`] or [`Error::HeaderValue`]
/// for a field that would not parse back identically (values may not hold control
/// characters nor start or end with whitespace), and with [`Error::BufferTooSmall`]
/// when `out` is shorter than [`encoded_len`]. On error nothing is written.
///
/// ```
/// use lhttp_core::{encode, encoded_len, Header};
/// let headers = [Header { name: "publish", value: "room" }];
/// let mut out = [0u8; 64];
/// let n = encode("chat", &headers, b"hi", &mut out).unwrap();
/// assert_eq!(n, encoded_len("chat", &headers, b"hi"));
/// assert_eq!(&out[..n], b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi");
/// ```
pub fn encode(command: &str, headers: &[Header<'_>], body: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    check_fields(command, headers)?;
    let len = encoded_len(command, headers, body);
    let mut w = Writer::new(out, len)?;
    w.start_line(command);
    w.headers(headers);
    w.put(b"\r\n");
    w.put(body);
    Ok(w.pos)
}

/// The exact length of the message [`encode_multipart`] writes.
pub fn multipart_encoded_len(command: &str, headers: &[Header<'_>], parts: &[PartFields<'_>]) -> usize {
    let (offsets_len, body_len) = multipart_sizes(parts);
    VERSION.len()
        + 1
        + command.len()
        + 2
        + headers_len(headers)
        + names::MULTIPART.len()
        + 1
        + offsets_len
        + 2
        + 2
        + body_len
}

/// Writes a multipart message: the caller's headers, then a `multipart` header
/// with the offsets computed here, then each part as `<headers>\r\n<body>`.
///
/// `headers` should not hold a `multipart` header of its own. Zero parts is
/// [`Error::PartOffset`]; other errors are those of [`encode`].
///
/// ```
/// use lhttp_core::{encode_multipart, Header, PartFields};
/// let h1 = [Header { name: "k1", value: "v1" }];
/// let h2 = [Header { name: "k2", value: "v2" }];
/// let parts = [PartFields { headers: &h1, body: b"body1" }, PartFields { headers: &h2, body: b"body2" }];
/// let mut out = [0u8; 128];
/// let n = encode_multipart("upload", &[], &parts, &mut out).unwrap();
/// assert_eq!(&out[..n], &b"LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2"[..]);
/// ```
pub fn encode_multipart(
    command: &str,
    headers: &[Header<'_>],
    parts: &[PartFields<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    if parts.is_empty() {
        return Err(Error::PartOffset);
    }
    check_fields(command, headers)?;
    for p in parts {
        check_headers(p.headers)?;
    }
    let len = multipart_encoded_len(command, headers, parts);
    let mut w = Writer::new(out, len)?;
    w.start_line(command);
    w.headers(headers);
    w.put(names::MULTIPART.as_bytes());
    w.put(b":");
    let mut offset = 0;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            w.put(b" ");
        }
        w.decimal(offset);
        offset += part_len(p);
    }
    w.put(b"\r\n\r\n");
    for p in parts {
        w.headers(p.headers);
        w.put(b"\r\n");
        w.put(p.body);
    }
    Ok(w.pos)
}

/// Writes the message into any [`bytes::BufMut`], checking its fields first.
/// Nothing is written on error.
///
/// ```
/// use lhttp_core::{encode_buf, Header};
/// let mut out = bytes::BytesMut::with_capacity(64);
/// let n = encode_buf("chat", &[Header { name: "publish", value: "room" }], b"hi", &mut out).unwrap();
/// assert_eq!(&out[..n], b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi");
/// ```
#[cfg(feature = "bytes")]
pub fn encode_buf(
    command: &str,
    headers: &[Header<'_>],
    body: &[u8],
    out: &mut impl bytes::BufMut,
) -> Result<usize, Error> {
    check_fields(command, headers)?;
    let len = encoded_len(command, headers, body);
    if out.remaining_mut() < len {
        return Err(Error::BufferTooSmall);
    }
    out.put_slice(VERSION.as_bytes());
    out.put_u8(b' ');
    out.put_slice(command.as_bytes());
    out.put_slice(b"\r\n");
    for h in headers {
        out.put_slice(h.name.as_bytes());
        out.put_u8(b':');
        out.put_slice(h.value.as_bytes());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
    Ok(len)
}

fn headers_len(headers: &[Header<'_>]) -> usize {
    headers.iter().map(|h| h.name.len() + 1 + h.value.len() + 2).sum()
}

fn part_len(p: &PartFields<'_>) -> usize {
    headers_len(p.headers) + 2 + p.body.len()
}

/// `(length of the offsets text, length of the body)` for `parts`.
fn multipart_sizes(parts: &[PartFields<'_>]) -> (usize, usize) {
    let mut offset = 0;
    let mut text = parts.len().saturating_sub(1); // the spaces
    for p in parts {
        text += decimal_len(offset);
        offset += part_len(p);
    }
    (text, offset)
}

fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

fn check_fields(command: &str, headers: &[Header<'_>]) -> Result<(), Error> {
    if !is_command(command.as_bytes()) {
        return Err(Error::Command);
    }
    check_headers(headers)
}

fn check_headers(headers: &[Header<'_>]) -> Result<(), Error> {
    for h in headers {
        if !is_token_str(h.name.as_bytes()) {
            return Err(Error::HeaderName);
        }
        if !is_encodable_value(h.value) {
            return Err(Error::HeaderValue);
        }
    }
    Ok(())
}

/// A cursor over an output buffer already known to be large enough.
struct Writer<'o> {
    out: &'o mut [u8],
    pos: usize,
}

impl<'o> Writer<'o> {
    fn new(out: &'o mut [u8], len: usize) -> Result<Self, Error> {
        if out.len() < len {
            return Err(Error::BufferTooSmall);
        }
        Ok(Writer { out, pos: 0 })
    }

    fn put(&mut self, b: &[u8]) {
        self.out[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }

    fn start_line(&mut self, command: &str) {
        self.put(VERSION.as_bytes());
        self.put(b" ");
        self.put(command.as_bytes());
        self.put(b"\r\n");
    }

    fn headers(&mut self, headers: &[Header<'_>]) {
        for h in headers {
            self.put(h.name.as_bytes());
            self.put(b":");
            self.put(h.value.as_bytes());
            self.put(b"\r\n");
        }
    }

    fn decimal(&mut self, n: usize) {
        let mut digits = [0u8; 20];
        let len = decimal_len(n);
        let mut m = n;
        for d in digits[..len].iter_mut().rev() {
            *d = b'0' + (m % 10) as u8;
            m /= 10;
        }
        self.put(&digits[..len]);
    }
}
