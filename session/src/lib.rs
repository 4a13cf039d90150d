//! `lhttp-session`: the one place that decides what an lhttp client does, shared
//! by the Rust, C, Python, Node and browser SDKs so they cannot drift apart.
//!
//! The session is sans-IO: it owns no socket, no clock and no randomness. A
//! driver (tokio in `lhttp-client`, the browser's `WebSocket` in the JS SDK)
//! feeds it what happened (the socket opened, bytes arrived, the socket closed,
//! the time is now `t`) and the application's calls (subscribe, publish, ...),
//! and carries out what it asks for: [`Transmit`]s to write, a deadline to call
//! [`Session::tick`] at, [`Event`]s for the application and buffered messages.
//!
//! It owns request ids and pending requests with their timeouts, the
//! subscription set and its restore after a reconnect (in batches within the
//! limits the server announced, each awaiting its ack, refusals reported),
//! exponential backoff with jitter, the close codes after which a client stops,
//! ping scheduling, the bounded buffer of received messages, and for channels
//! with history their last positions, recovery with `since` after a reconnect and
//! the dropping of repeated publications.
//!
//! ```
//! use lhttp_session::{Config, Session, Transmit, Event};
//!
//! let mut s = Session::new(Config::default());
//! s.start(0);
//! assert_eq!(s.poll_transmit(), Some(Transmit::Connect));
//! s.socket_opened(5);
//! s.received(6, b"LHTTP/1.0 connected\r\nclient-id:n-1\r\nmax-channels:64\r\n\r\n");
//! assert!(matches!(s.poll_event(), Some(Event::Opened { .. })));
//! let id = s.subscribe(7, &["room"]).unwrap();
//! assert_eq!(s.poll_transmit(), Some(Transmit::Frame(b"LHTTP/1.0 subscribe\r\nsubscribe:room\r\nid:1\r\n\r\n".to_vec())));
//! s.received(8, b"LHTTP/1.0 ack\r\nid:1\r\n\r\n");
//! assert!(matches!(s.poll_event(), Some(Event::Acked { id: acked, .. }) if acked == id));
//! ```
//!
//! Module map:
//! - [`config`]: [`Config`], every setting with its default and unit (milliseconds).
//! - `backoff`: reconnect delays, exponential with jitter from a seeded generator.
//! - [`error`]: [`Error`], with the stable names every SDK surfaces.
//! - [`event`]: [`Event`], [`Transmit`], [`RequestId`] and [`Recovery`], the per-channel
//!   recovery outcome every SDK hands on.
//! - `calls`: pending requests, their parts on the wire and their timeouts.
//! - [`history`]: [`History`], a history request's answer read from its `ack`.
//! - `positions`: the last position of each subscribed channel with history.
//! - [`presence`]: [`Presence`] and [`PresenceStats`], a presence query's answer, and
//!   [`PresenceEvent`], a `join` or `leave` read from a received message.
//! - [`token`]: [`Token`], a connection or subscription token that `Debug` hides.
//! - `session`: the state machine, [`Session`]: its state and what the driver reads;
//!   `session::connection` handles socket events and time, `session::requests` the
//!   application's calls and their answers, `session::recovery` positions and recovery,
//!   `session::tokens` connection and subscription tokens (asking the driver, `connect`,
//!   `refresh`, subscribes held for their tokens).
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod backoff;
mod calls;
pub mod config;
pub mod error;
pub mod event;
pub mod history;
mod json;
mod positions;
pub mod presence;
mod session;
pub mod token;
mod vecmap;

pub use config::Config;
pub use error::Error;
pub use event::{Event, Recovery, RequestId, Transmit};
pub use history::{History, HISTORY_COMMAND};
pub use lhttp_core::{Limits, OwnedMessage, OwnedPosition, Position};
pub use presence::{Member, Presence, PresenceEvent, PresenceKind, PresenceStats, PRESENCE_COMMAND};
pub use session::{Session, State};
pub use token::Token;

/// The command of the client's own subscribe requests.
pub const SUBSCRIBE_COMMAND: &str = "subscribe";
/// The command of the client's own unsubscribe requests.
pub const UNSUBSCRIBE_COMMAND: &str = "unsubscribe";
/// The command every SDK publishes with when the application names none (the
/// original chat's, which the demo and the CLI use too).
pub const DEFAULT_COMMAND: &str = "chat";
