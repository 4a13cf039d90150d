//! The `Upstream` class: an `upstream:<METHOD> <URL>` header as read by core.

use wasm_bindgen::prelude::*;

/// A parsed `upstream` header: where the server forwards the message.
#[wasm_bindgen]
pub struct Upstream {
    /// The HTTP method, a token such as `POST`.
    method: String,
    /// The URL, without spaces.
    url: String,
}

impl Upstream {
    /// The header's method and URL.
    pub fn new(method: String, url: String) -> Upstream {
        Upstream { method, url }
    }
}

#[wasm_bindgen]
impl Upstream {
    /// The HTTP method as sent, e.g. `POST`.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.method.clone()
    }

    /// The URL, e.g. `http://127.0.0.1:9000/record`.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }
}
