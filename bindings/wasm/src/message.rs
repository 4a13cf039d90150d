//! The `Message` class: a parsed message. Lookups, channel lists, `upstream` and
//! multipart splitting are core's; the getters copy values out to JavaScript.

use lhttp_core::OwnedMessage;
use wasm_bindgen::prelude::*;

use crate::convert::{limit, pairs_to_js};
use crate::error::core_error;
use crate::part::Part;
use crate::upstream::Upstream;

/// A parsed LHTTP message: command, headers in order (duplicates kept) and body.
#[wasm_bindgen]
pub struct Message {
    /// The owned message this view reads from.
    inner: OwnedMessage,
}

impl Message {
    /// The owned message, for Rust code of this crate.
    pub(crate) fn owned(&self) -> &OwnedMessage {
        &self.inner
    }
}

impl From<OwnedMessage> for Message {
    fn from(inner: OwnedMessage) -> Message {
        Message { inner }
    }
}

#[wasm_bindgen]
impl Message {
    /// The command of the start line, e.g. `chat`.
    #[wasm_bindgen(getter)]
    pub fn command(&self) -> String {
        self.inner.command().to_owned()
    }

    /// Every header as a `[name, value]` pair, in the order sent, names in their original case.
    #[wasm_bindgen(getter, unchecked_return_type = "Headers")]
    pub fn headers(&self) -> js_sys::Array {
        pairs_to_js(self.inner.headers())
    }

    /// The value of the first header called `name` (ASCII case-insensitive), or `undefined`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.inner.header(name).map(str::to_owned)
    }

    /// The values of every header called `name` (ASCII case-insensitive), in order.
    #[wasm_bindgen(js_name = headerValues)]
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.inner.header_values(name).into_iter().map(str::to_owned).collect()
    }

    /// The channels listed in every header called `name` (`subscribe`, `publish`,
    /// `unsubscribe`): split on spaces and tabs, empty entries skipped.
    pub fn channels(&self, name: &str) -> Vec<String> {
        self.inner.channels(name)
    }

    /// The `upstream` header as `{ method, url }`, `undefined` when absent; throws
    /// `Upstream` when it is not `<METHOD> <URL>`.
    pub fn upstream(&self) -> Result<Option<Upstream>, JsValue> {
        match self.inner.upstream() {
            None => Ok(None),
            Some(Ok((method, url))) => Ok(Some(Upstream::new(method, url))),
            Some(Err(e)) => Err(core_error(e)),
        }
    }

    /// The `join` or `leave` this message is (spec 15.3), read by the session:
    /// `{ kind, channel, client, uid, info }` and, for a leave, `reason`; `null` for any
    /// other message (a publication). Throws `Internal` for a malformed one.
    #[wasm_bindgen(js_name = presenceEvent, unchecked_return_type = "PresenceEvent | null")]
    pub fn presence_event(&self) -> Result<JsValue, JsValue> {
        crate::presence::event(&self.inner)
    }

    /// The body bytes (a new `Uint8Array` on each access).
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> Vec<u8> {
        self.inner.body().to_vec()
    }

    /// The body as a string, or `undefined` when it is not valid UTF-8.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> Option<String> {
        self.inner.body_text().map(str::to_owned)
    }

    /// The parts of a multipart body (empty without a `multipart` header).
    /// `maxParts` / `maxPartHeaders` size the storage exactly (left out: up to 1024).
    /// Throws `PartOffset`, `Part`, `TooManyParts` or a header error of a part.
    pub fn parts(
        &self,
        #[wasm_bindgen(js_name = maxParts)] max_parts: Option<u32>,
        #[wasm_bindgen(js_name = maxPartHeaders)] max_part_headers: Option<u32>,
    ) -> Result<Vec<Part>, JsValue> {
        let parts = self
            .inner
            .parts_with_limits(limit(max_parts), limit(max_part_headers))
            .map_err(core_error)?;
        Ok(parts.into_iter().map(Part::from).collect())
    }
}
