//! The NATS broker: carries publishes between nodes through core NATS
//! (async-nats). One NATS subscription per channel per node, opened when the
//! node's first local subscriber joins and dropped when its last one leaves.
//!
//! Exactly once per subscriber:
//! - The connection is made with `no_echo`, so a node never receives its own
//!   publishes back (its local subscribers were served by the hub already).
//! - A message for several channels goes once to each channel's subject with an
//!   `Lhttp-Channels` header listing them all (encoded); a receiving node hands it
//!   to a local connection only from the first listed channel that connection
//!   subscribes to. The header is also sent when a subject token was hashed, so
//!   a hash collision is recognised and ignored.

use super::subject;
use crate::broker::Broker;
use crate::handle::Handle;
use async_nats::connection::State as NatsState;
use async_nats::{Client, HeaderMap};
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// NATS header listing every channel of a multi-channel (or hashed) publish.
pub const CHANNELS_HEADER: &str = "Lhttp-Channels";

/// Publishes waiting for the forwarding task; beyond this they are dropped (and counted).
const OUTGOING_CAPACITY: usize = 16 * 1024;

/// One message to hand to NATS.
struct Outgoing {
    subject: String,
    headers: Option<HeaderMap>,
    payload: Bytes,
}

/// Opening or closing one channel's NATS subscription, in the order the hub asked.
enum SubCommand {
    Open(String),
    Close(String),
}

/// The broker behind `lhttpd --nats URL`.
pub struct NatsBroker {
    /// The node's NATS connection (shared with the directory).
    client: Client,
    /// `<prefix>.ch.`: the start of every channel subject.
    channel_prefix: String,
    /// To the task that hands publishes to async-nats (whose `publish` is async).
    outgoing: mpsc::Sender<Outgoing>,
    /// To the task that owns the per-channel subscriptions.
    subscriptions: mpsc::UnboundedSender<SubCommand>,
    /// Publishes not carried to other nodes (NATS down or the queue full).
    dropped: AtomicU64,
    /// The ends of the two queues, until [`NatsBroker::start`] hands them to the tasks.
    /// What arrives before (a channel opened while the server is set up) waits in the queues.
    pending: Mutex<Option<Pending>>,
}

/// The receiving ends of the broker's queues, for its tasks.
struct Pending {
    outgoing: mpsc::Receiver<Outgoing>,
    subscriptions: mpsc::UnboundedReceiver<SubCommand>,
}

impl NatsBroker {
    /// A broker on `client` for subjects under `prefix`; it carries nothing
    /// until [`start`](Self::start)ed with the handle it delivers to.
    pub(crate) fn new(client: Client, prefix: &str) -> NatsBroker {
        let (out_tx, out_rx) = mpsc::channel(OUTGOING_CAPACITY);
        let (sub_tx, sub_rx) = mpsc::unbounded_channel();
        NatsBroker {
            client,
            channel_prefix: format!("{prefix}.ch."),
            outgoing: out_tx,
            subscriptions: sub_tx,
            dropped: AtomicU64::new(0),
            pending: Mutex::new(Some(Pending {
                outgoing: out_rx,
                subscriptions: sub_rx,
            })),
        }
    }

    /// Starts the broker's tasks, delivering what other nodes publish to
    /// `handle`'s subscribers; they end at shutdown. Once only: later calls do nothing.
    pub(crate) fn start(&self, handle: Handle) {
        let Some(p) = self.pending.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        tokio::spawn(forward(self.client.clone(), p.outgoing));
        tokio::spawn(manage_subscriptions(
            handle,
            self.client.clone(),
            self.channel_prefix.clone(),
            p.subscriptions,
        ));
    }

    fn subject(&self, token: &str) -> String {
        let mut s = String::with_capacity(self.channel_prefix.len() + token.len());
        s.push_str(&self.channel_prefix);
        s.push_str(token);
        s
    }
}

