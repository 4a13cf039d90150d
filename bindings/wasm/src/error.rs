//! Errors crossing into JavaScript. A codec error becomes a plain `Error` whose
//! `code` is core's stable error name (`HeaderName`, `PartOffset`...), the same
//! name every lhttp binding and the server's `error` reply use. An argument of the
//! wrong JavaScript type becomes a `TypeError` (it is not a protocol error).

use wasm_bindgen::JsValue;

/// The JS `Error` for a core error: `message` is core's description, `code` its name.
pub fn core_error(e: lhttp_core::Error) -> JsValue {
    let err = js_sys::Error::new(e.description());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.as_str()));
    err.into()
}

/// A `TypeError` for an argument that is not of the documented type.
pub fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}
