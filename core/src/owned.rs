//! Owned messages, for code that keeps a message past the buffer it came in
//! (SDK clients, bindings, the server's replies): parsing copies the fields out
//! with header storage that grows as needed, and encoding writes a new `Vec`.
//! Every rule is still the borrowed codec's; this module only owns the fields.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::{Error, Header, Part as PartRange, PartFields, Upstream, EMPTY_HEADER};

/// The most headers (per message or per part) that parsing accepts unless told otherwise.
pub const MAX_HEADERS: usize = 1024;

/// The most parts a multipart body may have unless told otherwise.
pub const MAX_PARTS: usize = 1024;

/// Header pairs as `(name, value)`, in the order sent.
pub type Pairs = Vec<(String, String)>;

/// An owned LHTTP message: a command, headers in order (duplicates kept) and a body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedMessage {
    command: String,
    headers: Pairs,
    body: Vec<u8>,
}

/// A part to build with [`OwnedMessage::multipart`]: its headers and its body.
pub type PartSpec = (Pairs, Vec<u8>);

/// One part of a multipart message, owned: its place in the body and its contents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedPart {
    /// Where the part starts in the message body.
    pub start: usize,
    /// The part's length in the message body (headers, blank line and body).
    pub len: usize,
    /// Where the part's own body starts in the message body.
    pub body_start: usize,
    /// The part's headers in order.
    pub headers: Pairs,
    /// The part's body.
    pub body: Vec<u8>,
}

impl OwnedPart {
    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }
}

impl OwnedMessage {
    /// A message with this command, no headers and an empty body.
    pub fn new(command: impl Into<String>) -> OwnedMessage {
        OwnedMessage {
            command: command.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header after the existing ones.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> OwnedMessage {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> OwnedMessage {
        self.body = body.into();
        self
    }

    /// Parses one encoded message, copying its fields; up to [`MAX_HEADERS`] headers.
    ///
    /// ```
    /// let msg = lhttp_core::OwnedMessage::parse(b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi").unwrap();
    /// assert_eq!(msg.command(), "chat");
    /// assert_eq!(msg.header("PUBLISH"), Some("room"));
    /// assert_eq!(msg.body_text(), Some("hi"));
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<OwnedMessage, Error> {
        OwnedMessage::parse_with_limit(bytes, None)
    }

    /// [`parse`](Self::parse) with a header limit: `Some(n)` sizes the storage
    /// exactly (more is `TooManyHeaders`); `None` grows it up to [`MAX_HEADERS`].
    pub fn parse_with_limit(bytes: &[u8], max_headers: Option<usize>) -> Result<OwnedMessage, Error> {
        with_header_storage(max_headers, |storage| {
            let view = crate::parse(bytes, storage)?;
            Ok(OwnedMessage {
                command: view.command.to_owned(),
                headers: owned_pairs(view.headers),
                body: view.body.to_vec(),
            })
        })
    }

    /// Encodes the message into a new `Vec`.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        encode(&self.command, &self.headers, &self.body)
    }

    /// Encodes the message into `out`, returning the length written.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_into(&self.command, &self.headers, &self.body, out)
    }

    /// Builds a multipart message: `headers` first, then the `multipart` header
    /// core computes, then the parts.
    ///
    /// ```
    /// use lhttp_core::OwnedMessage;
    /// let parts = [(vec![("name".to_string(), "a.txt".to_string())], b"AAA".to_vec())];
    /// let msg = OwnedMessage::multipart("upload", &[], &parts).unwrap();
    /// assert_eq!(msg.header("multipart"), Some("0"));
    /// assert_eq!(msg.parts().unwrap()[0].body, b"AAA");
    /// ```
    pub fn multipart(command: &str, headers: &[(String, String)], parts: &[PartSpec]) -> Result<OwnedMessage, Error> {
        let out = encode_multipart(command, headers, parts)?;
        OwnedMessage::parse(&out)
    }

    /// The command, e.g. `chat`.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Replaces the command (checked when encoding).
    pub fn set_command(&mut self, command: impl Into<String>) {
        self.command = command.into();
    }

    /// Every header in order, duplicates kept.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The headers, to add, change or remove some (checked when encoding).
    pub fn headers_mut(&mut self) -> &mut Pairs {
        &mut self.headers
    }

    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// The values of every header called `name`, in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Vec<u8>>) {
        self.body = body.into();
    }

