//! What the rest of the server knows about one open connection: its ids, its
//! outbound queue and its subscriptions. Shared as `Arc<Conn>` by the hub and
//! the connection directory; the socket itself stays with the connection's task.
//! The fields are private so that only the handle changes subscriptions (and the
//! hub never disagrees with a connection about what it subscribes to).

use crate::config::Limits;
use crate::id::ConnId;
use crate::identity::Identity;
use crate::outbox::Outbox;
use crate::rate::{Limit, MessageRate, Verdict};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Milliseconds since the first connection of the process: a clock that fits an atomic.
fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// One open connection, as seen by publishers and the directory.
#[derive(Debug)]
pub struct Conn {
    /// Number of the connection on this node.
    id: ConnId,
    /// Cluster-unique id told to the client in the `connected` message.
    client_id: Box<str>,
    /// Frames waiting to be written to the socket.
    outbox: Outbox,
    /// Channels this connection is subscribed to, so subscribing twice is a no-op
    /// and everything is unsubscribed when it closes. A std mutex: never held across an await.
    subscriptions: Mutex<HashSet<Box<str>>>,
    /// Who the connection is, from its tokens (spec 14). A std mutex: never held across an await.
    identity: Mutex<Identity>,
    /// Wakes the connection's expiry task when its deadlines change.
    deadlines: tokio::sync::Notify,
    /// The messages it may still send, when the server limits their rate. A std
    /// mutex: only the connection's reader takes it, once per message.
    rate: Option<Mutex<MessageRate>>,
    /// When the client last sent anything ([`now_ms`]), for the idle timeout.
    last_seen: AtomicU64,
    /// The [shard](crate::shard) whose thread runs the connection's task;
    /// `usize::MAX` when it runs on the server's runtime.
    shard: AtomicUsize,
}

impl Conn {
    /// A connection with an empty queue and a full burst, within `limits`.
    pub(crate) fn new(id: ConnId, client_id: String, limits: &Limits) -> Self {
        let rate = Limit::new(limits.message_rate, limits.message_burst);
        Conn {
            id,
            client_id: client_id.into_boxed_str(),
            outbox: Outbox::new(limits.max_queue, limits.max_queue_bytes),
            subscriptions: Mutex::new(HashSet::new()),
            identity: Mutex::new(Identity::default()),
            deadlines: tokio::sync::Notify::new(),
            rate: rate.map(|l| Mutex::new(MessageRate::new(l, Instant::now()))),
            last_seen: AtomicU64::new(now_ms()),
            shard: AtomicUsize::new(usize::MAX),
        }
    }

    /// The shard that runs the connection's task, if one does.
    pub(crate) fn shard(&self) -> Option<usize> {
        let s = self.shard.load(Ordering::Relaxed);
        (s != usize::MAX).then_some(s)
    }

    /// Records that shard `shard` runs the connection's task (before it is spawned there).
    pub(crate) fn set_shard(&self, shard: usize) {
        self.shard.store(shard, Ordering::Relaxed);
    }

    /// The client sent something just now.
    pub(crate) fn seen(&self) {
        self.last_seen.store(now_ms(), Ordering::Relaxed);
    }

    /// How long the client has sent nothing.
    pub(crate) fn silent_for(&self) -> Duration {
        Duration::from_millis(now_ms().saturating_sub(self.last_seen.load(Ordering::Relaxed)))
    }

    /// Counts a message received now against the connection's message rate.
    pub(crate) fn message_rate(&self) -> Verdict {
        match &self.rate {
            None => Verdict::Pass,
            Some(r) => r.lock().unwrap_or_else(|e| e.into_inner()).message(Instant::now()),
        }
    }

    /// Who the connection is, from its tokens (a copy).
    pub fn identity(&self) -> Identity {
        self.identity_mut().clone()
    }

    /// The uid from the connection's token, if it has one.
    pub fn uid(&self) -> Option<String> {
        self.identity_mut().uid().map(str::to_string)
    }

    /// Whether the connection subscribes to `channel`.
    pub fn is_subscribed(&self, channel: &str) -> bool {
        self.subscriptions().contains(channel)
    }

    /// The identity, locked (the token filter and the pub/sub checks change it).
    pub(crate) fn identity_mut(&self) -> MutexGuard<'_, Identity> {
        self.identity.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the expiry task: a deadline changed.
    pub(crate) fn deadlines_changed(&self) {
        self.deadlines.notify_one();
    }

    /// Waits until a deadline changes.
    pub(crate) async fn deadline_change(&self) {
        self.deadlines.notified().await;
    }

    /// The connection's number on this node.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The cluster-unique client id told to the client in `connected`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Whether the connection is closing (nothing more is queued to it).
    pub fn is_closing(&self) -> bool {
        self.outbox.is_closing()
    }

    /// The channels this connection is subscribed to, sorted.
    pub fn channels(&self) -> Vec<String> {
        let mut v: Vec<String> = self.subscriptions().iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    /// The outbound queue (the handle, the pipeline and the connection's task push and drain it).
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The subscribed channels, locked (only the handle changes them, with the hub).
    pub(crate) fn subscriptions(&self) -> MutexGuard<'_, HashSet<Box<str>>> {
        self.subscriptions.lock().unwrap_or_else(|e| e.into_inner())
    }
}
