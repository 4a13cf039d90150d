//! The `Part` class: one part of a multipart body, with its place in the message
//! body (core's offsets) and its headers and body read by core (core's `OwnedPart`).

use lhttp_core::OwnedPart;
use wasm_bindgen::prelude::*;

use crate::convert::pairs_to_js;

/// One part of a multipart message.
#[wasm_bindgen]
pub struct Part {
    /// The owned part this view reads from.
    inner: OwnedPart,
}

impl From<OwnedPart> for Part {
    fn from(inner: OwnedPart) -> Part {
        Part { inner }
    }
}

#[wasm_bindgen]
impl Part {
    /// Where the part starts in the message body (its offset in the `multipart` header).
    #[wasm_bindgen(getter)]
    pub fn start(&self) -> u32 {
        js_len(self.inner.start)
    }

    /// The part's length in the message body, its headers and blank line included.
    #[wasm_bindgen(getter, js_name = len)]
    pub fn length(&self) -> u32 {
        js_len(self.inner.len)
    }

    /// Where the part's own body starts in the message body.
    #[wasm_bindgen(getter, js_name = bodyStart)]
    pub fn body_start(&self) -> u32 {
        js_len(self.inner.body_start)
    }

    /// The part's headers as `[name, value]` pairs, in order.
    #[wasm_bindgen(getter, unchecked_return_type = "Headers")]
    pub fn headers(&self) -> js_sys::Array {
        pairs_to_js(&self.inner.headers)
    }

    /// The value of the part's first header called `name` (ASCII case-insensitive), or `undefined`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.inner.header(name).map(str::to_owned)
    }

    /// The part's body bytes.
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> Vec<u8> {
        self.inner.body.clone()
    }

    /// The part's body as a string, or `undefined` when it is not valid UTF-8.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> Option<String> {
        core::str::from_utf8(&self.inner.body).ok().map(str::to_owned)
    }
}

/// Offsets as JS numbers: a WebAssembly memory holds under 4 GiB, so they fit.
fn js_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