impl Broker for NatsBroker {
    fn name(&self) -> &'static str {
        "nats"
    }

    fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn publish(&self, channels: &[&str], message: &Bytes) {
        if !self.is_up() {
            // Not queued for later: a message replayed after an outage would
            // arrive out of order with everything published since.
            self.dropped.fetch_add(channels.len() as u64, Ordering::Relaxed);
            return;
        }
        let tokens: Vec<String> = channels.iter().map(|c| subject::subject_token(c)).collect();
        let listed = channels.len() > 1 || tokens.iter().any(|t| subject::is_hashed(t));
        let headers = listed.then(|| {
            let list: Vec<String> = channels.iter().map(|c| subject::encode(c)).collect();
            let mut h = HeaderMap::new();
            h.insert(CHANNELS_HEADER, list.join(" ").as_str());
            h
        });
        for token in &tokens {
            let out = Outgoing {
                subject: self.subject(token),
                headers: headers.clone(),
                payload: message.clone(),
            };
            if self.outgoing.try_send(out).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn channel_opened(&self, channel: &str) {
        let _ = self.subscriptions.send(SubCommand::Open(channel.into()));
    }

    fn channel_closed(&self, channel: &str) {
        let _ = self.subscriptions.send(SubCommand::Close(channel.into()));
    }

    fn is_up(&self) -> bool {
        self.client.connection_state() == NatsState::Connected
    }
}

/// Hands queued publishes to async-nats, in order.
async fn forward(client: Client, mut rx: mpsc::Receiver<Outgoing>) {
    while let Some(o) = rx.recv().await {
        let r = match o.headers {
            Some(h) => client.publish_with_headers(o.subject, h, o.payload).await,
            None => client.publish(o.subject, o.payload).await,
        };
        if let Err(e) = r {
            tracing::debug!(error = %e, "nats publish failed");
        }
    }
}

/// Owns one NATS subscription (and its reading task) per channel with a local
/// subscriber. async-nats restores them by itself after a reconnect.
async fn manage_subscriptions(
    handle: Handle,
    client: Client,
    channel_prefix: String,
    mut rx: mpsc::UnboundedReceiver<SubCommand>,
) {
    let mut readers: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut shutdown = handle.shutdown_signal();
    loop {
        let cmd = tokio::select! {
            c = rx.recv() => c,
            _ = shutdown.recv() => None,
        };
        match cmd {
            Some(SubCommand::Open(channel)) => {
                if readers.contains_key(&channel) {
                    continue;
                }
                let subject = format!("{channel_prefix}{}", subject::subject_token(&channel));
                match client.subscribe(subject).await {
                    Ok(sub) => {
                        let task = tokio::spawn(read(handle.clone(), channel.clone(), sub));
                        readers.insert(channel, task);
                    }
                    Err(e) => tracing::warn!(%channel, error = %e, "nats subscribe failed"),
                }
            }
            Some(SubCommand::Close(channel)) => {
                // Dropping the subscriber (with its task) unsubscribes.
                if let Some(task) = readers.remove(&channel) {
                    task.abort();
                }
            }
            None => break,
        }
    }
    readers.values().for_each(JoinHandle::abort);
}

/// Delivers what arrives on one channel's subject to the local subscribers.
async fn read(handle: Handle, channel: String, mut sub: async_nats::Subscriber) {
    while let Some(m) = sub.next().await {
        let listed = m
            .headers
            .as_ref()
            .and_then(|h| h.get(CHANNELS_HEADER))
            .map(|v| v.as_str().to_string());
        match listed {
            None => {
                handle.deliver_local(&[&channel], m.payload);
            }
            Some(list) => {
                let names: Vec<String> = list.split(' ').filter_map(subject::decode).collect();
                // A hashed subject shared by another name: not ours.
                let Some(pos) = names.iter().position(|n| *n == channel) else {
                    continue;
                };
                let earlier: Vec<&str> = names[..pos].iter().map(String::as_str).collect();
                handle.deliver_first(&[&channel], &earlier, m.payload);
            }
        }
    }
}
