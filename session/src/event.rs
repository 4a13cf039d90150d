//! What a session asks its driver to do ([`Transmit`]) and tells the
//! application ([`Event`]), the id of an application's request, and the one
//! per-channel recovery outcome ([`Recovery`]) every SDK hands on.

use alloc::string::String;
use alloc::vec::Vec;

use lhttp_core::{Limits, OwnedMessage};

use crate::Error;

/// The id of one application request (`subscribe`, `unsubscribe`, `publish`,
/// `request`); its outcome is one [`Event::Acked`] or [`Event::Failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// Something the driver must do on the socket, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Open a new WebSocket to the server, then call
    /// [`socket_opened`](crate::Session::socket_opened) or
    /// [`connect_failed`](crate::Session::connect_failed).
    Connect,
    /// Write one WebSocket message: a text frame when the bytes are UTF-8, else binary.
    Frame(Vec<u8>),
    /// Write a WebSocket ping (drivers whose socket cannot ping ignore it).
    Ping,
    /// Close the current socket with this code and reason, and report nothing
    /// more about it: the session has already counted it as gone.
    Close {
        /// The WebSocket close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
}

/// Something the application should know, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A connection is ready: the greeting arrived and every subscription is
    /// restored (or reported refused). Queued requests go out right after.
    Opened {
        /// The id the server gave this connection.
        client_id: String,
        /// The limits the server announced.
        limits: Limits,
    },
    /// A request took effect.
    Acked {
        /// The request.
        id: RequestId,
        /// For a publish, the number of local subscribers it was queued to.
        deliveries: Option<u64>,
        /// The server's `ack` message (the last one, for a request sent in parts).
        reply: OwnedMessage,
    },
    /// A request failed: the server's error, a timeout, or the connection closed first.
    Failed {
        /// The request.
        id: RequestId,
        /// Why.
        error: Error,
    },
    /// An `error` reply tied to no waiting request (a background `upstream`
    /// call failing after its ack, a late reply to a timed-out request).
    ServerError {
        /// The error the reply describes ([`Error::Server`]).
        error: Error,
        /// The reply itself.
        reply: OwnedMessage,
    },
    /// A received message is not valid LHTTP, or a position it carries does not
    /// read (13.2). A message that is not LHTTP, or a publication with a bad
    /// position, is skipped; an `ack` with a bad `position` still completes its
    /// request, the channel keeping no position. Nothing else is lost.
    Unreadable {
        /// The core error naming the rule it breaks.
        error: Error,
    },
    /// A channel could not be subscribed again after a reconnect; it is no
    /// longer in the subscription set.
    RestoreRefused {
        /// The channel.
        channel: String,
        /// The server's error ([`Error::Server`], e.g. `TooManySubscriptions`).
        error: Error,
    },
    /// A channel subscribed again after a reconnect got every publication it missed
    /// (delivered before this event, in order), or there were none (13.4).
    Recovered {
        /// The channel.
        channel: String,
    },
    /// A channel subscribed again after a reconnect could not get what it missed
    /// (its history was lost, trimmed, or too long to send): none of it was
    /// delivered. It is subscribed and gets every later publication; the
    /// application may read [`Session::history`](crate::Session::history) or reload.
    Unrecovered {
        /// The channel.
        channel: String,
    },
    /// The socket closed (or was found dead).
    Closed {
        /// The close code, when there was a close frame.
        code: Option<u16>,
        /// The close reason, or how the connection ended.
        reason: String,
    },
    /// A connection attempt failed.
    ConnectFailed {
        /// Why ([`Error::Connect`], [`Error::Timeout`] or [`Error::Io`]).
        error: Error,
    },
    /// The session will try to connect again after `delay` ms.
    Reconnecting {
        /// Failed attempts since the last good connection (1 for the first retry).
        attempt: u32,
        /// The wait, in milliseconds, jitter included.
        delay: u64,
    },
    /// The session stopped for good (a final close code, a refused handshake,
    /// reconnect off, or the attempts ran out); every waiting request failed.
    GaveUp {
        /// The error that ended it.
        error: Error,
    },
    /// Received messages were dropped, oldest first, because the application
    /// did not read them and the buffer was full.
    Lagged {
        /// How many were dropped since the last `Lagged` event.
        dropped: u64,
    },
    /// The session needs a connection token (spec 12, 14): for a new connection or
    /// because the current one expires soon. The driver answers with
    /// [`Session::set_token`](crate::Session::set_token) or
    /// [`Session::token_failed`](crate::Session::token_failed).
    TokenNeeded,
    /// The session needs the subscription token of `channel`, before subscribing
    /// it (or again) or because its token expires soon. The driver answers with
    /// [`Session::set_subscription_token`](crate::Session::set_subscription_token)
    /// (`None`: the channel needs no token) or
    /// [`Session::subscription_token_failed`](crate::Session::subscription_token_failed).
    SubscriptionTokenNeeded {
        /// The channel.
        channel: String,
    },
    /// A `refresh` of the connection token, or a subscription's, was refused or
    /// could not be made (the driver had no token); the server ends what expires.
    RefreshFailed {
        /// Why.
        error: Error,
    },
    /// The server ended a subscription (its subscription token expired, 14.7); the
    /// channel is no longer in the subscription set.
    Unsubscribed {
        /// The channel.
        channel: String,
        /// The server's error (`TokenExpired`).
        error: Error,
    },
}

