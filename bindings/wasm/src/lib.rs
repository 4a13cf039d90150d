//! `lhttp-wasm`: lhttp-core's codec for browsers (and any JavaScript runtime with
//! WebAssembly), through wasm-bindgen. Like every lhttp binding it only converts
//! types and errors: reading and writing the format is `lhttp-core`'s job.
//!
//! JavaScript sees camelCase names (`encodeMultipart`, `bodyStart`, `headerValues`)
//! and errors as plain `Error`s whose `code` is the core error name.
//!
//! Module map:
//! - [`error`]: core errors as JS `Error`s with `code`, and `TypeError`s for bad arguments.
//! - [`convert`]: bodies, header lists and parts between JavaScript and Rust.
//! - [`codec`]: `parse`, `encode`, `encodeInto`, `encodeMultipart`, `encodeMultipartInto`,
//!   `channelList`, `errorNames`, `serverErrorNames`.
//! - [`message`]: the `Message` class, a parsed message (core's `OwnedMessage`).
//! - [`part`]: the `Part` class, one part of a multipart body.
//! - [`position`]: history positions as `{ epoch, offset }` objects, read and written by
//!   core; `readPosition` and `writePosition` with the `vectors` feature (tests only).
//! - [`upstream`]: the `Upstream` class, a parsed `upstream:<METHOD> <URL>` header.
//! - [`session`]: the `Session` class, `lhttp-session`'s client session driven by js-sdk.
//! - [`presence`]: `readPresence`, `readPresenceStats` and `Message.presenceEvent()`, the
//!   session's readers of presence answers and `join` / `leave` events.

pub mod codec;
pub mod convert;
pub mod error;
pub mod message;
pub mod part;
pub mod position;
pub mod presence;
pub mod session;
pub mod upstream;

pub use message::Message;
pub use part::Part;
pub use session::Session;
pub use upstream::Upstream;
