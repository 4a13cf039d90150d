//! Conversions between JavaScript values and Rust: bodies (string, `Uint8Array`,
//! `ArrayBuffer`), header lists (`[name, value]` pairs) and multipart parts
//! (`{ headers, body }`) in; header lists out. Wrong types are `TypeError`s; the
//! values themselves are checked by core when encoding.

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::type_error;
use lhttp_core::owned::Pairs;

/// Bytes of a body or message: a string (as UTF-8), a `Uint8Array` (a Node
/// `Buffer` is one), an `ArrayBuffer`, or `undefined`/`null` for empty.
pub fn bytes(value: &JsValue) -> Result<Vec<u8>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if let Some(s) = value.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Ok(a.to_vec());
    }
    if let Some(b) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(b).to_vec());
    }
    Err(type_error("expected a string, Uint8Array or ArrayBuffer"))
}

/// Headers as an array of `[name, value]` string pairs; `undefined`/`null` is none.
pub fn headers(value: &JsValue) -> Result<Pairs, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let list = value
        .dyn_ref::<Array>()
        .ok_or_else(|| type_error("headers must be an array of [name, value] pairs"))?;
    let mut out = Vec::with_capacity(list.length() as usize);
    for entry in list.iter() {
        let pair = entry.dyn_ref::<Array>().filter(|p| p.length() == 2);
        let strings = pair.and_then(|p| Some((p.get(0).as_string()?, p.get(1).as_string()?)));
        out.push(strings.ok_or_else(|| type_error("each header must be a [name, value] pair of strings"))?);
    }
    Ok(out)
}

/// Parts to encode: an array of `{ headers?, body? }` objects.
pub fn parts(value: &JsValue) -> Result<Vec<lhttp_core::PartSpec>, JsValue> {
    let list = value
        .dyn_ref::<Array>()
        .ok_or_else(|| type_error("parts must be an array of { headers, body } objects"))?;
    let mut out = Vec::with_capacity(list.length() as usize);
    for entry in list.iter() {
        if !entry.is_object() {
            return Err(type_error("each part must be a { headers, body } object"));
        }
        let headers = headers(&Reflect::get(&entry, &JsValue::from_str("headers"))?)?;
        let body = bytes(&Reflect::get(&entry, &JsValue::from_str("body"))?)?;
        out.push((headers, body));
    }
    Ok(out)
}

/// A JS array of `[name, value]` pairs, for the `headers` getters.
pub fn pairs_to_js(pairs: &[(String, String)]) -> Array {
    pairs
        .iter()
        .map(|(n, v)| JsValue::from(Array::of2(&JsValue::from_str(n), &JsValue::from_str(v))))
        .collect()
}

/// An optional JS count (`undefined` = no limit) as a storage size.
pub fn limit(value: Option<u32>) -> Option<usize> {
    value.map(|n| n as usize)
}
