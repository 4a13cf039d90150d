//! Owned copies of core's borrowed views, so JavaScript objects can outlive the
//! call that parsed them. Everything here is plain Rust over `lhttp-core` (no
//! JavaScript types), which is what lets the host test suite cover it.

use lhttp_core::{Error, Header, PartFields, EMPTY_HEADER};

/// The most headers a message (or a part) may have when the caller sets no limit.
pub const DEFAULT_MAX_HEADERS: usize = 1024;

/// The most parts a multipart body may have when the caller sets no limit.
pub const DEFAULT_MAX_PARTS: usize = 1024;

/// Header pairs as `(name, value)`, in the order sent.
pub type Pairs = Vec<(String, String)>;

/// A parsed message that owns its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    /// The whole message as received; the body is its tail.
    bytes: Vec<u8>,
    /// The command of the start line.
    pub command: String,
    /// The headers in order, duplicates kept, names in their original case.
    pub headers: Pairs,
    /// Where the body starts in `bytes`.
    body_start: usize,
}

/// One part of a multipart body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPart {
    /// Where the part starts in the message body.
    pub start: usize,
    /// The part's length: headers, blank line and body.
    pub len: usize,
    /// Where the part's body starts in the message body.
    pub body_start: usize,
    /// The part's headers in order.
    pub headers: Pairs,
    /// The part's body.
    pub body: Vec<u8>,
}

impl OwnedMessage {
    /// Parses `bytes` with [`lhttp_core::parse`]. With `max_headers` the header
    /// storage holds exactly that many (more is `TooManyHeaders`); without it the
    /// storage grows up to [`DEFAULT_MAX_HEADERS`].
    pub fn parse(bytes: Vec<u8>, max_headers: Option<usize>) -> Result<OwnedMessage, Error> {
        let (command, headers, body_len) = with_header_storage(max_headers, |storage| {
            let msg = lhttp_core::parse(&bytes, storage)?;
            Ok((msg.command.to_owned(), owned_pairs(msg.headers), msg.body.len()))
        })?;
        let body_start = bytes.len() - body_len;
        Ok(OwnedMessage {
            bytes,
            command,
            headers,
            body_start,
        })
    }

    /// The body: everything after the blank line.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.body_start..]
    }

    /// Runs `f` on core's view of this message.
    pub fn with_view<T>(&self, f: impl FnOnce(&lhttp_core::Message<'_, '_>) -> T) -> T {
        let headers = borrowed(&self.headers);
        f(&lhttp_core::Message {
            command: &self.command,
            headers: &headers,
            body: self.body(),
        })
    }

    /// The value of the first header called `name` (core's case-insensitive lookup).
    pub fn header(&self, name: &str) -> Option<String> {
        self.with_view(|m| m.header(name).map(str::to_owned))
    }

    /// The values of every header called `name`, in order.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.with_view(|m| m.header_values(name).map(str::to_owned).collect())
    }

    /// The channels listed in every header called `name`.
    pub fn channels(&self, name: &str) -> Vec<String> {
        self.with_view(|m| m.channels(name).map(str::to_owned).collect())
    }

    /// The `upstream` header as `(method, url)`; `None` when absent.
    pub fn upstream(&self) -> Option<Result<(String, String), Error>> {
        self.with_view(|m| m.upstream().map(|u| u.map(|u| (u.method.to_owned(), u.url.to_owned()))))
    }

    /// The parts of a multipart body, each checked and read by core; empty without
    /// a `multipart` header. `max_parts` / `max_part_headers` size the storage
    /// exactly; without them it grows up to the defaults.
    pub fn parts(&self, max_parts: Option<usize>, max_part_headers: Option<usize>) -> Result<Vec<OwnedPart>, Error> {
        let body = self.body();
        let found = self.with_view(|m| {
            let mut size = max_parts.unwrap_or(16.min(DEFAULT_MAX_PARTS));
            loop {
                let mut storage = vec![lhttp_core::Part::default(); size];
                match m.split_parts(&mut storage) {
                    Err(Error::TooManyParts) if max_parts.is_none() && size < DEFAULT_MAX_PARTS => {
                        size = (size * 4).min(DEFAULT_MAX_PARTS);
                    }
                    other => return other.map(<[_]>::to_vec),
                }
            }
        })?;
        found
            .into_iter()
            .map(|part| {
                let (headers, part_body) = with_header_storage(max_part_headers, |storage| {
                    let p = part.parse(body, storage)?;
                    Ok((owned_pairs(p.headers), p.body.to_vec()))
                })?;
                Ok(OwnedPart {
                    start: part.start,
                    len: part.len,
                    body_start: part.body_start,
                    headers,
                    body: part_body,
                })
            })
            .collect()
    }
}

