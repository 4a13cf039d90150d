//! One channel a node follows: a plain subscription to the entries JetStream
//! republishes (one per channel per node, whatever its subscribers), the last
//! offset delivered, and the connections still joining.
//!
//! A joining connection is buffered: live entries that arrive while its
//! recovery reads the stream are kept, then sent after the recovered ones,
//! skipping any already sent; it joins the hub once the reader has passed
//! everything it was sent, so nothing is lost or repeated (13.4). A live entry
//! names its channel's previous offset: one that does not follow the last one
//! delivered reveals a hole, filled from the stream or, if it cannot be,
//! answered by closing the channel's connections with 4002 (13.6).

use super::read::{self, Delivered};
use super::{is_ours, lock, Inner};
use crate::config::Namespace;
use crate::conn::Conn;
use crate::handle::Handle;
use crate::history::SharedJoined;
use crate::id::ConnId;
use crate::reject::Reject;
use futures_util::StreamExt;
use lhttp_core::{CloseCode, OwnedPosition, ServerError};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How a joining connection gets live entries.
enum Mode {
    /// Its recovery is still reading: keep them.
    Buffering(Vec<Delivered>),
    /// It was sent everything up to this offset; the reader has not passed it yet.
    Forwarding(u64),
}

struct Joiner {
    conn: Arc<Conn>,
    mode: Mode,
}

#[derive(Default)]
struct State {
    /// The last offset the reader delivered (`None`: none since it subscribed).
    top: Option<u64>,
    /// The last offset known to be the channel's, delivered or read by a join
    /// (what the next live entry must name as its previous one).
    known: Option<u64>,
    /// The connections joining, not yet in the hub.
    joiners: Vec<Joiner>,
    /// Every connection holding the channel, joined or joining.
    members: HashSet<ConnId>,
}

/// A followed channel.
pub(crate) struct Channel {
    inner: Arc<Inner>,
    name: String,
    state: Mutex<State>,
    /// Set once the subscription is made: reads start after it, so an entry is
    /// either read or received, never neither.
    ready: watch::Receiver<Result<bool, String>>,
    reader: Mutex<Option<JoinHandle<()>>>,
}

impl Channel {
    /// Follows `name`: subscribes in a task of its own.
    pub(crate) fn open(inner: Arc<Inner>, name: &str) -> Arc<Channel> {
        let (tx, rx) = watch::channel(Ok(false));
        let ch = Arc::new(Channel {
            inner,
            name: name.to_string(),
            state: Mutex::default(),
            ready: rx,
            reader: Mutex::new(None),
        });
        let task = tokio::spawn(follow(Arc::downgrade(&ch), tx));
        *lock(&ch.reader) = Some(task);
        ch
    }

    pub(crate) fn add_member(&self, conn: &Conn) {
        lock(&self.state).members.insert(conn.id());
    }

    /// Forgets `conn`; `true` when no member is left.
    pub(crate) fn remove_member(&self, conn: &Conn) -> bool {
        let mut s = lock(&self.state);
        s.joiners.retain(|j| j.conn.id() != conn.id());
        s.members.remove(&conn.id());
        s.members.is_empty()
    }

    /// Stops following (the reader's subscription ends with it).
    pub(crate) fn close(&self) {
        if let Some(t) = lock(&self.reader).take() {
            t.abort();
        }
    }

    /// Closes every member with `code`.
    pub(crate) fn close_members(&self, code: u16, reason: &str) {
        let Some(handle) = self.inner.handle() else {
            return;
        };
        let joining: Vec<Arc<Conn>> = {
            let mut s = lock(&self.state);
            s.top = None;
            s.known = None;
            s.joiners.drain(..).map(|j| j.conn).collect()
        };
        for conn in handle.subscribers(&self.name).iter().chain(&joining) {
            handle.close(conn, code, reason);
        }
    }

