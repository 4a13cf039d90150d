//! Presence (spec/PROTOCOL.md 15): each channel's members, kept by the node of
//! each member as the directory keeps its entries, and `join` / `leave` events
//! to the channel's subscribers on every node.
//!
//! It sits in the cluster layer because a member is what the directory knows of
//! a connection (its uid and info), and because its answers and events cross
//! nodes on the directory's NATS link. It only listens to the handle's
//! lifecycle hooks and delivers through the handle.
//!
//! Module map:
//! - `members`: the tables (this node's members with their grace, other nodes' as heard).
//! - `event`: a join or leave, as subscribers get it and as it travels on NATS.
//! - `query`: the `presence` / `presence-stats` request headers.
//! - `identity`: the self-declared uid and info of `--client-identity`.

mod event;
mod identity;
mod members;
mod query;

pub use identity::ClientIdentity;
pub use members::Member;
pub use query::PresenceRequest;

pub(crate) use event::{Event, Reason, Wire};
pub(crate) use members::Members;

use super::rpc::{self, EXPIRY};
use super::{HandleExt, State};
use crate::conn::Conn;
use crate::handle::Handle;
use crate::hooks::ChannelHooks;
use bytes::Bytes;
use futures_util::StreamExt;
use members::{Joined, Left};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A channel's presence as a query answers it, cluster-wide (15.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelPresence {
    /// Its members (subscribed connections) on every node that answered.
    pub connections: u64,
    /// Distinct non-empty uids among them.
    pub users: u64,
    /// The members, by client id, at most the server's `presence_max_members`.
    pub members: Vec<Member>,
    /// There are more members than listed.
    pub capped: bool,
}

/// The presence layer's state, in the cluster's.
pub(crate) struct Presence {
    members: Mutex<Members>,
    /// What the other nodes must hear, sent in order by the presence task.
    outgoing: mpsc::UnboundedSender<Wire>,
    /// Taken by the task when it starts.
    queued: Mutex<Option<mpsc::UnboundedReceiver<Wire>>>,
}

impl Default for Presence {
    fn default() -> Self {
        let (outgoing, queued) = mpsc::unbounded_channel();
        Presence {
            members: Mutex::default(),
            outgoing,
            queued: Mutex::new(Some(queued)),
        }
    }
}

impl Presence {
    pub(crate) fn members(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `wire` for the other nodes (when there are: with NATS).
    fn tell(&self, state_has_link: bool, wire: Wire) {
        if state_has_link {
            let _ = self.outgoing.send(wire);
        }
    }
}

/// How much sooner than the node holding a member in its grace another node
/// stops taking a reconnect as its return: more than NATS takes to carry the
/// `back`, so the two never both act.
const AWAY_MARGIN: Duration = Duration::from_secs(1);

/// The subject the nodes' events travel on.
fn subject(prefix: &str) -> String {
    format!("{prefix}.presence")
}

/// Delivers `event` to this node's subscribers of its channel, and, when it is
/// about a member of this node, to the other nodes.
fn emit(handle: &Handle, state: &State, event: Event) {
    deliver(handle, &event);
    state.presence.tell(state.link().is_some(), Wire::Event(event));
}

/// Delivers `event` to this node's subscribers of its channel.
fn deliver(handle: &Handle, event: &Event) {
    match event.message() {
        // Straight to the hub: an event is no publication, so it never enters the
        // channel's history (deliver_local would append it there).
        Ok(message) => {
            handle.deliver_entry(&event.channel, &message);
        }
        Err(e) => tracing::warn!(
            channel = %event.channel,
            client = %event.member.client,
            error = %e,
            "a presence event cannot be written (a uid bound through the directory is no header value): not sent"
        ),
    }
}

/// Keeps the members in step with subscriptions; registered on every server.
pub(crate) struct Hooks(pub(crate) Arc<State>);

impl ChannelHooks for Hooks {
    fn on_subscribe(&self, handle: &Handle, conn: &Conn, channel: &str) {
        let ns = handle.config().namespace_of(channel);
        if !ns.has_presence() {
            return;
        }
        let state = &self.0;
        let member = {
            let dir = state.local();
            Member {
                client: conn.client_id().to_string(),
                uid: dir.uid_of(conn.id()).unwrap_or_default().to_string(),
                info: dir.info(conn.id()),
            }
        };
        let (joined, back) = {
            let mut members = state.presence.members();
            let joined = members.join(channel, conn.id(), member.clone());
            let back = (joined == Joined::New && state.link().is_some())
                .then(|| members.take_away(channel, &member.uid, std::time::Instant::now()))
                .flatten();
            (joined, back)
        };
        if let Some(old) = back {
            // It took the place of its own connection in its grace on another node.
            let wire = Wire::Back {
                channel: channel.to_string(),
                old,
                member,
            };
            state.presence.tell(true, wire);
        } else if ns.join_leave && joined == Joined::New {
            emit(
                handle,
                state,
                Event {
                    channel: channel.to_string(),
                    member,
                    leave: None,
                },
            );
        }
        if ns.join_leave && ns.presence && state.link().is_some() && handle.subscriber_count(channel) == 1 {
            tokio::spawn(seed(handle.clone(), state.clone(), channel.to_string()));
        }
    }

