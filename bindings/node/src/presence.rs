//! Presence (spec section 15) as JavaScript sees it: plain objects for a channel's
//! members and counts and for the `join` / `leave` events its subscribers receive.
//! The answers and the events are read by `lhttp-session`
//! ([`lhttp_session::Presence::read`], [`lhttp_session::PresenceStats::read`],
//! [`lhttp_session::PresenceEvent::read`]), the same readers every SDK
//! uses; this module only asks and converts.

use std::collections::BTreeMap;

use lhttp_client::{Client, Error, Message as OwnedMessage};
use napi_derive::napi;

/// One connection subscribed to a channel with presence, as it was when it subscribed.
#[napi(object)]
pub struct Member {
    /// Its client id.
    pub client: String,
    /// Its uid; `''` when it has none.
    pub uid: String,
    /// Its info, a string map; `{}` when it has none.
    pub info: BTreeMap<String, String>,
}

impl From<lhttp_session::Member> for Member {
    fn from(m: lhttp_session::Member) -> Member {
        Member {
            client: m.client,
            uid: m.uid,
            info: m.info,
        }
    }
}

/// A channel's counts, cluster-wide.
#[napi(object)]
pub struct PresenceStats {
    /// Its subscribed connections.
    pub connections: f64,
    /// The distinct non-empty uids among them.
    pub users: f64,
}

impl From<lhttp_session::PresenceStats> for PresenceStats {
    fn from(s: lhttp_session::PresenceStats) -> PresenceStats {
        // Counts of connections are far below 2^53, where a JS number stops being exact.
        PresenceStats {
            connections: s.connections as f64,
            users: s.users as f64,
        }
    }
}

/// What `presence()` resolves with.
#[napi(object)]
pub struct Presence {
    /// The members, ordered by client id (at most the server's `presence_max_members`).
    pub members: Vec<Member>,
    /// The counts, complete even when `members` is capped.
    pub stats: PresenceStats,
    /// `true` when the server listed fewer members than there are.
    pub capped: bool,
}

impl From<lhttp_session::Presence> for Presence {
    fn from(p: lhttp_session::Presence) -> Presence {
        Presence {
            members: p.members.into_iter().map(Member::from).collect(),
            stats: p.stats.into(),
            capped: p.capped,
        }
    }
}

/// A `join` or `leave` event, from `Message.presenceEvent()`.
#[napi(object)]
pub struct PresenceEvent {
    /// `'join'` or `'leave'`.
    #[napi(ts_type = "'join' | 'leave'")]
    pub kind: String,
    /// The channel.
    pub channel: String,
    /// The member's client id.
    pub client: String,
    /// The member's uid; `''` when it has none.
    pub uid: String,
    /// The member's info; `{}` when it has none.
    pub info: BTreeMap<String, String>,
    /// For a leave `'unsubscribe'`, `'disconnect'` or `'node-lost'`; `''` for a join.
    pub reason: String,
}

impl From<lhttp_session::PresenceEvent> for PresenceEvent {
    fn from(e: lhttp_session::PresenceEvent) -> PresenceEvent {
        PresenceEvent {
            kind: e.kind.as_str().to_owned(),
            channel: e.channel,
            client: e.member.client,
            uid: e.member.uid,
            info: e.member.info,
            reason: e.reason,
        }
    }
}

/// The event a received message is (`None` for anything but a `join` / `leave`),
/// read by the session.
pub fn event_of(msg: &OwnedMessage) -> Option<Result<PresenceEvent, Error>> {
    lhttp_session::PresenceEvent::read(msg).map(|r| r.map(PresenceEvent::from))
}

/// The members of `channel` (a `presence` query of the client's session).
pub async fn presence(client: &Client, channel: &str) -> Result<Presence, Error> {
    client.presence(channel).await.map(Presence::from)
}

/// The counts of `channel`'s members (a `presence-stats` query of the client's session).
pub async fn presence_stats(client: &Client, channel: &str) -> Result<PresenceStats, Error> {
    client.presence_stats(channel).await.map(PresenceStats::from)
}
