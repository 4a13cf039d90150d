//! Presence (spec/PROTOCOL.md, section 15) as the client reads it: the `ack` of a
//! presence query and the `join` / `leave` events, read once here so every SDK
//! hands its application the same members and events.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use lhttp_core::reply::{commands, headers};
use lhttp_core::{names, OwnedMessage};

use crate::Error;

/// The command of the session's presence queries (any command would do: the
/// `presence` or `presence-stats` header asks).
pub const PRESENCE_COMMAND: &str = "presence";

/// A member's info: the string map the server's connection directory holds.
pub type Info = BTreeMap<String, String>;

/// One connection subscribed to a channel with presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its client id.
    pub client: String,
    /// Its uid; empty when it has none.
    pub uid: String,
    /// Its info; empty when it has none.
    pub info: Info,
}

/// A channel's counts, as a `presence-stats` query answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PresenceStats {
    /// Subscribed connections, cluster-wide.
    pub connections: u64,
    /// Distinct non-empty uids among them.
    pub users: u64,
}

/// A channel's members, as a `presence` query answers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// The counts (always complete, even when the list is capped).
    pub stats: PresenceStats,
    /// The members, ordered by client id.
    pub members: Vec<Member>,
    /// The server listed fewer members than there are (its `presence_max_members`).
    pub capped: bool,
}

/// A malformed answer is the server's fault: reported as its `Internal` error.
fn bad(detail: &str) -> Error {
    Error::Server {
        code: lhttp_core::ServerError::Internal.as_str().to_owned(),
        detail: detail.to_owned(),
        command: Some(PRESENCE_COMMAND.to_owned()),
        id: None,
    }
}

fn count(reply: &OwnedMessage, name: &str) -> Result<u64, Error> {
    reply
        .header(name)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| bad("the presence answer has no readable connections or users count"))
}

impl PresenceStats {
    /// Reads the `ack` of a presence query (the `reply` of its
    /// [`Event::Acked`](crate::Event::Acked)). Missing or unreadable counts are the
    /// server's `Internal` error.
    pub fn read(reply: &OwnedMessage) -> Result<PresenceStats, Error> {
        Ok(PresenceStats {
            connections: count(reply, headers::CONNECTIONS)?,
            users: count(reply, headers::USERS)?,
        })
    }
}

impl Presence {
    /// Reads the `ack` of a `presence` query. Missing counts or a body that is not
    /// a JSON array of members are the server's `Internal` error.
    pub fn read(reply: &OwnedMessage) -> Result<Presence, Error> {
        let stats = PresenceStats::read(reply)?;
        let members = if reply.body().is_empty() {
            Vec::new()
        } else {
            crate::json::members(reply.body())
                .map_err(|_| bad("the presence answer is not a JSON array of members"))?
                .into_iter()
                .map(|(client, uid, info)| Member { client, uid, info })
                .collect()
        };
        Ok(Presence {
            stats,
            members,
            capped: reply.header(headers::CAPPED) == Some("true"),
        })
    }
}

/// Which presence event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceKind {
    /// A connection subscribed.
    Join,
    /// A connection stopped being subscribed.
    Leave,
}

impl PresenceKind {
    /// The event's command: `join` or `leave`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PresenceKind::Join => commands::JOIN,
            PresenceKind::Leave => commands::LEAVE,
        }
    }
}

/// A `join` or `leave` event (15.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceEvent {
    /// Join or leave.
    pub kind: PresenceKind,
    /// The channel.
    pub channel: String,
    /// The member.
    pub member: Member,
    /// For a leave, one of [`lhttp_core::reply::leave_reasons`] (or a newer server's word); empty for a join.
    pub reason: String,
}

impl PresenceEvent {
    /// The event a received message is: `None` when it is not a `join` or `leave`
    /// (a publication, a reply); `Some(Err)` when it is one without `channel` or
    /// `client`, or whose body is not a JSON object of strings (the server's
    /// `Internal` error: it never sends one).
    pub fn read(msg: &OwnedMessage) -> Option<Result<PresenceEvent, Error>> {
        let kind = match msg.command() {
            c if c.eq_ignore_ascii_case(commands::JOIN) => PresenceKind::Join,
            c if c.eq_ignore_ascii_case(commands::LEAVE) => PresenceKind::Leave,
            _ => return None,
        };
        Some(Self::read_as(kind, msg))
    }