    fn on_unsubscribe(&self, handle: &Handle, conn: &Conn, channel: &str) {
        let ns = handle.config().namespace_of(channel);
        if !ns.has_presence() {
            return;
        }
        let state = &self.0;
        let disconnect = conn.is_closing();
        let grace = handle.config().presence.grace;
        let wait = disconnect && !grace.is_zero() && !handle.is_shutting_down();
        let reason = if disconnect {
            Reason::Disconnect
        } else {
            Reason::Unsubscribe
        };
        let left = state.presence.members().leave(channel, conn.id(), wait);
        match left {
            Left::Now(member) if ns.join_leave => emit(
                handle,
                state,
                Event {
                    channel: channel.to_string(),
                    member,
                    leave: Some(reason),
                },
            ),
            Left::Later(ticket) => {
                let away = Wire::Away {
                    channel: channel.to_string(),
                    uid: state.local().uid_of(conn.id()).unwrap_or_default().to_string(),
                    client: conn.client_id().to_string(),
                    grace_ms: grace.as_millis() as u64,
                };
                state.presence.tell(state.link().is_some(), away);
                let (weak, state, channel, id) = (handle.downgrade(), state.clone(), channel.to_string(), conn.id());
                let join_leave = ns.join_leave;
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    let Some(handle) = weak.upgrade() else { return };
                    let gone = state.presence.members().expire(&channel, id, ticket);
                    if let (Some(member), true) = (gone, join_leave) {
                        let leave = Some(Reason::Disconnect);
                        emit(&handle, &state, Event { channel, member, leave });
                    }
                });
            }
            _ => {}
        }
        if handle.subscriber_count(channel) == 0 {
            state.presence.members().forget(channel);
        }
    }
}

/// How often a seed asks again for the nodes that did not answer, and the
/// first wait between tries (doubling).
const SEED_TRIES: u32 = 4;
const SEED_RETRY: Duration = Duration::from_millis(500);

/// Learns the other nodes' members of `channel` when this node's first
/// subscriber joined it, so that it can tell of their leave if their node is lost.
/// Nodes that did not answer are asked again; if one never does, a warn line says
/// whose leaves this node cannot send (the failure is the operator's to see).
async fn seed(handle: Handle, state: Arc<State>, channel: String) {
    let Some(link) = state.link() else { return };
    let req = super::ops::Request::Presence {
        channel: channel.clone(),
        max: usize::MAX,
    };
    let mut wait = SEED_RETRY;
    for attempt in 1..=SEED_TRIES {
        let answers = link.ask_all(&req, &Bytes::new()).await;
        if handle.subscriber_count(&channel) == 0 {
            return;
        }
        let answered: std::collections::HashSet<String> = answers.iter().map(|a| a.node.clone()).collect();
        {
            let mut members = state.presence.members();
            for m in answers.into_iter().flat_map(|a| a.members) {
                if m.node() != handle.node_id() {
                    members.heard(&channel, m, true);
                }
            }
        }
        let missing: Vec<String> = link
            .live_nodes()
            .into_iter()
            .filter(|n| n != handle.node_id() && !answered.contains(n))
            .collect();
        if missing.is_empty() {
            return;
        }
        if attempt == SEED_TRIES {
            tracing::warn!(
                channel = %channel,
                nodes = ?missing,
                "presence: nodes did not say who is in {channel} after {SEED_TRIES} tries; if one of them is lost, \
                 this node's subscribers get no leave for its members (check NATS and those nodes' logs, \
                 or raise --cluster-timeout)"
            );
            return;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}

/// Starts the presence task: it sends this node's events to the others, delivers
/// theirs, says that the members of a lost node left, and at shutdown sends the
/// leaves still in their grace. Ends at shutdown.
pub(crate) fn start(handle: &Handle, state: &Arc<State>) {
    if !handle.config().has_any_presence() {
        return;
    }
    let Some(queued) = state.presence.queued.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return;
    };
    tokio::spawn(run(handle.clone(), state.clone(), queued));
}

async fn run(handle: Handle, state: Arc<State>, mut queued: mpsc::UnboundedReceiver<Wire>) {
    let mut shutdown = handle.shutdown_signal();
    let Some(link) = state.link().cloned() else {
        let _ = shutdown.recv().await;
        flush_leaving(&handle, &state);
        return;
    };
    let subject = subject(link.prefix());
    let mut incoming = match link.client().subscribe(subject.clone()).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e, "cannot subscribe to the presence subject: other nodes' joins and leaves will not arrive");
            None
        }
    };
    let mut tick = tokio::time::interval(rpc::HEARTBEAT);
    // After a NATS outage of this node, the others are heard again within a
    // heartbeat: none is lost for not being heard while this node was cut off.
    let mut quiet_until = Instant::now() + EXPIRY;
    loop {
        tokio::select! {
            Some(wire) = queued.recv() => publish(&link, &subject, &wire).await,
            Some(m) = async { match incoming.as_mut() { Some(s) => s.next().await, None => None } } => {
                heard(&handle, &state, &m.payload);
            }
            _ = tick.tick() => {
                state.presence.members().prune_away(std::time::Instant::now());
                if !link.is_up() {
                    quiet_until = Instant::now() + EXPIRY;
                } else if Instant::now() >= quiet_until {
                    for node in link.newly_lost() {
                        node_lost(&handle, &state, &node);
                    }
                }
            }
            _ = shutdown.recv() => break,
        }
    }
    flush_leaving(&handle, &state);
    while let Ok(wire) = queued.try_recv() {
        publish(&link, &subject, &wire).await;
    }
    let _ = link.client().flush().await;
}

