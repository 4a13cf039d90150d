//! The codec functions: `parse`, `encode`, `encodeInto`, `encodeMultipart`,
//! `encodeMultipartInto`, `channelList`, `errorNames` and `serverErrorNames`. Each converts its
//! arguments, calls core's owned message functions ([`lhttp_core::owned`]) and
//! converts the result or the error.

use lhttp_core::{owned, OwnedMessage};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::core_error;
use crate::message::Message;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Headers in order as `[name, value]` pairs; duplicates allowed. */
export type Headers = Array<[string, string]>;
/** A body: a string (sent as UTF-8) or bytes; `null`/`undefined` is empty. */
export type Body = string | Uint8Array | ArrayBuffer | null | undefined;
/** One part to encode with `encodeMultipart`. */
export interface PartInit { headers?: Headers | null; body?: Body }
"#;

/// Parses one LHTTP message (a string or bytes).
///
/// `maxHeaders` sizes the header storage exactly (more headers throw
/// `TooManyHeaders`); left out, up to 1024 headers are read. Throws an `Error`
/// whose `code` is `Version`, `Command`, `NewLine`, `HeaderName`, `HeaderValue`
/// or `TooManyHeaders`.
#[wasm_bindgen]
pub fn parse(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] input: &JsValue,
    #[wasm_bindgen(js_name = maxHeaders)] max_headers: Option<u32>,
) -> Result<Message, JsValue> {
    let bytes = convert::bytes(input)?;
    let owned = OwnedMessage::parse_with_limit(&bytes, convert::limit(max_headers)).map_err(core_error)?;
    Ok(owned.into())
}

/// Encodes a message: `LHTTP/1.0 <command>`, the `[name, value]` headers in order,
/// the blank line and the body (a string or bytes). Throws with `code` `Command`,
/// `HeaderName` or `HeaderValue` for a field that would not parse back identically.
#[wasm_bindgen]
pub fn encode(
    command: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Headers | null")] headers: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Body")] body: &JsValue,
) -> Result<Vec<u8>, JsValue> {
    let headers = convert::headers(headers)?;
    let body = convert::bytes(body)?;
    owned::encode(command, &headers, &body).map_err(core_error)
}

/// Encodes a message into `out` and returns the number of bytes written; throws
/// `BufferTooSmall` (writing nothing) when `out` is too short, and the errors of
/// `encode` for invalid fields (checked first).
#[wasm_bindgen(js_name = encodeInto)]
pub fn encode_into(
    out: &mut [u8],
    command: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Headers | null")] headers: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Body")] body: &JsValue,
) -> Result<u32, JsValue> {
    let headers = convert::headers(headers)?;
    let body = convert::bytes(body)?;
    let n = owned::encode_into(command, &headers, &body, out).map_err(core_error)?;
    // A WebAssembly memory holds under 4 GiB, so the length fits.
    Ok(n as u32)
}

/// Encodes a multipart message: `headers`, then a `multipart` header with the
/// offsets core computes, then each `{ headers, body }` part as
/// `<headers>\r\n<body>`. Zero parts throws `PartOffset`.
#[wasm_bindgen(js_name = encodeMultipart)]
pub fn encode_multipart(
    command: &str,
    #[wasm_bindgen(unchecked_param_type = "Headers | null")] headers: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PartInit[]")] parts: &JsValue,
) -> Result<Vec<u8>, JsValue> {
    let headers = convert::headers(headers)?;
    let parts = convert::parts(parts)?;
    owned::encode_multipart(command, &headers, &parts).map_err(core_error)
}

/// Encodes a multipart message into `out` and returns the number of bytes
/// written; throws `BufferTooSmall` (writing nothing) when `out` is too short.
#[wasm_bindgen(js_name = encodeMultipartInto)]
pub fn encode_multipart_into(
    out: &mut [u8],
    command: &str,
    #[wasm_bindgen(unchecked_param_type = "Headers | null")] headers: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PartInit[]")] parts: &JsValue,
) -> Result<u32, JsValue> {
    let headers = convert::headers(headers)?;
    let parts = convert::parts(parts)?;
    let n = owned::encode_multipart_into(command, &headers, &parts, out).map_err(core_error)?;
    // A WebAssembly memory holds under 4 GiB, so the length fits.
    Ok(n as u32)
}

/// Writes channel names as one `subscribe` / `publish` / `unsubscribe` header value,
/// joined by one space: `channelList(['a', 'b'])` is `'a b'`. Throws with `code`
/// `Channel` for an empty list or a name that is empty or holds whitespace or a
/// control character (it would be read back as no channel or as several).
#[wasm_bindgen(js_name = channelList)]
pub fn channel_list(channels: Vec<String>) -> Result<String, JsValue> {
    lhttp_core::channel::list(&channels).map_err(core_error)
}

/// Every error name the codec can throw as `code`, in core's order.
#[wasm_bindgen(js_name = errorNames)]
pub fn error_names() -> Vec<String> {
    lhttp_core::Error::ALL.iter().map(|e| e.as_str().to_owned()).collect()
}

/// Every server error name an `error` reply may carry as `code` (a newer server
/// may send others: treat an unknown one as a generic failure).
#[wasm_bindgen(js_name = serverErrorNames)]
pub fn server_error_names() -> Vec<String> {
    lhttp_core::ServerError::ALL
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect()
}
