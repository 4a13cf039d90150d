//! A `join` or `leave` event (spec 15.3): as a subscriber receives it, written by
//! core, and as it travels between nodes on NATS (JSON).

use super::members::Member;
use bytes::Bytes;
use lhttp_core::reply::{commands, headers, leave_reasons};
use serde::{Deserialize, Serialize};

/// Why a member left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Reason {
    /// It unsubscribed.
    Unsubscribe,
    /// Its connection closed (after the grace, for a member with a uid).
    Disconnect,
    /// Its node stopped answering (15.4).
    NodeLost,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Unsubscribe => leave_reasons::UNSUBSCRIBE,
            Reason::Disconnect => leave_reasons::DISCONNECT,
            Reason::NodeLost => leave_reasons::NODE_LOST,
        }
    }
}

/// One event: a join (no reason) or a leave (with its reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event {
    /// The channel.
    pub channel: String,
    /// Who.
    pub member: Member,
    /// `None` for a join.
    #[serde(default)]
    pub leave: Option<Reason>,
}

/// What nodes tell each other on the presence subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Wire {
    /// A join or a leave, for the other nodes' subscribers.
    Event(Event),
    /// A member with a uid disconnected and is in its grace for `grace_ms`: a
    /// connection of the same uid joining the channel on another node takes its place.
    Away {
        channel: String,
        uid: String,
        client: String,
        grace_ms: u64,
    },
    /// `member` took the place of `old`, in its grace, without events.
    Back {
        channel: String,
        old: String,
        member: Member,
    },
}

impl Event {
    /// The event as the channel's subscribers receive it; an error when a uid or
    /// client id is no header value (a backend bound such a uid).
    pub(crate) fn message(&self) -> Result<Bytes, lhttp_core::Error> {
        let command = if self.leave.is_some() {
            commands::LEAVE
        } else {
            commands::JOIN
        };
        let mut h = vec![
            (lhttp_core::names::CHANNEL.to_string(), self.channel.clone()),
            (headers::CLIENT.to_string(), self.member.client.clone()),
        ];
        if !self.member.uid.is_empty() {
            h.push((headers::UID.to_string(), self.member.uid.clone()));
        }
        if let Some(r) = self.leave {
            h.push((headers::REASON.to_string(), r.as_str().to_string()));
        }
        let info = if self.member.info.is_empty() {
            Vec::new()
        } else {
            serde_json::to_vec(&self.member.info).unwrap_or_default()
        };
        lhttp_core::owned::encode(command, &h, &info).map(Bytes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_written_as_the_spec_shows_them() {
        let mut e = Event {
            channel: "room".into(),
            member: Member {
                client: "n-1".into(),
                uid: "ann".into(),
                info: [("name".to_string(), "Ann".to_string())].into(),
            },
            leave: None,
        };
        assert_eq!(
            &e.message().unwrap()[..],
            b"LHTTP/1.0 join\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\n\r\n{\"name\":\"Ann\"}"
        );
        e.leave = Some(Reason::NodeLost);
        e.member.uid.clear();
        e.member.info.clear();
        assert_eq!(
            &e.message().unwrap()[..],
            b"LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-1\r\nreason:node-lost\r\n\r\n"
        );
        let wire = Wire::Event(e);
        let json = serde_json::to_string(&wire).unwrap();
        assert_eq!(serde_json::from_str::<Wire>(&json).unwrap(), wire);
    }
}
