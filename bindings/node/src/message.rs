//! The `Message` and `Part` classes: read-only JavaScript views of an owned
//! [`lhttp_client::Message`]. Lookups and splitting are done by the Rust side
//! (core's rules); the getters only copy values out.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::core_error;

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
        let headers = borrowed(self.inner.headers());
        let view = self.inner.view(&headers);
        view.header_values(&name).map(str::to_owned).collect()
    }

    /// The channels listed in every header called `name` (`subscribe`, `publish`, `unsubscribe`).
    #[napi]
    pub fn channels(&self, name: String) -> Vec<String> {
        self.inner.channels(&name)
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

    /// The parts of a multipart body (empty without a `multipart` header).
    /// Throws with `code` `PartOffset`, `Part`, `HeaderName`... when the body does not match its offsets.
    #[napi]
    pub fn parts(&self) -> napi::Result<Vec<Part>, String> {
        let parts = self.inner.parts().map_err(core_error)?;
        Ok(parts.into_iter().map(Part::from).collect())
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
}

/// One part of a multipart message: its place in the message body, its headers and its body.
#[napi]
pub struct Part {
    /// The owned part this view reads from.
    inner: lhttp_client::Part,
}

impl From<lhttp_client::Part> for Part {
    fn from(inner: lhttp_client::Part) -> Part {
        Part { inner }
    }
}

#[napi]
impl Part {
    /// Where the part starts in the message body (its offset in the `multipart` header).
    #[napi(getter)]
    pub fn start(&self) -> u32 {
        saturating_u32(self.inner.start)
    }

    /// The part's length in the message body, its headers and blank line included.
    #[napi(getter, js_name = "len")]
    pub fn part_len(&self) -> u32 {
        saturating_u32(self.inner.len)
    }

    /// The part's headers as `[name, value]` pairs, in order.
    #[napi(getter)]
    pub fn headers(&self) -> Vec<(String, String)> {
        self.inner.headers.clone()
    }

    /// The value of the part's first header called `name` (ASCII case-insensitive), or `null`.
    #[napi]
    pub fn header(&self, name: String) -> Option<String> {
        let headers = borrowed(&self.inner.headers);
        let view = lhttp_core::PartMessage {
            headers: &headers,
            body: &self.inner.body,
        };
        view.header(&name).map(str::to_owned)
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

/// Core header views over owned pairs, for core's lookups.
fn borrowed(headers: &[(String, String)]) -> Vec<lhttp_core::Header<'_>> {
    headers
        .iter()
        .map(|(name, value)| lhttp_core::Header { name, value })
        .collect()
}

/// Offsets fit in a JS number; bodies over 4 GiB are not something a WebSocket message carries.
fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
