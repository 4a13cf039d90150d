//! The directory's operations as data: one [`Request`] per call, answered by
//! each node for its own connections (`run_local`) and combined into the
//! cluster-wide answer (`merge`). The same code answers local calls and
//! calls arriving from other nodes over NATS, so both behave alike.

use super::local::Info;
use super::presence::Member;
use super::State;
use crate::conn::Conn;
use crate::handle::Handle;
use bytes::Bytes;
use lhttp_core::CloseCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Close code sent to a connection taken over by a newer one with the same key.
pub const CLOSE_TAKEN_OVER: u16 = CloseCode::TakenOver.code();

/// One directory call. Calls naming a `client` go to that client's node only;
/// the others go to every node. Messages to send travel beside the request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Bind a uid to a client (replacing its previous one).
    BindUid { client: String, uid: String },
    /// Remove a client's uid.
    UnbindUid { client: String },
    /// Add a client to a group.
    JoinGroup { client: String, group: String },
    /// Remove a client from a group.
    LeaveGroup { client: String, group: String },
    /// Replace a client's info.
    SetInfo { client: String, info: Info },
    /// Merge keys into a client's info.
    UpdateInfo { client: String, info: Info },
    /// Read a client's info.
    GetInfo { client: String },
    /// Queue the attached message to a client.
    SendToClient { client: String },
    /// Close a client normally.
    CloseClient { client: String },
    /// Whether a client is connected.
    IsOnline { client: String },
    /// A client's uid.
    UidOfClient { client: String },
    /// Queue the attached message to every client bound to a uid.
    SendToUid { uid: String },
    /// Queue the attached message to every client in a group.
    SendToGroup { group: String },
    /// Queue the attached message to every client.
    SendToAll,
    /// The clients bound to a uid.
    ClientsOfUid { uid: String },
    /// The clients in a group.
    GroupClients { group: String },
    /// The uids of the clients in a group.
    GroupUids { group: String },
    /// Every bound uid.
    AllUids,
    /// Every group with a member.
    AllGroups,
    /// How many clients are connected.
    ClientCount,
    /// How many clients subscribe to a channel.
    SubscriberCount { channel: String },
    /// Close every connection holding `key` that is older than this client.
    Takeover { key: String, client: String, opened: u64 },
    /// A channel's members (at most `max` per node) and counts (15.2).
    Presence { channel: String, max: usize },
    /// A channel's member counts.
    PresenceStats { channel: String },
    /// Unsubscribe a client from a channel.
    Unsubscribe { client: String, channel: String },
    /// The channels a client subscribes to.
    ChannelsOfClient { client: String },
    /// Every channel with a subscriber and its subscriber count, in `info`.
    Channels,
    /// Each node's figures (connections, channels, subscriptions, counters, uptime), in `info`.
    NodeStats,
}

impl Request {
    /// The client a targeted call is about; `None` for calls to every node.
    pub fn client(&self) -> Option<&str> {
        use Request::*;
        match self {
            BindUid { client, .. }
            | UnbindUid { client }
            | JoinGroup { client, .. }
            | LeaveGroup { client, .. }
            | SetInfo { client, .. }
            | UpdateInfo { client, .. }
            | GetInfo { client }
            | SendToClient { client }
            | CloseClient { client }
            | IsOnline { client }
            | UidOfClient { client }
            | Unsubscribe { client, .. }
            | ChannelsOfClient { client } => Some(client),
            _ => None,
        }
    }
}

/// One node's answer. Each call uses the fields it needs; the others stay empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Answer {
    /// The answering node's id.
    pub node: String,
    /// Yes/no results (found, online, done).
    #[serde(default)]
    pub ok: bool,
    /// Counts (deliveries, clients, subscribers).
    #[serde(default)]
    pub n: u64,
    /// Lists (client ids, uids, groups).
    #[serde(default)]
    pub items: Vec<String>,
    /// A client's info.
    #[serde(default)]
    pub info: Option<Info>,
    /// A client's uid.
    #[serde(default)]
    pub uid: Option<String>,
    /// A channel's members (presence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

