//! Channel history in NATS JetStream, shared by every node of a cluster (spec
//! 13.6): one stream for the deployment's prefix keeps each channel's entries
//! (offsets are the stream's sequence numbers, the epoch is the stream's
//! creation time), and republishes each entry with the previous sequence of its
//! channel, so a node follows a channel with one plain subscription and tells
//! a gap (another channel's entry) from a hole (a missed one of its own).
//!
//! Module map:
//! - `stream`: the stream's settings, its epoch, and the watch that notices a lost stream.
//! - `read`: reads of one channel's entries by direct get (recovery, history, holes).
//! - `channel`: one followed channel: its live reader, its subscribers joining, its holes.

mod channel;
mod read;
mod stream;

use super::subject;
use crate::config::{Config, Namespace};
use crate::conn::Conn;
use crate::handle::{Handle, WeakHandle};
use crate::history::{OwnedQuery, Page, Pending, SharedHistory, SharedJoined};
use crate::reject::Reject;
use async_nats::{Client, HeaderMap};
use bytes::Bytes;
use channel::Channel;
use lhttp_core::{OwnedPosition, ServerError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use tokio::sync::{mpsc, oneshot};

/// Header naming the channel of an entry whose subject token was hashed, so a
/// collision is recognised and skipped.
const CHANNEL_HEADER: &str = "Lhttp-Channel";

/// One append waiting for the task that hands them to JetStream in order.
struct Append {
    subject: String,
    headers: Option<HeaderMap>,
    payload: Bytes,
    done: oneshot::Sender<Result<u64, String>>,
}

/// The JetStream history store.
pub(crate) struct JetStreamHistory {
    inner: Arc<Inner>,
}

/// What the store's tasks and channels share.
pub(crate) struct Inner {
    client: Client,
    js: async_nats::jetstream::Context,
    /// The stream's name and subjects.
    names: stream::Names,
    /// The stream's per-channel limit: the largest `history_size` of any namespace.
    per_channel: i64,
    /// The stream's limit in bytes.
    max_bytes: i64,
    /// The stream and its epoch, once set up (and again after it was lost).
    current: RwLock<Option<Arc<stream::Current>>>,
    /// The channels this node follows, by name.
    channels: Mutex<HashMap<String, Arc<Channel>>>,
    /// The server, to deliver to (set at start).
    handle: OnceLock<WeakHandle>,
    /// To the task that hands appends to JetStream.
    appends: mpsc::UnboundedSender<Append>,
    /// Its receiving end, until the store starts.
    pending_appends: Mutex<Option<mpsc::UnboundedReceiver<Append>>>,
}

impl JetStreamHistory {
    /// A store on `client` for the deployment `prefix`, sized for `config`'s namespaces.
    pub(crate) fn new(client: Client, prefix: &str, config: &Config) -> JetStreamHistory {
        let (tx, rx) = mpsc::unbounded_channel();
        let per_channel = std::iter::once(&config.namespace)
            .chain(config.namespaces.values())
            .filter(|ns| ns.has_history())
            .map(|ns| ns.history_size)
            .max()
            .unwrap_or(1);
        JetStreamHistory {
            inner: Arc::new(Inner {
                js: async_nats::jetstream::new(client.clone()),
                client,
                names: stream::Names::new(prefix),
                per_channel: i64::try_from(per_channel).unwrap_or(i64::MAX),
                max_bytes: match config.cluster.history_max_bytes {
                    0 => -1,
                    n => i64::try_from(n).unwrap_or(i64::MAX),
                },
                current: RwLock::new(None),
                channels: Mutex::default(),
                handle: OnceLock::new(),
                appends: tx,
                pending_appends: Mutex::new(Some(rx)),
            }),
        }
    }

    /// Sets up the stream and starts the store's tasks for `handle`; they end at shutdown.
    pub(crate) fn start(&self, handle: &Handle) {
        let _ = self.inner.handle.set(handle.downgrade());
        let Some(rx) = lock(&self.inner.pending_appends).take() else {
            return;
        };
        tokio::spawn(forward(self.inner.js.clone(), rx));
        tokio::spawn(stream::watch(self.inner.clone(), handle.shutdown_signal()));
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The refusal when the stream cannot be reached (NATS down, JetStream off).
pub(crate) fn unavailable(why: impl std::fmt::Display) -> Reject {
    Reject::new(
        ServerError::Internal.as_str(),
        format!("history store (JetStream) not reachable: {why}"),
    )
}

impl Inner {
    /// The stream and its epoch, or the refusal while there is none.
    pub(crate) fn current(&self) -> Result<Arc<stream::Current>, Reject> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| unavailable("the stream is not set up yet"))
    }

    pub(crate) fn handle(&self) -> Option<Handle> {
        self.handle.get().and_then(WeakHandle::upgrade)
    }

    /// The subject token of `channel` and, when it was hashed, the header naming it.
    fn token(channel: &str) -> (String, Option<HeaderMap>) {
        let token = subject::subject_token(channel);
        let headers = subject::is_hashed(&token).then(|| {
            let mut h = HeaderMap::new();
            h.insert(CHANNEL_HEADER, subject::encode(channel).as_str());
            h
        });
        (token, headers)
    }

    /// The channel this node follows as `name`, made (with its reader) if new;
    /// `conn` is counted among its members, under the map's lock so that it is
    /// never dropped in between.
    fn member(self: &Arc<Self>, name: &str, conn: &Arc<Conn>) -> Arc<Channel> {
        let mut map = lock(&self.channels);
        let ch = map
            .entry(name.to_string())
            .or_insert_with(|| Channel::open(self.clone(), name))
            .clone();
        ch.add_member(conn);
        ch
    }
}

/// Whether an entry read or received for `channel` is its own: a `hashed`
/// subject token may be shared, and its entries name their channel.
pub(crate) fn is_ours(headers: Option<&HeaderMap>, channel: &str, hashed: bool) -> bool {
    match headers.and_then(|h| h.get(CHANNEL_HEADER)) {
        None => !hashed,
        Some(v) => subject::decode(v.as_str()).as_deref() == Some(channel),
    }
}

impl SharedHistory for JetStreamHistory {
    fn name(&self) -> &'static str {
        "jetstream"
    }

    fn append(&self, channel: &str, _ns: &Namespace, message: Bytes) -> Pending<Result<OwnedPosition, Reject>> {
        let current = self.inner.current();
        let (token, headers) = Inner::token(channel);
        let (done, answer) = oneshot::channel();
        let queued = current.as_ref().ok().map(|c| {
            self.inner.appends.send(Append {
                subject: c.names.entry(&token),
                headers,
                payload: message,
                done,
            })
        });
        Box::pin(async move {
            let current = current?;
            if !matches!(queued, Some(Ok(()))) {
                return Err(unavailable("the server is stopping"));
            }
            let offset = answer
                .await
                .map_err(|_| unavailable("the append was dropped"))?
                .map_err(unavailable)?;
            Ok(OwnedPosition {
                epoch: current.epoch.to_string(),
                offset,
            })
        })
    }

    fn join(
        &self,
        conn: &Arc<Conn>,
        channel: &str,
        ns: &Namespace,
        since: Option<OwnedPosition>,
    ) -> Pending<Result<SharedJoined, Reject>> {
        let ch = self.inner.member(channel, conn);
        let (conn, ns) = (conn.clone(), ns.clone());
        Box::pin(async move { ch.join(&conn, &ns, since).await })
    }

    fn left(&self, conn: &Conn, channel: &str) {
        let mut map = lock(&self.inner.channels);
        let Some(ch) = map.get(channel).cloned() else {
            return;
        };
        if ch.remove_member(conn) {
            map.remove(channel);
            ch.close();
        }
    }

    fn read(&self, channel: &str, ns: &Namespace, query: OwnedQuery) -> Pending<Result<Page, Reject>> {
        let (inner, channel, ns) = (self.inner.clone(), channel.to_string(), ns.clone());
        Box::pin(async move { read::page(&inner, &channel, &ns, &query).await })
    }

    fn stream_count(&self) -> usize {
        lock(&self.inner.channels).len()
    }
}

/// Hands appends to JetStream in the order they were made (so one connection's
/// publications keep their order), then waits for each acknowledgement apart.
async fn forward(js: async_nats::jetstream::Context, mut rx: mpsc::UnboundedReceiver<Append>) {
    while let Some(a) = rx.recv().await {
        let sent = match a.headers {
            Some(h) => js.publish_with_headers(a.subject, h, a.payload).await,
            None => js.publish(a.subject, a.payload).await,
        };
        match sent {
            Ok(ack) => {
                tokio::spawn(async move {
                    let _ = a.done.send(ack.await.map(|a| a.sequence).map_err(|e| e.to_string()));
                });
            }
            Err(e) => {
                let _ = a.done.send(Err(e.to_string()));
            }
        }
    }
}
