//! The codec functions: `parse`, `encode`, `encodeMultipart` (and their `Into`
//! forms), `channelList`, `errorNames` and `serverErrorNames`. Each converts its
//! arguments and calls core's owned message functions ([`lhttp_core::owned`]).

use lhttp_core::{owned, OwnedMessage, PartSpec};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::core_error;
use napi::bindgen_prelude::{Either, Uint8Array};

use crate::input::{body_vec, count, to_vec};
use crate::message::Message;

/// A message to encode: a command, optional headers in order and an optional body.
#[napi(object)]
pub struct MessageInit {
    /// The command, a token of 1 to 64 characters, e.g. `chat`.
    pub command: String,
    /// Headers in order as `[name, value]` pairs.
    pub headers: Option<Vec<(String, String)>>,
    /// The body: a string (encoded as UTF-8) or bytes.
    pub body: Option<Either<String, Uint8Array>>,
}

/// One part of a multipart message to encode.
#[napi(object)]
pub struct PartInit {
    /// The part's headers in order as `[name, value]` pairs.
    pub headers: Option<Vec<(String, String)>>,
    /// The part's body: a string (encoded as UTF-8) or bytes.
    pub body: Option<Either<String, Uint8Array>>,
}

/// A multipart message to encode: the message's own headers, then its parts.
#[napi(object)]
pub struct MultipartInit {
    /// The command, e.g. `upload`.
    pub command: String,
    /// The message's headers; the `multipart` header is added after them.
    pub headers: Option<Vec<(String, String)>>,
    /// The parts, at least one.
    pub parts: Vec<PartInit>,
}

/// Limits for [`parse`].
#[napi(object)]
pub struct ParseOptions {
    /// At most this many headers; more is an error with `code` `TooManyHeaders`.
    /// Default: the client's ceiling of 1024.
    pub max_headers: Option<u32>,
}

/// Parses one LHTTP message. Throws an `Error` whose `code` is the core error name
/// (`Version`, `Command`, `NewLine`, `HeaderName`, `HeaderValue`, `TooManyHeaders`).
#[napi]
pub fn parse(input: Either<String, Uint8Array>, options: Option<ParseOptions>) -> napi::Result<Message, String> {
    let bytes = to_vec(input);
    let max_headers = options.and_then(|o| o.max_headers).map(count);
    Ok(OwnedMessage::parse_with_limit(&bytes, max_headers)
        .map_err(core_error)?
        .into())
}

/// Encodes a message as LHTTP bytes. Throws with `code` `Command`, `HeaderName` or
/// `HeaderValue` for a field that would not parse back identically.
#[napi]
pub fn encode(msg: MessageInit) -> napi::Result<Buffer, String> {
    Ok(owned(msg).encode().map_err(core_error)?.into())
}

/// Encodes a multipart message: the given headers, a `multipart` header with the
/// part offsets, then each part as its headers, a blank line and its body. Zero parts is `PartOffset`.
#[napi]
pub fn encode_multipart(msg: MultipartInit) -> napi::Result<Buffer, String> {
    let (command, headers, parts) = multipart_fields(msg);
    let out = owned::encode_multipart(&command, &headers, &parts).map_err(core_error)?;
    Ok(out.into())
}

/// Encodes a message into `out` (a `Buffer` or `Uint8Array`) and returns the number of
/// bytes written. Throws with `code` `BufferTooSmall` when it does not fit; on any
/// error `out` is left unchanged.
#[napi]
pub fn encode_into(msg: MessageInit, mut out: Uint8Array) -> napi::Result<u32, String> {
    let msg = owned(msg);
    // SAFETY: this runs synchronously on the JavaScript thread, so no JavaScript code
    // can touch the array while core writes into it.
    let buf = unsafe { out.as_mut() };
    let n = msg.encode_into(buf).map_err(core_error)?;
    Ok(written(n))
}

/// Encodes a multipart message into `out` and returns the number of bytes written;
/// errors as for [`encode_multipart`] and [`encode_into`].
#[napi]
pub fn encode_multipart_into(msg: MultipartInit, mut out: Uint8Array) -> napi::Result<u32, String> {
    let (command, headers, parts) = multipart_fields(msg);
    // SAFETY: as in `encode_into`, the call is synchronous on the JavaScript thread.
    let buf = unsafe { out.as_mut() };
    let n = owned::encode_multipart_into(&command, &headers, &parts, buf).map_err(core_error)?;
    Ok(written(n))
}

/// Writes channel names as one `subscribe` / `publish` / `unsubscribe` header value,
/// joined by one space: `channelList(['a', 'b'])` is `'a b'`. Throws with `code`
/// `Channel` for an empty list or a name that is empty or holds whitespace or a
/// control character (it would be read back as no channel or as several).
#[napi]
pub fn channel_list(channels: Vec<String>) -> napi::Result<String, String> {
    lhttp_core::channel::list(&channels).map_err(core_error)
}

/// Every core error name a codec call can throw as `code`, in core's order.
#[napi]
pub fn error_names() -> Vec<String> {
    lhttp_core::Error::ALL.iter().map(|e| e.as_str().to_owned()).collect()
}

/// Every server error name an `error` reply may carry as `code` (a newer server
/// may send others: treat an unknown one as a generic failure).
#[napi]
pub fn server_error_names() -> Vec<String> {
    lhttp_core::ServerError::ALL
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect()
}

/// A multipart description as core's owned functions take it: command, headers, parts.
fn multipart_fields(msg: MultipartInit) -> (String, Vec<(String, String)>, Vec<PartSpec>) {
    let parts = msg
        .parts
        .into_iter()
        .map(|p| (p.headers.unwrap_or_default(), body_vec(p.body)))
        .collect();
    (msg.command, msg.headers.unwrap_or_default(), parts)
}

/// A written length as a JS number; it never exceeds the JS array's own length.
fn written(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The owned Rust message for a JS message description (not yet checked: encoding checks it).
pub fn owned(msg: MessageInit) -> OwnedMessage {
    let mut out = OwnedMessage::new(msg.command).with_body(body_vec(msg.body));
    for (name, value) in msg.headers.unwrap_or_default() {
        out = out.with_header(name, value);
    }
    out
}
