//! The codec functions: `parse`, `encode` and `encodeMultipart`. Each converts its
//! arguments and calls the Rust message type, which calls `lhttp-core`.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::core_error;
use napi::bindgen_prelude::{Either, Uint8Array};

use crate::input::{body_vec, core_headers, count, to_vec};
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
    let msg = match options.and_then(|o| o.max_headers) {
        None => lhttp_client::Message::parse(&bytes),
        Some(n) => parse_limited(&bytes, count(n)),
    };
    Ok(msg.map_err(core_error)?.into())
}

/// Parses with header storage of exactly `max_headers`, as a caller of core chooses it.
fn parse_limited(bytes: &[u8], max_headers: usize) -> Result<lhttp_client::Message, lhttp_core::Error> {
    let mut storage = vec![lhttp_core::EMPTY_HEADER; max_headers];
    let view = lhttp_core::parse(bytes, &mut storage)?;
    let mut msg = lhttp_client::Message::new(view.command).with_body(view.body);
    for h in view.headers {
        msg = msg.with_header(h.name, h.value);
    }
    Ok(msg)
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
    let out = with_multipart(msg, |command, headers, parts| {
        let mut out = vec![0; lhttp_core::multipart_encoded_len(command, headers, parts)];
        let n = lhttp_core::encode_multipart(command, headers, parts, &mut out)?;
        out.truncate(n);
        Ok(out)
    })
    .map_err(core_error)?;
    Ok(out.into())
}

/// Encodes a message into `out` (a `Buffer` or `Uint8Array`) and returns the number of
/// bytes written. Throws with `code` `BufferTooSmall` when it does not fit; on any
/// error `out` is left unchanged.
#[napi]
pub fn encode_into(msg: MessageInit, mut out: Uint8Array) -> napi::Result<u32, String> {
    let msg = owned(msg);
    let headers = core_headers(msg.headers());
    // SAFETY: this runs synchronously on the JavaScript thread, so no JavaScript code
    // can touch the array while core writes into it.
    let buf = unsafe { out.as_mut() };
    let n = lhttp_core::encode(msg.command(), &headers, msg.body(), buf).map_err(core_error)?;
    Ok(written(n))
}

/// Encodes a multipart message into `out` and returns the number of bytes written;
/// errors as for [`encode_multipart`] and [`encode_into`].
#[napi]
pub fn encode_multipart_into(msg: MultipartInit, mut out: Uint8Array) -> napi::Result<u32, String> {
    // SAFETY: as in `encode_into`, the call is synchronous on the JavaScript thread.
    let buf = unsafe { out.as_mut() };
    let n = with_multipart(msg, |command, headers, parts| {
        lhttp_core::encode_multipart(command, headers, parts, buf)
    })
    .map_err(core_error)?;
    Ok(written(n))
}

/// Calls `f` with core's borrowed views of a multipart description.
fn with_multipart<T>(
    msg: MultipartInit,
    f: impl FnOnce(&str, &[lhttp_core::Header<'_>], &[lhttp_core::PartFields<'_>]) -> Result<T, lhttp_core::Error>,
) -> Result<T, lhttp_core::Error> {
    let parts: Vec<OwnedPart> = msg
        .parts
        .into_iter()
        .map(|p| (p.headers.unwrap_or_default(), body_vec(p.body)))
        .collect();
    let headers = msg.headers.unwrap_or_default();
    let headers = core_headers(&headers);
    let part_headers: Vec<Vec<lhttp_core::Header<'_>>> = parts.iter().map(|(h, _)| core_headers(h)).collect();
    let fields: Vec<lhttp_core::PartFields<'_>> = part_headers
        .iter()
        .zip(&parts)
        .map(|(h, (_, body))| lhttp_core::PartFields { headers: h, body })
        .collect();
    f(&msg.command, &headers, &fields)
}

/// A written length as a JS number; it never exceeds the JS array's own length.
fn written(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The owned Rust message for a JS message description (not yet checked: encoding checks it).
pub fn owned(msg: MessageInit) -> lhttp_client::Message {
    let mut out = lhttp_client::Message::new(msg.command).with_body(body_vec(msg.body));
    for (name, value) in msg.headers.unwrap_or_default() {
        out = out.with_header(name, value);
    }
    out
}