    /// Joins `conn`: recovers after `since` if it can, then hands it live entries.
    pub(crate) async fn join(
        &self,
        conn: &Arc<Conn>,
        ns: &Namespace,
        since: Option<OwnedPosition>,
    ) -> Result<SharedJoined, Reject> {
        let handle = self
            .inner
            .handle()
            .ok_or_else(|| super::unavailable("the server is stopping"))?;
        let current = self.inner.current()?;
        // A connection joined already is taken out of the hub, so the missed
        // entries come before the live ones.
        let was_joined = handle.hub_leave(conn, &self.name);
        let fail = |e: Reject| {
            self.drop_joiner(conn);
            if was_joined {
                handle.hub_join(conn, &self.name);
            }
            e
        };
        {
            let mut s = lock(&self.state);
            s.joiners.retain(|j| j.conn.id() != conn.id());
            s.joiners.push(Joiner {
                conn: conn.clone(),
                mode: Mode::Buffering(Vec::new()),
            });
        }
        let mut ready = self.ready.clone();
        let subscribed = ready.wait_for(|r| !matches!(r, Ok(false))).await.map(|r| r.clone());
        if let Err(e) = subscribed.unwrap_or_else(|_| Err("the channel is no longer followed".into())) {
            return Err(fail(super::unavailable(e)));
        }
        // Up to date with what this node delivered: nothing to read.
        let quick = {
            let s = lock(&self.state);
            match (&since, s.top) {
                (None, Some(top)) => Some((top, None)),
                (Some(p), Some(top)) if *p.epoch == *current.epoch && p.offset == top => Some((top, Some(true))),
                _ => None,
            }
        };
        let (sent, last, recovered) = match quick {
            Some((top, recovered)) => (Vec::new(), top, recovered),
            None => match &since {
                Some(p) => match read::recover(&self.inner, &current, &self.name, ns, p).await {
                    Ok(r) => (r.entries, r.last, Some(r.recovered)),
                    Err(e) => return Err(fail(e)),
                },
                None => match read::last(&current, &self.name).await {
                    Ok(last) => (Vec::new(), last, None),
                    Err(e) => return Err(fail(e)),
                },
            },
        };
        let mut s = lock(&self.state);
        s.known = s.known.max(Some(last));
        let Some(i) = s.joiners.iter().position(|j| j.conn.id() == conn.id()) else {
            return Err(Reject::new(
                ServerError::Internal.as_str(),
                "the connection left the channel while joining",
            ));
        };
        let Mode::Buffering(live) = std::mem::replace(&mut s.joiners[i].mode, Mode::Forwarding(0)) else {
            unreachable!("a joiner buffers until its join ends");
        };
        // Recovered: everything after `since`; otherwise what follows the last
        // entry read. Live entries the read already had are skipped.
        let mut floor = match (&since, recovered) {
            (Some(p), Some(true)) => p.offset,
            _ => last,
        };
        for (offset, message) in sent.into_iter().chain(live) {
            if offset > floor {
                handle.send_to(conn, message);
                floor = offset;
            }
        }
        if floor == 0 || s.top.is_some_and(|t| t >= floor) {
            s.joiners.remove(i);
            handle.hub_join(conn, &self.name);
        } else {
            s.joiners[i].mode = Mode::Forwarding(floor);
        }
        Ok(SharedJoined {
            position: OwnedPosition {
                epoch: current.epoch.to_string(),
                offset: floor,
            },
            recovered: recovered.unwrap_or(false),
        })
    }

    fn drop_joiner(&self, conn: &Conn) {
        lock(&self.state).joiners.retain(|j| j.conn.id() != conn.id());
    }

