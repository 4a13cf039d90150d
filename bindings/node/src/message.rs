//! The `Message` and `Part` classes: read-only JavaScript views of an owned
//! [`lhttp_client::Message`]. Lookups, splitting and header rules are the Rust
//! side's (core's); the getters only copy values out.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::core_error;
use crate::input::{core_headers, count, owned_headers};

/// A parsed LHTTP message: command, headers in order (duplicates kept) and body.
#[napi]
pub struct Message {
    /// The owned message this view reads from.
    inner: lhttp_client::Message,
}

impl From<lhttp_client::Message> for Message {
    fn from(inner: lhttp_client::Message) -> Message {
        Message { inner }
    }
}

/// Storage limits for [`Message::parts`]; without them the parts and their headers
/// are only bounded by the message itself.
#[napi(object)]
pub struct PartsOptions {
    /// At most this many parts; more is an error with `code` `TooManyParts`.
    pub max_parts: Option<u32>,
    /// At most this many headers per part; more is an error with `code` `TooManyHeaders`.
    pub max_part_headers: Option<u32>,
}

/// The `upstream:<METHOD> <URL>` header, read.
#[napi(object)]
pub struct Upstream {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The URL the message is forwarded to.
    pub url: String,
}

#[napi]
impl Message {
    /// The command of the start line, e.g. `chat`.
    #[napi(getter)]
    pub fn command(&self) -> String {
        self.inner.command().to_owned()
    }

    /// Every header as a `[name, value]` pair, in the order sent, names in their original case.
    #[napi(getter)]
    pub fn headers(&self) -> Vec<(String, String)> {
        self.inner.headers().to_vec()
    }

    /// The value of the first header called `name` (ASCII case-insensitive), or `null`.
    #[napi]
    pub fn header(&self, name: String) -> Option<String> {
        self.inner.header(&name).map(str::to_owned)
    }

    /// The values of every header called `name` (ASCII case-insensitive), in order.
    #[napi]
    pub fn header_values(&self, name: String) -> Vec<String> {
        let headers = core_headers(self.inner.headers());
        let view = self.inner.view(&headers);
        view.header_values(&name).map(str::to_owned).collect()
    }

    /// The channels listed in every header called `name` (`subscribe`, `publish`, `unsubscribe`).
    #[napi]
    pub fn channels(&self, name: String) -> Vec<String> {
        self.inner.channels(&name)
    }

    /// The `upstream` header as `{method, url}`, or `null` without one.
    /// Throws with `code` `Upstream` when it is not `<METHOD> <URL>`.
    #[napi]
    pub fn upstream(&self) -> napi::Result<Option<Upstream>, String> {
        let headers = core_headers(self.inner.headers());
        let view = self.inner.view(&headers);
        match view.upstream() {
            None => Ok(None),
            Some(Err(e)) => Err(core_error(e)),
            Some(Ok(up)) => Ok(Some(Upstream {
                method: up.method.to_owned(),
                url: up.url.to_owned(),
            })),
        }
    }

    /// The body bytes (a new `Buffer` on each access).
    #[napi(getter)]
    pub fn body(&self) -> Buffer {
        self.inner.body().to_vec().into()
    }

    /// The body as a string, or `null` when it is not valid UTF-8.
    #[napi(getter)]
    pub fn text(&self) -> Option<String> {
        self.inner.body_text().map(str::to_owned)
    }

    /// The parts of a multipart body (empty without a `multipart` header). Throws with
    /// `code` `PartOffset`, `Part`, `TooManyParts`, `TooManyHeaders`, ... when the body
    /// does not match its offsets or exceeds the given limits.
    #[napi]
    pub fn parts(&self, options: Option<PartsOptions>) -> napi::Result<Vec<Part>, String> {
        let (max_parts, max_headers) = match options {
            Some(o) => (o.max_parts.map(count), o.max_part_headers.map(count)),
            None => (None, None),
        };
        if max_parts.is_none() && max_headers.is_none() {
            let parts = self.inner.parts().map_err(core_error)?;
            return Ok(parts.into_iter().map(Part::from).collect());
        }
        self.limited_parts(max_parts, max_headers).map_err(core_error)
    }