/// Answers `req` for this node's connections; `message` is the attached message of send calls.
pub(crate) fn run_local(handle: &Handle, state: &State, req: &Request, message: &Bytes) -> Answer {
    use Request::*;
    let mut a = Answer {
        node: handle.node_id().to_string(),
        ..Answer::default()
    };
    if let Some(client) = req.client() {
        let Some(conn) = handle.connection(client) else {
            return a;
        };
        // Entries are only added to open connections, under the directory lock,
        // so a connection that is closing never leaves entries behind. Reads
        // answer until the connection is gone (its entries go just before it).
        let mut dir = state.local();
        let open = !conn.is_closing();
        let id = conn.id();
        match req {
            BindUid { uid, .. } if open => {
                dir.bind_uid(id, uid);
                a.ok = true;
            }
            UnbindUid { .. } => a.ok = dir.unbind_uid(id),
            JoinGroup { group, .. } if open => {
                dir.join_group(id, group);
                a.ok = true;
            }
            LeaveGroup { group, .. } => a.ok = dir.leave_group(id, group),
            SetInfo { info, .. } if open => {
                dir.set_info(id, info.clone());
                a.ok = true;
            }
            UpdateInfo { info, .. } if open => {
                dir.update_info(id, info.clone());
                a.ok = true;
            }
            GetInfo { .. } => {
                a.ok = true;
                a.info = Some(dir.info(id));
            }
            SendToClient { .. } => {
                drop(dir);
                a.ok = handle.send_to(&conn, message.clone());
            }
            CloseClient { .. } => {
                drop(dir);
                if open {
                    handle.close(&conn, CloseCode::Normal.code(), crate::outbox::CLOSED_BY_THE_SERVER);
                    a.ok = true;
                }
            }
            IsOnline { .. } => a.ok = true,
            UidOfClient { .. } => {
                a.ok = true;
                a.uid = dir.uid_of(id).map(str::to_string);
            }
            Unsubscribe { channel, .. } => {
                drop(dir);
                a.ok = handle.unsubscribe(&conn, channel);
            }
            ChannelsOfClient { .. } => {
                a.ok = true;
                a.items = conn.channels();
            }
            _ => {}
        }
        return a;
    }
    let client_ids =
        |ids: Vec<u64>| -> Vec<String> { ids.into_iter().map(|n| format!("{}-{n}", handle.node_id())).collect() };
    match req {
        SendToUid { uid } => {
            let ids = state.local().conns_of_uid(uid);
            a.n = send_to_ids(handle, &ids, message);
        }
        SendToGroup { group } => {
            let ids = state.local().group(group);
            a.n = send_to_ids(handle, &ids, message);
        }
        SendToAll => {
            a.n = send_to_conns(handle, handle.connections(), message);
        }
        ClientsOfUid { uid } => a.items = client_ids(state.local().conns_of_uid(uid)),
        GroupClients { group } => a.items = client_ids(state.local().group(group)),
        GroupUids { group } => {
            let dir = state.local();
            a.items = dir
                .group(group)
                .into_iter()
                .filter_map(|id| dir.uid_of(id).map(str::to_string))
                .collect();
        }
        AllUids => a.items = state.local().uids(),
        AllGroups => a.items = state.local().groups(),
        ClientCount => a.n = handle.connection_count() as u64,
        Channels => {
            let channels = handle.channels();
            a.info = Some(
                channels
                    .into_iter()
                    .map(|c| {
                        let n = handle.subscriber_count(&c);
                        (c, n.to_string())
                    })
                    .collect(),
            );
        }
        NodeStats => a.info = Some(node_stats(handle, state.local().uids().len())),
        SubscriberCount { channel } => a.n = handle.subscriber_count(channel) as u64,
        Presence { channel, max } => {
            (a.n, a.items, a.members) = state.presence.members().local(channel, *max);
        }
        PresenceStats { channel } => {
            (a.n, a.items, _) = state.presence.members().local(channel, 0);
        }
        Takeover { key, client, opened } => {
            let older = state.local().older_with_key(key, *opened, client, |id| {
                handle.connection_by_id(id).map(|c| c.client_id().to_string())
            });
            for conn in older.into_iter().filter_map(|id| handle.connection_by_id(id)) {
                handle.close(&conn, CLOSE_TAKEN_OVER, CloseCode::TakenOver.reason());
                a.n += 1;
            }
        }
        _ => {}
    }
    a
}

