//! Directory calls between nodes over NATS request/reply, and which nodes are alive.
//!
//! Subjects (under the configured prefix):
//! - `<prefix>.dir.all`: calls for every node (scatter-gather: each node answers for its own part).
//! - `<prefix>.dir.node.<node-id>`: calls about one client, sent to the node in its client id.
//! - `<prefix>.nodes`: `hello <id>`, `alive <id>` (every second) and `bye <id>`, so a caller knows
//!   how many answers to wait for. A node that stops answering (killed) is missing from answers at
//!   once, and no longer awaited once its heartbeats have been missing for [`EXPIRY`].
//!
//! A call's payload is its JSON [`Request`], a newline, then the message to send (if any);
//! an answer is a JSON [`Answer`].

use super::ops::{run_local, Answer, Request};
use super::State;
use crate::handle::Handle;
use async_nats::connection::State as NatsState;
use async_nats::Client;
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How often a node says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A node unheard of for this long is no longer awaited.
pub const EXPIRY: Duration = Duration::from_secs(3);

/// One node's NATS side of the directory.
pub(crate) struct Link {
    /// The node's NATS connection (shared with the broker).
    client: Client,
    /// Subject prefix of this deployment.
    prefix: String,
    /// This node's id.
    node: String,
    /// How long a call waits for answers.
    timeout: Duration,
    /// Other nodes heard from, with when. A std mutex: a map update at a time, never across an await.
    members: Mutex<HashMap<String, Instant>>,
    /// Nodes that said `bye`, until [`newly_lost`](Self::newly_lost) tells of them.
    gone: Mutex<Vec<String>>,
}

impl Link {
    pub(crate) fn new(client: Client, prefix: &str, node: &str, timeout: Duration) -> Self {
        Link {
            client,
            prefix: prefix.to_string(),
            node: node.to_string(),
            timeout,
            members: Mutex::new(HashMap::new()),
            gone: Mutex::new(Vec::new()),
        }
    }

    /// The NATS connection.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The deployment's subject prefix.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn is_up(&self) -> bool {
        self.client.connection_state() == NatsState::Connected
    }

    /// The other nodes heard from within [`EXPIRY`].
    pub(crate) fn live_nodes(&self) -> Vec<String> {
        let m = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = m
            .iter()
            .filter(|(_, seen)| seen.elapsed() < EXPIRY)
            .map(|(node, _)| node.clone())
            .collect();
        v.sort();
        v
    }

    /// The nodes that said `bye` or went unheard for [`EXPIRY`] since the last
    /// call, each told once (until it is heard again and lost again).
    pub(crate) fn newly_lost(&self) -> Vec<String> {
        let mut m = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let mut lost: Vec<String> = m
            .iter()
            .filter(|(_, seen)| seen.elapsed() >= EXPIRY)
            .map(|(node, _)| node.clone())
            .collect();
        for node in &lost {
            m.remove(node);
        }
        drop(m);
        lost.append(&mut self.gone.lock().unwrap_or_else(|e| e.into_inner()));
        lost
    }

    fn heard(&self, node: &str, alive: bool) {
        let mut m = self.members.lock().unwrap_or_else(|e| e.into_inner());
        if alive {
            m.insert(node.to_string(), Instant::now());
        } else if m.remove(node).is_some() {
            self.gone
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(node.to_string());
        }
    }

    /// Asks `node` alone; `None` when it does not answer in time (gone, or NATS down).
    pub(crate) async fn ask_node(&self, node: &str, req: &Request, message: &Bytes) -> Option<Answer> {
        // A node id is a plain token; anything else would be a wildcard or a bad subject.
        if node.is_empty() || !node.bytes().all(|b| b.is_ascii_alphanumeric()) || !self.is_up() {
            return None;
        }
        let subject = format!("{}.dir.node.{node}", self.prefix);
        let reply = tokio::time::timeout(self.timeout, self.client.request(subject, encode(req, message)))
            .await
            .ok()?
            .ok()?;
        serde_json::from_slice(&reply.payload).ok()
    }

    /// Asks every other node; returns the answers that came within the timeout
    /// (it stops waiting as soon as every live node answered).
    pub(crate) async fn ask_all(&self, req: &Request, message: &Bytes) -> Vec<Answer> {
        if !self.is_up() {
            return Vec::new();
        }
        let expected: HashSet<String> = self.live_nodes().into_iter().collect();
        let inbox = self.client.new_inbox();
        let Ok(mut sub) = self.client.subscribe(inbox.clone()).await else {
            return Vec::new();
        };
        let subject = format!("{}.dir.all", self.prefix);
        if self
            .client
            .publish_with_reply(subject, inbox, encode(req, message))
            .await
            .is_err()
        {
            return Vec::new();
        }
        let deadline = Instant::now() + self.timeout;
        let mut answers = Vec::new();
        let mut heard = HashSet::new();
        while !expected.is_subset(&heard) {
            match tokio::time::timeout_at(deadline, sub.next()).await {
                Ok(Some(m)) => {
                    if let Ok(a) = serde_json::from_slice::<Answer>(&m.payload) {
                        if a.node != self.node && heard.insert(a.node.clone()) {
                            answers.push(a);
                        }
                    }
                }
                _ => break,
            }
        }
        answers
    }
}