impl OwnedPart {
    /// The value of the part's first header called `name` (core's lookup).
    pub fn header(&self, name: &str) -> Option<String> {
        let headers = borrowed(&self.headers);
        let view = lhttp_core::PartMessage {
            headers: &headers,
            body: &self.body,
        };
        view.header(name).map(str::to_owned)
    }
}

/// Encodes a message with [`lhttp_core::encode`] into a new vector.
pub fn encode(command: &str, headers: &[(String, String)], body: &[u8]) -> Result<Vec<u8>, Error> {
    let headers = borrowed(headers);
    let mut out = vec![0; lhttp_core::encoded_len(command, &headers, body)];
    let n = lhttp_core::encode(command, &headers, body, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// Encodes a message with [`lhttp_core::encode`] into the caller's buffer.
pub fn encode_into(command: &str, headers: &[(String, String)], body: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    lhttp_core::encode(command, &borrowed(headers), body, out)
}

/// Encodes a multipart message with [`lhttp_core::encode_multipart`] into a new vector.
pub fn encode_multipart(
    command: &str,
    headers: &[(String, String)],
    parts: &[(Pairs, Vec<u8>)],
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let n = with_part_fields(headers, parts, |headers, fields| {
        out = vec![0; lhttp_core::multipart_encoded_len(command, headers, fields)];
        lhttp_core::encode_multipart(command, headers, fields, &mut out)
    })?;
    out.truncate(n);
    Ok(out)
}

/// Encodes a multipart message with [`lhttp_core::encode_multipart`] into the caller's buffer.
pub fn encode_multipart_into(
    command: &str,
    headers: &[(String, String)],
    parts: &[(Pairs, Vec<u8>)],
    out: &mut [u8],
) -> Result<usize, Error> {
    with_part_fields(headers, parts, |headers, fields| {
        lhttp_core::encode_multipart(command, headers, fields, out)
    })
}

/// Runs `f` on core's views of owned headers and parts.
fn with_part_fields<T>(
    headers: &[(String, String)],
    parts: &[(Pairs, Vec<u8>)],
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

/// Core header views over owned pairs.
fn borrowed(pairs: &[(String, String)]) -> Vec<Header<'_>> {
    pairs.iter().map(|(name, value)| Header { name, value }).collect()
}

fn owned_pairs(headers: &[Header<'_>]) -> Pairs {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect()
}

/// Runs `f` with header storage: exactly `max` entries when given, otherwise
/// storage that grows on `TooManyHeaders` up to [`DEFAULT_MAX_HEADERS`].
fn with_header_storage<'b, T>(
    max: Option<usize>,
    mut f: impl FnMut(&mut [Header<'b>]) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut size = max.unwrap_or(16);
    loop {
        let mut storage = vec![EMPTY_HEADER; size];
        match f(&mut storage) {
            Err(Error::TooManyHeaders) if max.is_none() && size < DEFAULT_MAX_HEADERS => {
                size = (size * 4).min(DEFAULT_MAX_HEADERS);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parse_copies_every_field() {
        let raw = b"LHTTP/1.0 chat\r\nPublish:room a\r\nx:a:b\r\n\r\nbody\r\n\r\ntail".to_vec();
        let msg = OwnedMessage::parse(raw, None).unwrap();
        assert_eq!(msg.command, "chat");
        assert_eq!(msg.headers, pairs(&[("Publish", "room a"), ("x", "a:b")]));
        assert_eq!(msg.header("PUBLISH").as_deref(), Some("room a"));
        assert_eq!(msg.header("missing"), None);
        assert_eq!(msg.channels("publish"), ["room", "a"]);
        assert_eq!(msg.body(), b"body\r\n\r\ntail");
    }

    #[test]
    fn header_limit_is_exact_when_given_and_grows_otherwise() {
        let raw = b"LHTTP/1.0 c\r\na:1\r\nb:2\r\n\r\n";
        assert_eq!(OwnedMessage::parse(raw.to_vec(), Some(1)), Err(Error::TooManyHeaders));
        assert_eq!(OwnedMessage::parse(raw.to_vec(), Some(2)).unwrap().headers.len(), 2);

        let mut many = b"LHTTP/1.0 c\r\n".to_vec();
        for _ in 0..200 {
            many.extend_from_slice(b"h:v\r\n");
        }
        assert_eq!(OwnedMessage::parse(many.clone(), None).unwrap().headers.len(), 200);
        for _ in 200..=DEFAULT_MAX_HEADERS {
            many.extend_from_slice(b"h:v\r\n");
        }
        assert_eq!(OwnedMessage::parse(many, None), Err(Error::TooManyHeaders));
    }

    #[test]
    fn parts_are_offsets_headers_and_bodies() {
        let raw = b"LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2".to_vec();
        let msg = OwnedMessage::parse(raw, None).unwrap();
        let parts = msg.parts(None, None).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[1].start, parts[1].len, parts[1].body_start), (14, 14, 23));
        assert_eq!(parts[1].header("K2").as_deref(), Some("v2"));
        assert_eq!(parts[1].body, b"body2");
        assert_eq!(msg.parts(Some(1), None), Err(Error::TooManyParts));
    }

    #[test]
    fn upstream_is_read_by_core() {
        let ok = OwnedMessage::parse(b"LHTTP/1.0 c\r\nupstream:POST http://a:1/b\r\n\r\n".to_vec(), None).unwrap();
        assert_eq!(ok.upstream(), Some(Ok(("POST".into(), "http://a:1/b".into()))));
        let bad = OwnedMessage::parse(b"LHTTP/1.0 c\r\nupstream:POST\r\n\r\n".to_vec(), None).unwrap();
        assert_eq!(bad.upstream(), Some(Err(Error::Upstream)));
    }

    #[test]
    fn encode_and_multipart_round_trip() {
        let out = encode("chat", &pairs(&[("publish", "room")]), b"hi").unwrap();
        assert_eq!(out, b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi");
        assert_eq!(encode("bad command", &[], b""), Err(Error::Command));
        let mut small = [0u8; 10];
        assert_eq!(encode_into("chat", &[], b"", &mut small), Err(Error::BufferTooSmall));

        let parts = vec![
            (pairs(&[("k1", "v1")]), b"body1".to_vec()),
            (pairs(&[("k2", "v2")]), b"body2".to_vec()),
        ];
        let out = encode_multipart("upload", &[], &parts).unwrap();
        assert_eq!(
            out,
            b"LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2"
        );
        assert_eq!(encode_multipart("upload", &[], &[]), Err(Error::PartOffset));
        let mut exact = vec![0; out.len()];
        assert_eq!(encode_multipart_into("upload", &[], &parts, &mut exact), Ok(out.len()));
        assert_eq!(exact, out);
        assert_eq!(
            encode_multipart_into("upload", &[], &parts, &mut exact[1..]),
            Err(Error::BufferTooSmall)
        );
    }
}