/// This node's figures for [`Request::NodeStats`], as text (an [`Info`]): the plain
/// figures under their names, error replies as `errors.<Name>` and drops as
/// `drops.<namespace>` (an [`Info`] is flat, and a node that does not send these
/// keys, an older one, still answers).
fn node_stats(handle: &Handle, uids: usize) -> Info {
    let channels = handle.channels();
    let subscriptions: usize = channels.iter().map(|c| handle.subscriber_count(c)).sum();
    let m = handle.metrics();
    [
        ("connections", handle.connection_count() as u64),
        ("channels", channels.len() as u64),
        ("subscriptions", subscriptions as u64),
        ("messages_in", m.messages_in.get()),
        ("messages_out", m.messages_out.get()),
        ("deliveries", m.deliveries()),
        ("drops", m.drops()),
        ("slow_consumers", m.slow_consumers.get()),
        ("uptime_secs", handle.uptime().as_secs()),
        ("uids", uids as u64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain(
        m.errors_by_name()
            .into_iter()
            .map(|(n, v)| (format!("errors.{n}"), v.to_string())),
    )
    .chain(
        m.drops_by_namespace()
            .into_iter()
            .map(|(n, v)| (format!("drops.{n}"), v.to_string())),
    )
    .collect()
}

/// Queues `message` to each of `conns`; returns how many took it.
fn send_to_conns(handle: &Handle, conns: impl IntoIterator<Item = std::sync::Arc<Conn>>, message: &Bytes) -> u64 {
    conns.into_iter().filter(|c| handle.send_to(c, message.clone())).count() as u64
}

/// Queues `message` to the local connections numbered `ids`; returns how many took it.
fn send_to_ids(handle: &Handle, ids: &[u64], message: &Bytes) -> u64 {
    send_to_conns(
        handle,
        ids.iter().filter_map(|&id| handle.connection_by_id(id)),
        message,
    )
}

/// Combines the answers of every node: any `ok`, summed counts, the sorted
/// union of lists (a uid on two nodes is listed once), the first info and uid.
pub(crate) fn merge(answers: Vec<Answer>) -> Answer {
    let mut out = Answer::default();
    let mut items = BTreeSet::new();
    for a in answers {
        out.ok |= a.ok;
        out.n += a.n;
        items.extend(a.items);
        out.members.extend(a.members);
        if out.info.is_none() {
            out.info = a.info;
        }
        if out.uid.is_none() {
            out.uid = a.uid;
        }
    }
    out.items = items.into_iter().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_json() {
        let r = Request::BindUid {
            client: "n-1".into(),
            uid: "ann".into(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"op":"bind_uid","client":"n-1","uid":"ann"}"#);
        assert_eq!(serde_json::from_str::<Request>(&s).unwrap(), r);
        assert_eq!(r.client(), Some("n-1"));
        assert_eq!(Request::AllUids.client(), None);
    }

    #[test]
    fn merge_unions_and_sums() {
        let a = Answer {
            node: "a".into(),
            n: 2,
            items: vec!["u2".into(), "u1".into()],
            ..Answer::default()
        };
        let b = Answer {
            node: "b".into(),
            ok: true,
            n: 3,
            items: vec!["u1".into(), "u3".into()],
            uid: Some("x".into()),
            ..Answer::default()
        };
        let m = merge(vec![a, b]);
        assert!(m.ok);
        assert_eq!(m.n, 5);
        assert_eq!(m.items, ["u1", "u2", "u3"]);
        assert_eq!(m.uid.as_deref(), Some("x"));
    }
}