/// The name of the error [`Event::as_error`] gives for [`Event::RestoreRefused`].
pub const RESTORE_REFUSED: &str = "RestoreRefused";
/// The name of the error [`Event::as_error`] gives for [`Event::Lagged`].
pub const LAGGED: &str = "Lagged";
/// The name of the error [`Event::as_error`] gives for [`Event::Unrecovered`]: the
/// application missed publications and must know, whichever SDK it uses.
pub const UNRECOVERED: &str = "Unrecovered";

/// One channel's outcome after a reconnect restored it with `since` (13.7), the
/// notice every SDK hands the application for [`Event::Recovered`] and
/// [`Event::Unrecovered`], so they all name the same outcomes the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Recovery {
    /// The channel.
    pub channel: String,
    /// `true`: it got every publication it missed, delivered before this notice.
    /// `false`: none of them (the error [`UNRECOVERED`] reports it too).
    pub recovered: bool,
}

impl Event {
    /// The recovery outcome of [`Event::Recovered`] and [`Event::Unrecovered`];
    /// `None` for the other events.
    pub fn recovery(&self) -> Option<Recovery> {
        match self {
            Event::Recovered { channel } => Some(Recovery {
                channel: channel.clone(),
                recovered: true,
            }),
            Event::Unrecovered { channel } => Some(Recovery {
                channel: channel.clone(),
                recovered: false,
            }),
            _ => None,
        }
    }

    /// The error an application should see for an event that reports a failure
    /// nobody waits for (a refused restore, a channel not recovered, dropped
    /// messages, a server error reply tied to no request, an unreadable message,
    /// the end of the session),
    /// the same in every SDK; `None` for the other events.
    pub fn as_error(&self) -> Option<Error> {
        match self {
            Event::ServerError { error, .. }
            | Event::Unreadable { error }
            | Event::GaveUp { error }
            | Event::RefreshFailed { error }
            | Event::Unsubscribed { error, .. } => Some(error.clone()),
            Event::RestoreRefused { channel, error } => Some(Error::Server {
                code: RESTORE_REFUSED.into(),
                detail: alloc::format!(
                    "{channel} could not be subscribed again after reconnecting ({error}); it is no longer subscribed"
                ),
                command: Some(crate::SUBSCRIBE_COMMAND.into()),
                id: None,
            }),
            Event::Unrecovered { channel } => Some(Error::Server {
                code: UNRECOVERED.into(),
                detail: alloc::format!(
                    "{channel}: what was published while disconnected could not be recovered (history lost, trimmed or over recover_max); it is subscribed again and gets every later publication"
                ),
                command: Some(crate::SUBSCRIBE_COMMAND.into()),
                id: None,
            }),
            Event::Lagged { dropped } => Some(Error::Server {
                code: LAGGED.into(),
                detail: alloc::format!(
                    "{dropped} received messages were dropped unread (the buffer holds max_buffered)"
                ),
                command: None,
                id: None,
            }),
            _ => None,
        }
    }
}