    fn read_as(kind: PresenceKind, msg: &OwnedMessage) -> Result<PresenceEvent, Error> {
        let (Some(channel), Some(client)) = (msg.header(names::CHANNEL), msg.header(headers::CLIENT)) else {
            return Err(bad("a presence event without channel or client"));
        };
        let info = if msg.body().is_empty() {
            Info::new()
        } else {
            crate::json::strings(msg.body())
                .map_err(|_| bad("a presence event whose info is not a JSON object of strings"))?
        };
        Ok(PresenceEvent {
            kind,
            channel: channel.to_owned(),
            member: Member {
                client: client.to_owned(),
                uid: msg.header(headers::UID).unwrap_or_default().to_owned(),
                info,
            },
            reason: msg.header(headers::REASON).unwrap_or_default().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lhttp_core::OwnedMessage;

    fn msg(bytes: &[u8]) -> OwnedMessage {
        OwnedMessage::parse(bytes).unwrap()
    }

    #[test]
    fn an_ack_reads_as_members_and_counts() {
        let reply = msg(b"LHTTP/1.0 ack\r\nid:3\r\nconnections:3\r\nusers:1\r\ncapped:true\r\n\r\n[{\"client\":\"n-1\",\"uid\":\"ann\",\"info\":{\"name\":\"Ann\"}},{\"client\":\"n-2\",\"uid\":\"\",\"info\":{}}]");
        let p = Presence::read(&reply).unwrap();
        assert_eq!(
            p.stats,
            PresenceStats {
                connections: 3,
                users: 1
            }
        );
        assert!(p.capped);
        assert_eq!(p.members.len(), 2);
        assert_eq!(
            (p.members[0].uid.as_str(), p.members[0].info["name"].as_str()),
            ("ann", "Ann")
        );
        let stats = msg(b"LHTTP/1.0 ack\r\nid:3\r\nconnections:0\r\nusers:0\r\n\r\n");
        assert_eq!(Presence::read(&stats).unwrap().members, Vec::new());
        assert_eq!(PresenceStats::read(&stats).unwrap(), PresenceStats::default());
    }

    #[test]
    fn a_malformed_answer_is_the_servers_internal_error() {
        let no_counts = msg(b"LHTTP/1.0 ack\r\nid:3\r\n\r\n");
        assert_eq!(PresenceStats::read(&no_counts).unwrap_err().name(), "Internal");
        let not_json = msg(b"LHTTP/1.0 ack\r\nid:3\r\nconnections:1\r\nusers:0\r\n\r\n{oops");
        assert_eq!(Presence::read(&not_json).unwrap_err().name(), "Internal");
    }

    #[test]
    fn join_and_leave_read_as_events_and_nothing_else_does() {
        let join = msg(b"LHTTP/1.0 join\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\n\r\n{\"name\":\"Ann\"}");
        let e = PresenceEvent::read(&join).unwrap().unwrap();
        assert_eq!(
            (e.kind, e.channel.as_str(), e.member.client.as_str()),
            (PresenceKind::Join, "room", "n-1")
        );
        assert_eq!(e.member.info["name"], "Ann");
        let leave = msg(b"LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-2\r\nreason:node-lost\r\n\r\n");
        let e = PresenceEvent::read(&leave).unwrap().unwrap();
        assert_eq!(
            (e.kind, e.member.uid.as_str(), e.reason.as_str()),
            (PresenceKind::Leave, "", "node-lost")
        );
        assert!(PresenceEvent::read(&msg(b"LHTTP/1.0 chat\r\n\r\nhi")).is_none());
        assert!(PresenceEvent::read(&msg(b"LHTTP/1.0 join\r\nchannel:room\r\n\r\n"))
            .unwrap()
            .is_err());
    }
}