    /// Delivers one live entry (`seq`, after `prev` in its channel), filling or
    /// reporting a hole before it.
    async fn receive(&self, handle: &Handle, seq: u64, prev: u64, payload: &[u8]) {
        let current = match self.inner.current() {
            Ok(c) => c,
            Err(r) => {
                tracing::warn!(channel = %self.name, offset = seq, detail = %r.detail, "live entry not delivered");
                return;
            }
        };
        let (top, known) = {
            let s = lock(&self.state);
            (s.top, s.known)
        };
        if top.is_some_and(|t| seq <= t) {
            return;
        }
        // The entry the next one must follow: the last delivered; before any,
        // the last a join read (what comes before it, the join already had).
        let base = match top {
            Some(t) => Some(t),
            None => known.filter(|k| seq > *k),
        };
        match base {
            Some(b) if prev > b => match read::range(&self.inner, &current, &self.name, b, prev).await {
                Ok(Some(missed)) => {
                    tracing::debug!(channel = %self.name, from = b, to = prev, "filled a hole from the stream");
                    for (offset, message) in missed {
                        self.deliver(handle, offset, message);
                    }
                }
                _ => return self.hole(handle, seq),
            },
            Some(b) if prev < b => return self.hole(handle, seq),
            _ => {}
        }
        match read::delivered(&current, &self.name, seq, payload) {
            Some((offset, message)) => self.deliver(handle, offset, message),
            None => {
                tracing::warn!(channel = %self.name, offset = seq, "a stream entry that is not an LHTTP message was skipped")
            }
        }
    }

    /// Hands one entry to the hub and the joiners, and lets joiners the reader
    /// has now passed into the hub.
    fn deliver(&self, handle: &Handle, offset: u64, message: bytes::Bytes) {
        let mut s = lock(&self.state);
        if s.top.is_some_and(|t| offset <= t) {
            return;
        }
        handle.deliver_entry(&self.name, &message);
        s.top = Some(offset);
        s.known = s.known.max(Some(offset));
        let mut i = 0;
        while i < s.joiners.len() {
            let j = &mut s.joiners[i];
            match &mut j.mode {
                Mode::Buffering(v) => v.push((offset, message.clone())),
                Mode::Forwarding(floor) => {
                    if offset > *floor {
                        handle.send_to(&j.conn, message.clone());
                    }
                    if offset >= *floor {
                        let j = s.joiners.remove(i);
                        handle.hub_join(&j.conn, &self.name);
                        continue;
                    }
                }
            }
            i += 1;
        }
    }

    /// A hole that cannot be filled: every member reconnects and recovers, or
    /// learns it cannot (13.6).
    fn hole(&self, handle: &Handle, seq: u64) {
        tracing::warn!(channel = %self.name, offset = seq, "missed publications not in the stream any more; closing the channel's subscribers");
        handle.metrics().error("InsufficientState");
        self.close_members(
            CloseCode::InsufficientState.code(),
            "missed publications of a channel with history; reconnect to recover",
        );
        let mut s = lock(&self.state);
        s.top = Some(seq);
        s.known = Some(seq);
    }
}

/// The reader: subscribes to the channel's republished entries and delivers
/// them in order until the channel is no longer followed.
async fn follow(ch: std::sync::Weak<Channel>, ready: watch::Sender<Result<bool, String>>) {
    let Some(c) = ch.upgrade() else {
        return;
    };
    let token = super::subject::subject_token(&c.name);
    let hashed = super::subject::is_hashed(&token);
    let subject = c.inner.names.live(&token);
    let client = c.inner.client.clone();
    drop(c);
    let mut sub = match client.subscribe(subject).await {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let _ = ready.send(Ok(true));
    while let Some(m) = sub.next().await {
        let Some(c) = ch.upgrade() else {
            return;
        };
        let Some(handle) = c.inner.handle() else {
            return;
        };
        let header = |name: &str| {
            m.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .and_then(|v| v.as_str().parse::<u64>().ok())
        };
        let (Some(seq), Some(prev)) = (header("Nats-Sequence"), header("Nats-Last-Sequence")) else {
            tracing::warn!(channel = %c.name, "a republished entry without its sequence headers was skipped");
            continue;
        };
        if !is_ours(m.headers.as_ref(), &c.name, hashed) {
            continue;
        }
        c.receive(&handle, seq, prev, &m.payload).await;
    }
}
