//! `lhttp-client`: the native lhttp client, and the one the C, Python and Node SDKs
//! wrap. It speaks LHTTP over WebSocket (`ws://`, `wss://` with rustls), turns the
//! server's acknowledgements into awaitable `subscribe` / `publish` calls, keeps the
//! connection alive with pings and, when asked, reconnects and re-subscribes.
//!
//! Every byte of the format is read and written by `lhttp_core`; this crate owns the
//! connection and the owned [`Message`] type.
//!
//! Module map:
//! - [`message`] — the owned [`Message`] and [`Part`].
//! - [`error`] — [`Error`] with stable names.
//! - [`config`] — [`Config`].
//! - `tls` — the rustls configuration (system roots plus a given CA).
//! - `connect` — opening one WebSocket and reading the `connected` greeting.
//! - `task` — the connection task (writes, reads, acks, pings, reconnects).
//! - [`client`] — the async [`Client`] handle.
//! - [`blocking`] — [`BlockingClient`], the same on a runtime of its own.
//! - [`http`] — [`http_publish`] through the server's `POST /publish`.
#![warn(missing_docs)]

pub mod blocking;
pub mod client;
pub mod config;
mod connect;
pub mod error;
pub mod http;
pub mod message;
mod task;
mod tls;

pub use blocking::BlockingClient;
pub use client::Client;
pub use config::Config;
pub use error::Error;
pub use http::{http_publish, http_publish_blocking};
pub use message::{Message, Part, PartSpec};
