//! The `Message` and `Part` classes: read-only JavaScript views of core's owned
//! message ([`lhttp_core::OwnedMessage`], which `lhttp-client` sends and receives).
//! Lookups, splitting and header rules are core's; the getters only copy values out.

use lhttp_core::{OwnedMessage, OwnedPart};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::{client_error, core_error};
use crate::input::count;
use crate::presence::{event_of, PresenceEvent};

/// A parsed LHTTP message: command, headers in order (duplicates kept) and body.
#[napi]
pub struct Message {
    /// The owned message this view reads from.
    inner: OwnedMessage,
}

impl From<OwnedMessage> for Message {
    fn from(inner: OwnedMessage) -> Message {
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
        self.inner.header_values(&name).into_iter().map(str::to_owned).collect()
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
        let up = self.inner.upstream().transpose().map_err(core_error)?;
        Ok(up.map(|(method, url)| Upstream { method, url }))
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
        let parts = self
            .inner
            .parts_with_limits(max_parts, max_headers)
            .map_err(core_error)?;
        Ok(parts.into_iter().map(Part::from).collect())
    }

    /// The presence event this received message is (spec 15.3): `{ kind, channel,
    /// client, uid, info, reason }` for a `join` or `leave`, `null` for any other
    /// message (a publication, a reply). Read by the session; a `join` / `leave`
    /// without `channel` or `client`, or whose body is not a JSON object of strings,
    /// throws with `code` `Internal`.
    #[napi]
    pub fn presence_event(&self) -> napi::Result<Option<PresenceEvent>, String> {
        event_of(&self.inner).transpose().map_err(|e| client_error(&e))
    }

    /// The message encoded again as LHTTP bytes.
    #[napi]
    pub fn encode(&self) -> napi::Result<Buffer, String> {
        Ok(self.inner.encode().map_err(core_error)?.into())
    }
}

impl Message {
    /// The owned message behind this view.
    pub fn inner(&self) -> &OwnedMessage {
        &self.inner
    }
}

/// One part of a multipart message: its place in the message body, its headers and its body.
#[napi]
pub struct Part {
    /// The owned part, as core read it.
    inner: OwnedPart,
}

impl From<OwnedPart> for Part {
    fn from(inner: OwnedPart) -> Part {
        Part { inner }
    }
}

#[napi]
impl Part {
    /// Where the part starts in the message body (its offset in the `multipart` header).
    #[napi(getter)]
    pub fn start(&self) -> u32 {
        to_u32(self.inner.start)
    }

    /// The part's length in the message body, its headers and blank line included.
    #[napi(getter, js_name = "len")]
    pub fn part_len(&self) -> u32 {
        to_u32(self.inner.len)
    }

    /// Where the part's own body starts in the message body (after its blank line).
    #[napi(getter)]
    pub fn body_start(&self) -> u32 {
        to_u32(self.inner.body_start)
    }

    /// The part's headers as `[name, value]` pairs, in order.
    #[napi(getter)]
    pub fn headers(&self) -> Vec<(String, String)> {
        self.inner.headers.clone()
    }

    /// The value of the part's first header called `name` (ASCII case-insensitive), or `null`.
    #[napi]
    pub fn header(&self, name: String) -> Option<String> {
        self.inner.header(&name).map(str::to_owned)
    }

    /// The part's body bytes.
    #[napi(getter)]
    pub fn body(&self) -> Buffer {
        self.inner.body.clone().into()
    }

    /// The part's body as a string, or `null` when it is not valid UTF-8.
    #[napi(getter)]
    pub fn text(&self) -> Option<String> {
        std::str::from_utf8(&self.inner.body).ok().map(str::to_owned)
    }
}

/// An offset as a JS number. A WebSocket message is far below 4 GiB; larger saturates.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
