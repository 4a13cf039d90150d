#![doc = include_str!("../README.md")]
//!
//! Module map:
//! - [`message`] — the owned [`Message`] and [`Part`], and [`MessageExt`] (a message
//!   read as a presence event).
//! - [`error`] — [`Error`] with stable names.
//! - [`config`] — [`Config`], mapped onto the session's settings.
//! - `tls` — the rustls configuration (system roots plus a given CA).
//! - `connect` — opening one WebSocket (TCP, TLS, handshake, refusals read).
//! - `shared` — the session behind a lock, the waiting callers, `recv()`'s inbox.
//! - `task` — the driver: the session's I/O and timers.
//! - [`token`] — the application's token callbacks, run when the session asks.
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
mod shared;
mod task;
mod tls;
pub mod token;

pub use blocking::BlockingClient;
pub use client::Client;
pub use config::Config;
pub use error::Error;
pub use http::{http_publish, http_publish_blocking};
pub use lhttp_session::{
    History, Member, OwnedPosition, Presence, PresenceEvent, PresenceKind, PresenceStats, Recovery, Token,
    DEFAULT_COMMAND,
};
pub use message::{Message, MessageExt, Part, PartSpec};
pub use token::{SubscriptionTokenCallback, TokenCallback};
