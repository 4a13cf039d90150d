//! Who a connection is, from the tokens it presented (spec 14): whether it
//! authenticated, its uid, and when its connection token and each subscription
//! token expire. A leaf type kept in each [`Conn`](crate::Conn): the permission
//! checks read it on every subscribe and publish, the expiry task its deadlines.
//! Never holds a token.

use std::collections::HashMap;

/// A connection's identity. Default: not authenticated, anonymous.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Identity {
    /// A connection token verified (on the upgrade request or with `connect`).
    pub authenticated: bool,
    /// The token's `sub`; empty for an anonymous connection.
    pub uid: String,
    /// When the connection token expires, in seconds since the Unix epoch.
    pub expires: Option<u64>,
    /// When each channel's subscription token expires (seconds since the Unix epoch).
    pub subscriptions: HashMap<String, u64>,
}

impl Identity {
    /// The uid, when the connection has one (a non-empty `sub`).
    pub fn uid(&self) -> Option<&str> {
        Some(self.uid.as_str()).filter(|u| !u.is_empty())
    }

    /// The earliest expiry: the connection token's or a subscription token's.
    pub fn next_expiry(&self) -> Option<u64> {
        self.expires
            .into_iter()
            .chain(self.subscriptions.values().copied())
            .min()
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
