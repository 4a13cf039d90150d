//! The codec functions: `parse`, `encode` and `encodeMultipart`. Each converts its
//! arguments and calls the Rust message type, which calls `lhttp-core`.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::core_error;
use napi::bindgen_prelude::{Either, Uint8Array};

use crate::input::{body_vec, to_vec};
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

/// A part as the Rust message type takes it: headers in order and a body.
type OwnedPart = (Vec<(String, String)>, Vec<u8>);

/// Parses one LHTTP message. Throws an `Error` whose `code` is the core error name
/// (`Version`, `Command`, `NewLine`, `HeaderName`, `HeaderValue`, `TooManyHeaders`).
#[napi]
pub fn parse(input: Either<String, Uint8Array>) -> napi::Result<Message, String> {
    let bytes = to_vec(input);
    let msg = lhttp_client::Message::parse(&bytes).map_err(core_error)?;
    Ok(msg.into())
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
    let parts: Vec<OwnedPart> = msg
        .parts
        .into_iter()
        .map(|p| (p.headers.unwrap_or_default(), body_vec(p.body)))
        .collect();
    let headers = msg.headers.unwrap_or_default();
    let built = lhttp_client::Message::multipart(&msg.command, &headers, &parts).map_err(core_error)?;
    Ok(built.encode().map_err(core_error)?.into())
}

/// The owned Rust message for a JS message description (not yet checked: encoding checks it).
pub fn owned(msg: MessageInit) -> lhttp_client::Message {
    let mut out = lhttp_client::Message::new(msg.command).with_body(body_vec(msg.body));
    for (name, value) in msg.headers.unwrap_or_default() {
        out = out.with_header(name, value);
    }
    out
}