    /// The body as text, when it is valid UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        core::str::from_utf8(&self.body).ok()
    }

    /// The fields, taken apart: command, headers and body.
    pub fn into_fields(self) -> (String, Pairs, Vec<u8>) {
        (self.command, self.headers, self.body)
    }

    /// The channels listed in every header called `name` (see [`crate::Channels`]).
    pub fn channels(&self, name: &str) -> Vec<String> {
        self.with_view(|m| m.channels(name).map(str::to_owned).collect())
    }

    /// The `upstream` header as `(method, url)`; `None` when absent.
    pub fn upstream(&self) -> Option<Result<(String, String), Error>> {
        self.header(crate::names::UPSTREAM)
            .map(|v| Upstream::parse(v).map(|u| (u.method.to_owned(), u.url.to_owned())))
    }

    /// The parts of a multipart body, checked by core; empty without a
    /// `multipart` header. Up to [`MAX_PARTS`] parts of [`MAX_HEADERS`] headers.
    pub fn parts(&self) -> Result<Vec<OwnedPart>, Error> {
        self.parts_with_limits(None, None)
    }

    /// [`parts`](Self::parts) with limits: `Some(n)` is exact (more parts is
    /// `TooManyParts`, more headers in a part `TooManyHeaders`), `None` the defaults.
    pub fn parts_with_limits(
        &self,
        max_parts: Option<usize>,
        max_part_headers: Option<usize>,
    ) -> Result<Vec<OwnedPart>, Error> {
        let ranges: Vec<PartRange> = self.with_view(|m| {
            let Some(parts) = m.parts() else {
                return Ok(Vec::new());
            };
            let limit = max_parts.unwrap_or(MAX_PARTS);
            let mut out = Vec::new();
            for part in parts {
                if out.len() == limit {
                    return Err(Error::TooManyParts);
                }
                out.push(part?);
            }
            Ok(out)
        })?;
        ranges
            .into_iter()
            .map(|range| {
                let (headers, body) = with_header_storage(max_part_headers, |storage| {
                    let p = range.parse(&self.body, storage)?;
                    Ok((owned_pairs(p.headers), p.body.to_vec()))
                })?;
                Ok(OwnedPart {
                    start: range.start,
                    len: range.len,
                    body_start: range.body_start,
                    headers,
                    body,
                })
            })
            .collect()
    }

    /// Runs `f` on core's borrowed view of this message.
    pub fn with_view<T>(&self, f: impl FnOnce(&crate::Message<'_, '_>) -> T) -> T {
        let headers = borrowed(&self.headers);
        f(&crate::Message {
            command: &self.command,
            headers: &headers,
            body: &self.body,
        })
    }
}