    /// The message encoded again as LHTTP bytes.
    #[napi]
    pub fn encode(&self) -> napi::Result<Buffer, String> {
        Ok(self.inner.encode().map_err(core_error)?.into())
    }
}

impl Message {
    /// The owned message behind this view.
    pub fn inner(&self) -> &lhttp_client::Message {
        &self.inner
    }

    /// The parts read by core into storage of the given sizes (the caller's limits).
    fn limited_parts(
        &self,
        max_parts: Option<usize>,
        max_headers: Option<usize>,
    ) -> Result<Vec<Part>, lhttp_core::Error> {
        let headers = core_headers(self.inner.headers());
        let view = self.inner.view(&headers);
        let found: Vec<lhttp_core::Part> = match max_parts {
            Some(n) => view.split_parts(&mut vec![lhttp_core::Part::default(); n])?.to_vec(),
            None => match view.parts() {
                Some(parts) => parts.collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
        };
        let body = self.inner.body();
        let mut out = Vec::with_capacity(found.len());
        for part in found {
            // Without a header limit, the owned message's own ceiling applies.
            let mut storage = vec![lhttp_core::EMPTY_HEADER; max_headers.unwrap_or(lhttp_client::message::MAX_HEADERS)];
            let read = part.parse(body, &mut storage)?;
            out.push(Part {
                start: part.start,
                len: part.len,
                body_start: part.body_start,
                headers: owned_headers(read.headers),
                body: read.body.to_vec(),
            });
        }
        Ok(out)
    }
}

/// One part of a multipart message: its place in the message body, its headers and its body.
#[napi]
pub struct Part {
    /// Where the part starts in the message body.
    start: usize,
    /// The part's length in the message body (headers, blank line and body).
    len: usize,
    /// Where the part's own body starts in the message body.
    body_start: usize,
    /// The part's headers in order.
    headers: Vec<(String, String)>,
    /// The part's body.
    body: Vec<u8>,
}

impl From<lhttp_client::Part> for Part {
    fn from(p: lhttp_client::Part) -> Part {
        // The part's body is the tail of the part, so it starts this many bytes before the part's end.
        let body_start = (p.start + p.len).saturating_sub(p.body.len());
        Part {
            start: p.start,
            len: p.len,
            body_start,
            headers: p.headers,
            body: p.body,
        }
    }
}

#[napi]
impl Part {
    /// Where the part starts in the message body (its offset in the `multipart` header).
    #[napi(getter)]
    pub fn start(&self) -> u32 {
        to_u32(self.start)
    }

    /// The part's length in the message body, its headers and blank line included.
    #[napi(getter, js_name = "len")]
    pub fn part_len(&self) -> u32 {
        to_u32(self.len)
    }

    /// Where the part's own body starts in the message body (after its blank line).
    #[napi(getter)]
    pub fn body_start(&self) -> u32 {
        to_u32(self.body_start)
    }

    /// The part's headers as `[name, value]` pairs, in order.
    #[napi(getter)]
    pub fn headers(&self) -> Vec<(String, String)> {
        self.headers.clone()
    }

    /// The value of the part's first header called `name` (ASCII case-insensitive), or `null`.
    #[napi]
    pub fn header(&self, name: String) -> Option<String> {
        let headers = core_headers(&self.headers);
        let view = lhttp_core::PartMessage {
            headers: &headers,
            body: &self.body,
        };
        view.header(&name).map(str::to_owned)
    }

    /// The part's body bytes.
    #[napi(getter)]
    pub fn body(&self) -> Buffer {
        self.body.clone().into()
    }

    /// The part's body as a string, or `null` when it is not valid UTF-8.
    #[napi(getter)]
    pub fn text(&self) -> Option<String> {
        std::str::from_utf8(&self.body).ok().map(str::to_owned)
    }
}

/// An offset as a JS number. A WebSocket message is far below 4 GiB; larger saturates.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