fn encode(req: &Request, message: &Bytes) -> Bytes {
    let json = serde_json::to_vec(req).unwrap_or_default();
    let mut b = BytesMut::with_capacity(json.len() + 1 + message.len());
    b.put_slice(&json);
    b.put_u8(b'\n');
    b.put_slice(message);
    b.freeze()
}

fn decode(payload: &Bytes) -> Option<(Request, Bytes)> {
    let nl = payload.iter().position(|&b| b == b'\n')?;
    let req = serde_json::from_slice(&payload[..nl]).ok()?;
    Some((req, payload.slice(nl + 1..)))
}

/// Answers other nodes' calls and keeps the list of live nodes, until shutdown.
pub(crate) async fn serve(handle: Handle, state: std::sync::Arc<State>, link: std::sync::Arc<Link>) {
    let client = &link.client;
    let prefix = &link.prefix;
    let (Ok(mut all), Ok(mut mine), Ok(mut nodes)) = (
        client.subscribe(format!("{prefix}.dir.all")).await,
        client.subscribe(format!("{prefix}.dir.node.{}", link.node)).await,
        client.subscribe(format!("{prefix}.nodes")).await,
    ) else {
        tracing::error!("cannot subscribe to the directory subjects: the directory is local only");
        return;
    };
    let say = |what: &str| {
        let client = client.clone();
        let subject = format!("{prefix}.nodes");
        let payload = Bytes::from(format!("{what} {}", link.node));
        async move {
            let _ = client.publish(subject, payload).await;
        }
    };
    say("hello").await;
    let mut shutdown = handle.shutdown_signal();
    let mut beat = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            Some(m) = all.next() => answer(&handle, &state, client, m).await,
            Some(m) = mine.next() => answer(&handle, &state, client, m).await,
            Some(m) = nodes.next() => {
                let text = String::from_utf8_lossy(&m.payload);
                let Some((what, node)) = text.split_once(' ') else { continue };
                if node == link.node {
                    continue;
                }
                link.heard(node, what != "bye");
                if what == "hello" {
                    // A new node: tell it about this one now rather than at the next beat.
                    say("alive").await;
                }
            }
            _ = beat.tick() => say("alive").await,
            _ = shutdown.recv() => break,
        }
    }
    say("bye").await;
    let _ = client.flush().await;
}

async fn answer(handle: &Handle, state: &State, client: &Client, m: async_nats::Message) {
    let (Some(reply), Some((req, message))) = (m.reply, decode(&m.payload)) else {
        return;
    };
    let a = run_local(handle, state, &req, &message);
    if let Ok(json) = serde_json::to_vec(&a) {
        let _ = client.publish(reply, Bytes::from(json)).await;
    }
}
