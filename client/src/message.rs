//! The owned LHTTP message: what the client sends and receives, and what the
//! Python and Node SDKs wrap. Reading and writing go through `lhttp_core`; this
//! type only owns the fields.

use lhttp_core::{Header, PartFields, EMPTY_HEADER};

/// The most headers (per message or per part) that [`Message::parse`] accepts.
pub const MAX_HEADERS: usize = 1024;

/// An owned LHTTP message: a command, headers in order (duplicates kept) and a body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The command of the start line.
    command: String,
    /// The headers as sent, names with their original case.
    headers: Vec<(String, String)>,
    /// Everything after the blank line.
    body: Vec<u8>,
}

/// A part to build with [`Message::multipart`]: its headers and its body.
pub type PartSpec = (Vec<(String, String)>, Vec<u8>);

/// One part of a multipart message, owned: its place in the body and its contents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// Where the part starts in the message body.
    pub start: usize,
    /// The part's length in the message body (headers, blank line and body).
    pub len: usize,
    /// The part's headers in order.
    pub headers: Vec<(String, String)>,
    /// The part's body.
    pub body: Vec<u8>,
}

impl Message {
    /// A message with this command, no headers and an empty body.
    pub fn new(command: impl Into<String>) -> Message {
        Message {
            command: command.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header after the existing ones.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Message {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Message {
        self.body = body.into();
        self
    }

    /// Parses one encoded message with [`lhttp_core::parse()`], copying its fields.
    ///
    /// ```
    /// let msg = lhttp_client::Message::parse(b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi").unwrap();
    /// assert_eq!(msg.command(), "chat");
    /// assert_eq!(msg.header("PUBLISH"), Some("room"));
    /// assert_eq!(msg.body_text(), Some("hi"));
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<Message, lhttp_core::Error> {
        with_header_storage(|storage| {
            let view = lhttp_core::parse(bytes, storage)?;
            Ok(Message {
                command: view.command.to_owned(),
                headers: owned_headers(view.headers),
                body: view.body.to_vec(),
            })
        })
    }

    /// Encodes the message with [`lhttp_core::encode()`].
    pub fn encode(&self) -> Result<Vec<u8>, lhttp_core::Error> {
        let headers = borrowed_headers(&self.headers);
        let mut out = vec![0; lhttp_core::encoded_len(&self.command, &headers, &self.body)];
        let n = lhttp_core::encode(&self.command, &headers, &self.body, &mut out)?;
        out.truncate(n);
        Ok(out)
    }

    /// Builds a multipart message with [`lhttp_core::encode_multipart`]: `headers`
    /// first, then the `multipart` header core computes, then the parts.
    ///
    /// ```
    /// use lhttp_client::Message;
    /// let parts = [(vec![("name".to_string(), "a.txt".to_string())], b"AAA".to_vec())];
    /// let msg = Message::multipart("upload", &[], &parts).unwrap();
    /// assert_eq!(msg.header("multipart"), Some("0"));
    /// assert_eq!(msg.parts().unwrap()[0].body, b"AAA");
    /// ```
    pub fn multipart(
        command: &str,
        headers: &[(String, String)],
        parts: &[PartSpec],
    ) -> Result<Message, lhttp_core::Error> {
        let headers = borrowed_headers(headers);
        let part_headers: Vec<Vec<Header<'_>>> = parts.iter().map(|(h, _)| borrowed_headers(h)).collect();
        let fields: Vec<PartFields<'_>> = part_headers
            .iter()
            .zip(parts)
            .map(|(h, (_, body))| PartFields { headers: h, body })
            .collect();
        let mut out = vec![0; lhttp_core::multipart_encoded_len(command, &headers, &fields)];
        let n = lhttp_core::encode_multipart(command, &headers, &fields, &mut out)?;
        Message::parse(&out[..n])
    }

    /// The command, e.g. `chat`.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Every header in order, duplicates kept.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, when it is valid UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The channels listed in every header called `name` (see [`lhttp_core::Channels`]).
    pub fn channels(&self, name: &str) -> Vec<String> {
        let headers = borrowed_headers(&self.headers);
        lhttp_core::Channels::new(&headers, name).map(str::to_owned).collect()
    }

    /// The parts of a multipart body, checked by core; empty without a `multipart` header.
    pub fn parts(&self) -> Result<Vec<Part>, lhttp_core::Error> {
        let headers = borrowed_headers(&self.headers);
        let view = self.view(&headers);
        let Some(parts) = view.parts() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for part in parts {
            let part = part?;
            let (headers, body) = with_header_storage(|storage| {
                let p = part.parse(&self.body, storage)?;
                Ok((owned_headers(p.headers), p.body.to_vec()))
            })?;
            out.push(Part {
                start: part.start,
                len: part.len,
                headers,
                body,
            });
        }
        Ok(out)
    }

    /// Core's borrowed view of this message, over `headers` built from it.
    pub fn view<'h, 'b>(&'b self, headers: &'h [Header<'b>]) -> lhttp_core::Message<'h, 'b> {
        lhttp_core::Message {
            command: &self.command,
            headers,
            body: &self.body,
        }
    }
}

/// Core headers borrowing from owned pairs.
pub(crate) fn borrowed_headers(headers: &[(String, String)]) -> Vec<Header<'_>> {
    headers.iter().map(|(name, value)| Header { name, value }).collect()
}

fn owned_headers(headers: &[Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect()
}

/// Runs `f` with header storage: 64 headers on the stack (no allocation, and
/// room for nearly every real message), then heap storage growing on
/// [`lhttp_core::Error::TooManyHeaders`] up to [`MAX_HEADERS`].
fn with_header_storage<'b, T>(
    mut f: impl FnMut(&mut [Header<'b>]) -> Result<T, lhttp_core::Error>,
) -> Result<T, lhttp_core::Error> {
    const STACK: usize = 64;
    let mut stack = [EMPTY_HEADER; STACK];
    match f(&mut stack) {
        Err(lhttp_core::Error::TooManyHeaders) if STACK < MAX_HEADERS => {}
        other => return other,
    }
    let mut size = (STACK * 4).min(MAX_HEADERS);
    loop {
        let mut storage = vec![EMPTY_HEADER; size];
        match f(&mut storage) {
            Err(lhttp_core::Error::TooManyHeaders) if size < MAX_HEADERS => size = (size * 4).min(MAX_HEADERS),
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lhttp_core::Error as CoreError;

    #[test]
    fn builds_encodes_and_parses_back() {
        let msg = Message::new("chat")
            .with_header("publish", "room1 room2")
            .with_header("X-Token", "a:b")
            .with_body("hello");
        let bytes = msg.encode().unwrap();
        assert_eq!(
            bytes,
            b"LHTTP/1.0 chat\r\npublish:room1 room2\r\nX-Token:a:b\r\n\r\nhello"
        );
        let back = Message::parse(&bytes).unwrap();
        assert_eq!(back, msg);
        assert_eq!(back.header("x-token"), Some("a:b"));
        assert_eq!(back.channels("publish"), ["room1", "room2"]);
    }

    #[test]
    fn invalid_fields_give_core_errors() {
        assert_eq!(Message::new("bad command").encode(), Err(CoreError::Command));
        assert_eq!(
            Message::new("c").with_header("a b", "v").encode(),
            Err(CoreError::HeaderName)
        );
        assert_eq!(
            Message::new("c").with_header("a", " v").encode(),
            Err(CoreError::HeaderValue)
        );
        assert_eq!(Message::parse(b"HTTP/1.1 x\r\n\r\n"), Err(CoreError::Version));
    }

    #[test]
    fn many_headers_grow_the_storage_up_to_the_limit() {
        let mut msg = Message::new("many");
        for i in 0..300 {
            msg = msg.with_header(format!("h{i}"), "v");
        }
        let parsed = Message::parse(&msg.encode().unwrap()).unwrap();
        assert_eq!(parsed.headers().len(), 300);

        let mut too_many = Message::new("many");
        for i in 0..=MAX_HEADERS {
            too_many = too_many.with_header(format!("h{i}"), "v");
        }
        assert_eq!(
            Message::parse(&too_many.encode().unwrap()),
            Err(CoreError::TooManyHeaders)
        );
    }

    #[test]
    fn multipart_round_trip() {
        let parts = vec![
            (vec![("k1".to_string(), "v1".to_string())], b"body1".to_vec()),
            (vec![("k2".to_string(), "v2".to_string())], b"body2".to_vec()),
        ];
        let msg = Message::multipart("upload", &[("id".into(), "7".into())], &parts).unwrap();
        assert_eq!(msg.header("multipart"), Some("0 14"));
        assert_eq!(msg.header("id"), Some("7"));
        let got = msg.parts().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[1].start, got[1].len), (14, 14));
        assert_eq!(got[1].headers, parts[1].0);
        assert_eq!(got[1].body, b"body2");
        assert_eq!(Message::multipart("upload", &[], &[]), Err(CoreError::PartOffset));
    }

    #[test]
    fn bad_parts_are_reported() {
        let msg = Message::new("u")
            .with_header("multipart", "0 99")
            .with_body("a:b\r\n\r\nc");
        assert_eq!(msg.parts(), Err(CoreError::PartOffset));
        assert_eq!(Message::new("u").parts(), Ok(vec![]));
    }
}
