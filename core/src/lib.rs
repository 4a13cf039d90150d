//! `lhttp-core`: the one place that reads and writes the LHTTP format, so every
//! side of a conversation (server, native, C, Python, Node and browser SDKs)
//! speaks an identical protocol.
//!
//! ```text
//! LHTTP/1.0 <command>\r\n
//! <name>:<value>\r\n        (zero or more headers)
//! \r\n
//! <body>
//! ```
//!
//! The crate is `no_std` and never allocates. In the manner of `httparse`, the
//! caller owns the storage: parsed fields borrow from the input buffer, and the
//! header array is the caller's.
//!
//! ```
//! use lhttp_core::{parse, EMPTY_HEADER};
//!
//! let mut headers = [EMPTY_HEADER; 8];
//! let msg = parse(b"LHTTP/1.0 chat\r\nsubscribe:room1 room2\r\n\r\nhello", &mut headers).unwrap();
//! assert_eq!(msg.command, "chat");
//! assert_eq!(msg.subscribe().collect::<Vec<_>>(), ["room1", "room2"]);
//! assert_eq!(msg.body, b"hello");
//! ```
//!
//! Module map:
//! - [`error`]: the one error enum whose variant names every binding surfaces.
//! - [`header`]: the `Header` view and the character rules for names and values.
//! - [`parse`](mod@parse): reading a message (start line, header block, body).
//! - [`message`]: the parsed view, header lookup and the standard-header helpers.
//! - [`channel`]: channel lists of `subscribe` / `publish` / `unsubscribe`.
//! - [`upstream`]: the `upstream:<METHOD> <URL>` header.
//! - [`multipart`]: offsets, splitting a body into parts and reading each part.
//! - [`encode`](mod@encode): writing messages and multipart bodies into caller buffers.
//! - [`position`]: history positions, `<epoch>:<offset>` and `<ch> <epoch>:<offset>`.
//! - [`auth`]: the words of authentication: `connect`, `refresh`, `expires-in`, personal channels.
//! - [`reply`]: the server half: reserved commands, reply headers, server error
//!   names, close codes, and the `connected` / `ack` / `error` replies.
//! - `owned` (feature `alloc`): [`OwnedMessage`], a message that owns its fields.
//! - `lines`, `word`: the header-line reader, eight bytes at a time with exact per-byte masks.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod auth;
pub mod channel;
pub mod encode;
pub mod error;
pub mod header;
mod lines;
pub mod message;
pub mod multipart;
#[cfg(feature = "alloc")]
pub mod owned;
pub mod parse;
pub mod position;
pub mod reply;
pub mod upstream;
mod word;

pub use channel::Channels;
#[cfg(feature = "bytes")]
pub use encode::encode_buf;
pub use encode::{encode, encode_multipart, encoded_len, multipart_encoded_len, PartFields};
pub use error::Error;
pub use header::{Header, EMPTY_HEADER};
pub use message::Message;
pub use multipart::{Offsets, Part, PartMessage, Parts};
#[cfg(feature = "alloc")]
pub use owned::{OwnedMessage, OwnedPart, PartSpec};
pub use parse::parse;
#[cfg(feature = "alloc")]
pub use position::OwnedPosition;
pub use position::Position;
pub use reply::{CloseCode, ErrorCode, Limits, Reply, ServerError};
pub use upstream::Upstream;

/// The protocol name and version every start line begins with.
pub const VERSION: &str = "LHTTP/1.0";

/// The longest command accepted, in bytes.
pub const MAX_COMMAND_LEN: usize = 64;

/// The standard header names, as the protocol spells them.
pub mod names {
    /// Adds the connection to each listed channel.
    pub const SUBSCRIBE: &str = "subscribe";
    /// Sends the message to every subscriber of each listed channel.
    pub const PUBLISH: &str = "publish";
    /// Removes the connection from each listed channel.
    pub const UNSUBSCRIBE: &str = "unsubscribe";
    /// Forwards the message to an HTTP backend: `<METHOD> <URL>`.
    pub const UPSTREAM: &str = "upstream";
    /// Byte offsets in the body where each part starts.
    pub const MULTIPART: &str = "multipart";
    /// A request id the server echoes in its `ack` or `error` (also [`crate::reply::headers::ID`]).
    pub const ID: &str = "id";
    /// A signed token (spec 5.5, 14): the connection's on `connect` and `refresh`,
    /// a channel's subscription token on a subscribe.
    pub const TOKEN: &str = "token";
    /// The HTTP header of credentials; never forwarded to an upstream backend (9.6).
    pub const AUTHORIZATION: &str = "authorization";

    // History and recovery (section 13).

    /// Set by the server on a publication of a channel with history: its channel.
    pub const CHANNEL: &str = "channel";
    /// Set by the server on a publication of a channel with history: its offset.
    pub const OFFSET: &str = "offset";
    /// Set by the server on a publication of a channel with history: its stream's epoch.
    pub const EPOCH: &str = "epoch";
    /// `<ch> <epoch>:<offset>` on a subscribe: recover the channel after that position;
    /// `<epoch>:<offset>` on a history request: only publications after it.
    pub const SINCE: &str = "since";
    /// `<ch> <epoch>:<offset>` in the ack of a subscribe or history request: the channel's position.
    pub const POSITION: &str = "position";
    /// A channel list in the ack of a subscribe with `since`: the channels recovered.
    pub const RECOVERED: &str = "recovered";
    /// A channel list in the ack of a subscribe with `since`: the channels not recovered.
    pub const UNRECOVERED: &str = "unrecovered";
    /// The channel a history request reads.
    pub const HISTORY: &str = "history";
    /// The most publications a history request answers.
    pub const LIMIT: &str = "limit";
    /// `true` on a history request: newest first.
    pub const REVERSE: &str = "reverse";

    // Presence (section 15).

    /// The channel a presence query lists the members of.
    pub const PRESENCE: &str = "presence";
    /// The channel a presence query counts the members of.
    pub const PRESENCE_STATS: &str = "presence-stats";

    /// The headers only the server sets (13.3): it removes them from every request,
    /// so a client can never forge a position or a recovery result.
    pub const SERVER_SET: [&str; 6] = [CHANNEL, OFFSET, EPOCH, POSITION, RECOVERED, UNRECOVERED];

    /// The headers that are instructions to the server (9.2, 13.4): a published message
    /// goes out without them.
    /// A `token` is one too: a credential is never published.
    pub const INSTRUCTIONS: [&str; 6] = [SUBSCRIBE, UNSUBSCRIBE, UPSTREAM, ID, SINCE, TOKEN];

    /// The standard headers not sent to an upstream backend as HTTP headers (spec 9.6);
    /// credentials (`token`, `authorization`) never leave the server.
    pub const NOT_FORWARDED: &[&str] = &[
        SUBSCRIBE,
        UNSUBSCRIBE,
        PUBLISH,
        UPSTREAM,
        MULTIPART,
        ID,
        TOKEN,
        AUTHORIZATION,
    ];
}
