//! `@lhttp/node`: the LHTTP codec and the native client for Node.js, through napi-rs.
//!
//! The addon only converts between JavaScript and Rust: every message is read and
//! written by `lhttp-core` (its owned [`lhttp_core::OwnedMessage`], which `lhttp-client` sends and receives),
//! and every connection is an [`lhttp_client::Client`] running on napi's tokio runtime.
//!
//! Module map:
//! - [`error`]: core and client errors as JS `Error`s whose `code` is the stable error name.
//! - [`input`]: bytes (bodies, encoded messages) as they arrive from JavaScript.
//! - [`message`]: the `Message` and `Part` classes (a parsed message and one multipart part).
//! - [`codec`]: `parse`, `encode`, `encodeMultipart`, `channelList` and the error names.
//! - [`client`]: `NativeClient`, wrapped by `lib/client.js` into an event emitter and async iterator.
//! - [`presence`]: the plain objects of `presence()`, `presenceStats()` and `Message.presenceEvent()`.
//! - [`tokens`]: `TokenRequests`, the token callbacks' questions that `lib/client.js` answers.
#![deny(clippy::all)]

pub mod client;
pub mod codec;
pub mod error;
pub mod input;
pub mod message;
pub mod presence;
pub mod tokens;