async fn publish(link: &rpc::Link, subject: &str, wire: &Wire) {
    let Ok(json) = serde_json::to_vec(wire) else { return };
    if let Err(e) = link.client().publish(subject.to_string(), Bytes::from(json)).await {
        tracing::warn!(error = %e, "a presence event could not be sent to the other nodes (NATS): they miss it");
    }
}

/// What another node said: an event is delivered here, and remembered while
/// this node has subscribers of its channel; a member away or back is noted.
fn heard(handle: &Handle, state: &State, payload: &[u8]) {
    let Ok(wire) = serde_json::from_slice::<Wire>(payload) else {
        tracing::warn!("a presence event from another node does not read: skipped (nodes of different versions?)");
        return;
    };
    let event = match wire {
        Wire::Event(e) => e,
        Wire::Away {
            channel,
            uid,
            client,
            grace_ms,
        } => {
            let grace = Duration::from_millis(grace_ms);
            let until = Instant::now() + grace.saturating_sub(AWAY_MARGIN.min(grace / 2));
            state
                .presence
                .members()
                .heard_away(&channel, &uid, &client, until.into_std());
            return;
        }
        Wire::Back { channel, old, member } => {
            let mut members = state.presence.members();
            members.heard_back(&channel, &old, member);
            if handle.subscriber_count(&channel) == 0 {
                members.forget(&channel);
            }
            return;
        }
    };
    if event.member.node() == handle.node_id() || handle.subscriber_count(&event.channel) == 0 {
        return;
    }
    state
        .presence
        .members()
        .heard(&event.channel, event.member.clone(), event.leave.is_none());
    deliver(handle, &event);
}

/// `node` is lost: each of its members this node knew of leaves, for this node's subscribers.
fn node_lost(handle: &Handle, state: &State, node: &str) {
    let gone = state.presence.members().take_node(node);
    if !gone.is_empty() {
        tracing::warn!(%node, members = gone.len(), "a node stopped answering: its members leave (node-lost)");
    }
    for (channel, member) in gone {
        if handle.config().namespace_of(&channel).join_leave {
            let leave = Some(Reason::NodeLost);
            deliver(handle, &Event { channel, member, leave });
        }
    }
}

/// The node stops: the members still in their grace leave now.
fn flush_leaving(handle: &Handle, state: &State) {
    let leaving = state.presence.members().take_leaving();
    for (channel, member) in leaving {
        if handle.config().namespace_of(&channel).join_leave {
            let leave = Some(Reason::Disconnect);
            emit(handle, state, Event { channel, member, leave });
        }
    }
}

/// A channel's presence, cluster-wide, through the directory.
pub(crate) async fn query(handle: &Handle, channel: &str, list: bool) -> ChannelPresence {
    let max = handle.config().presence.max_members;
    let req = if list {
        super::ops::Request::Presence {
            channel: channel.into(),
            max,
        }
    } else {
        super::ops::Request::PresenceStats {
            channel: channel.into(),
        }
    };
    let a = handle.directory().ask(req).await;
    let mut members = a.members;
    members.sort_by(|x, y| x.client.cmp(&y.client));
    members.truncate(max);
    let capped = list && a.n > members.len() as u64;
    ChannelPresence {
        connections: a.n,
        users: a.items.len() as u64,
        members,
        capped,
    }
}