/// Encodes `command`, `headers` and `body` into a new `Vec` (core's `encode` rules).
pub fn encode(command: &str, headers: &[(String, String)], body: &[u8]) -> Result<Vec<u8>, Error> {
    let headers = borrowed(headers);
    let mut out = vec![0; crate::encoded_len(command, &headers, body)];
    let n = crate::encode(command, &headers, body, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// Encodes into `out`, returning the length written (core's `encode` rules).
pub fn encode_into(command: &str, headers: &[(String, String)], body: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    crate::encode(command, &borrowed(headers), body, out)
}

/// Encodes a multipart message into a new `Vec` (core's `encode_multipart` rules).
pub fn encode_multipart(command: &str, headers: &[(String, String)], parts: &[PartSpec]) -> Result<Vec<u8>, Error> {
    with_part_fields(headers, parts, |headers, fields| {
        let mut out = vec![0; crate::multipart_encoded_len(command, headers, fields)];
        let n = crate::encode_multipart(command, headers, fields, &mut out)?;
        out.truncate(n);
        Ok(out)
    })
}

/// Encodes a multipart message into `out`, returning the length written.
pub fn encode_multipart_into(
    command: &str,
    headers: &[(String, String)],
    parts: &[PartSpec],
    out: &mut [u8],
) -> Result<usize, Error> {
    with_part_fields(headers, parts, |headers, fields| {
        crate::encode_multipart(command, headers, fields, out)
    })
}

fn with_part_fields<T>(
    headers: &[(String, String)],
    parts: &[PartSpec],
    f: impl FnOnce(&[Header<'_>], &[PartFields<'_>]) -> T,
) -> T {
    let headers = borrowed(headers);
    let part_headers: Vec<Vec<Header<'_>>> = parts.iter().map(|(h, _)| borrowed(h)).collect();
    let fields: Vec<PartFields<'_>> = part_headers
        .iter()
        .zip(parts)
        .map(|(h, (_, body))| PartFields { headers: h, body })
        .collect();
    f(&headers, &fields)
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Core headers borrowing from owned pairs.
pub fn borrowed(headers: &[(String, String)]) -> Vec<Header<'_>> {
    headers.iter().map(|(name, value)| Header { name, value }).collect()
}

/// Owned pairs copied from core headers.
pub fn owned_pairs(headers: &[Header<'_>]) -> Pairs {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect()
}

/// Runs `f` with header storage: with a limit, exactly that many; without, 64
/// headers on the stack (no allocation, room for nearly every real message),
/// then heap storage growing fourfold on `TooManyHeaders` up to [`MAX_HEADERS`].
pub fn with_header_storage<'b, T>(
    limit: Option<usize>,
    mut f: impl FnMut(&mut [Header<'b>]) -> Result<T, Error>,
) -> Result<T, Error> {
    if let Some(n) = limit {
        return f(&mut vec![EMPTY_HEADER; n]);
    }
    const STACK: usize = 64;
    let mut stack = [EMPTY_HEADER; STACK];
    match f(&mut stack) {
        Err(Error::TooManyHeaders) => {}
        other => return other,
    }
    let mut size = (STACK * 4).min(MAX_HEADERS);
    loop {
        let mut storage = vec![EMPTY_HEADER; size];
        match f(&mut storage) {
            Err(Error::TooManyHeaders) if size < MAX_HEADERS => size = (size * 4).min(MAX_HEADERS),
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn builds_encodes_and_parses_back() {
        let msg = OwnedMessage::new("chat")
            .with_header("publish", "room1 room2")
            .with_header("X-Token", "a:b")
            .with_body("hello");
        let bytes = msg.encode().unwrap();
        assert_eq!(
            bytes,
            b"LHTTP/1.0 chat\r\npublish:room1 room2\r\nX-Token:a:b\r\n\r\nhello"
        );
        let back = OwnedMessage::parse(&bytes).unwrap();
        assert_eq!(back, msg);
        assert_eq!(back.header("x-token"), Some("a:b"));
        assert_eq!(back.channels("publish"), ["room1", "room2"]);
    }

    #[test]
    fn invalid_fields_give_core_errors() {
        assert_eq!(OwnedMessage::new("bad command").encode(), Err(Error::Command));
        assert_eq!(
            OwnedMessage::new("c").with_header("a b", "v").encode(),
            Err(Error::HeaderName)
        );
        assert_eq!(
            OwnedMessage::new("c").with_header("a", " v").encode(),
            Err(Error::HeaderValue)
        );
        assert_eq!(OwnedMessage::parse(b"HTTP/1.1 x\r\n\r\n"), Err(Error::Version));
    }

    #[test]
    fn storage_grows_up_to_the_limit_or_is_exact() {
        let mut msg = OwnedMessage::new("many");
        for i in 0..300 {
            msg = msg.with_header(format!("h{i}"), "v");
        }
        let bytes = msg.encode().unwrap();
        assert_eq!(OwnedMessage::parse(&bytes).unwrap().headers().len(), 300);
        assert_eq!(
            OwnedMessage::parse_with_limit(&bytes, Some(299)),
            Err(Error::TooManyHeaders)
        );
        let mut too_many = OwnedMessage::new("many");
        for i in 0..=MAX_HEADERS {
            too_many = too_many.with_header(format!("h{i}"), "v");
        }
        assert_eq!(
            OwnedMessage::parse(&too_many.encode().unwrap()),
            Err(Error::TooManyHeaders)
        );
    }

    #[test]
    fn multipart_round_trip_and_limits() {
        let parts = vec![
            (vec![("k1".to_string(), "v1".to_string())], b"body1".to_vec()),
            (vec![("k2".to_string(), "v2".to_string())], b"body2".to_vec()),
        ];
        let msg = OwnedMessage::multipart("upload", &[("id".into(), "7".into())], &parts).unwrap();
        assert_eq!(msg.header("multipart"), Some("0 14"));
        let got = msg.parts().unwrap();
        assert_eq!((got[1].start, got[1].len, got[1].body_start), (14, 14, 23));
        assert_eq!(got[1].headers, parts[1].0);
        assert_eq!(got[1].body, b"body2");
        assert_eq!(msg.parts_with_limits(Some(1), None), Err(Error::TooManyParts));
        assert_eq!(OwnedMessage::multipart("upload", &[], &[]), Err(Error::PartOffset));
        let bad = OwnedMessage::new("u")
            .with_header("multipart", "0 99")
            .with_body("a:b\r\n\r\nc");
        assert_eq!(bad.parts(), Err(Error::PartOffset));
        assert_eq!(OwnedMessage::new("u").parts(), Ok(vec![]));
    }
}
