//! The requests waiting for the server: each application call ([`RequestId`])
//! goes out as one or more messages ("parts", a subscribe over the server's
//! channel limit is several), each with its own `id` on the wire and a deadline.
//! Restore messages after a reconnect are parts that belong to no call.

use crate::vecmap::VecMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::RequestId;

/// One message on the wire that waits for its `ack` or `error`.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// The application call it belongs to; `None` for a restore message.
    pub call: Option<RequestId>,
    /// When it times out.
    pub deadline: u64,
    /// Whether it has been written (an unsent part survives a lost connection).
    pub sent: bool,
    /// Channels this part added to the subscription set (taken back if refused).
    pub added: Vec<String>,
    /// Channels this part removed from the set (put back if refused).
    pub removed: Vec<String>,
    /// For a restore message, the channels it subscribes again.
    pub restore: Vec<String>,
    /// Whether it subscribes, so its `ack` carries the channels' positions (13.3).
    pub subscribes: bool,
    /// For a restore message, the channels it recovers with `since` (13.4).
    pub recovering: Vec<String>,
    /// The session's own token messages: `connect`, `refresh`, a subscription's refresh.
    pub auth: Option<AuthPart>,
    /// The channel whose subscription token this subscribe carries (its ack's
    /// `expires-in` is that token's).
    pub token_channel: Option<String>,
}

/// The session's own token messages (spec 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthPart {
    /// `connect` with the connection token.
    Connect,
    /// `refresh` with a new connection token.
    Refresh,
    /// A subscribe again with a new subscription token, before the old one expires.
    Resubscribe,
}

/// One application call, until its last part is answered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Call {
    /// Parts not answered yet.
    pub remaining: usize,
    /// The deliveries the acks reported, summed.
    pub deliveries: Option<u64>,
    /// Whether a `Failed` event was already given.
    pub failed: bool,
}

/// Every waiting part and call.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    next_wire: u64,
    pub parts: VecMap<u64, Part>,
    pub calls: VecMap<RequestId, Call>,
}

impl Calls {
    /// A fresh wire id (the `id` header), counting from 1.
    pub(crate) fn next_wire_id(&mut self) -> u64 {
        self.next_wire += 1;
        self.next_wire
    }

    /// The wire id the next call to [`Calls::next_wire_id`] returns.
    pub(crate) fn peek_wire_id(&self) -> u64 {
        self.next_wire + 1
    }

    /// The earliest deadline of any part.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.parts.values().map(|p| p.deadline).min()
    }

    /// Removes every part of `call`, returning them with their wire ids.
    pub(crate) fn take_call_parts(&mut self, call: RequestId) -> Vec<(u64, Part)> {
        let ids: Vec<u64> = self
            .parts
            .iter()
            .filter(|(_, p)| p.call == Some(call))
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| self.parts.remove(&id).map(|p| (id, p)))
            .collect()
    }
}
