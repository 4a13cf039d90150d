//! Local pub/sub: which connections on this node subscribe to which channel,
//! and fan-out of one shared frame to all of them (encoded once, never copied
//! per subscriber; another [shard](crate::shard)'s connections get it from
//! that shard, through one job per publish).

use crate::conn::Conn;
use crate::frame::Frame;
use crate::id::ConnId;
use crate::metrics::{DepthSampler, Metrics, NamespaceCounters};
use crate::outbox::PushError;
use crate::rate::Throttle;
use crate::shard::{self, Job, Queued, Shards};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// One channel's local subscribers, by connection number, and the same grouped
/// by the shard that runs them (when shards run: built by the first publish
/// after a change).
#[derive(Debug, Default)]
struct Subscribers {
    all: HashMap<ConnId, Arc<Conn>>,
    by_shard: Mutex<Option<Groups>>,
    /// How many have left: a shard's job checks each subscriber it was handed
    /// only when one left since the publish.
    left: Arc<AtomicU64>,
}

/// A channel's subscribers by shard; the last group: those no shard runs.
type Groups = Arc<[Vec<Arc<Conn>>]>;

impl Subscribers {
    fn of(conn: &Arc<Conn>) -> Self {
        Subscribers {
            all: HashMap::from([(conn.id(), conn.clone())]),
            by_shard: Mutex::default(),
            left: Arc::default(),
        }
    }

    /// The subscribers grouped by the `shards` shards, and those of none last.
    fn groups(&self, shards: usize) -> Groups {
        let mut kept = self.by_shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(groups) = kept.as_ref() {
            return groups.clone();
        }
        let mut groups = vec![Vec::new(); shards + 1];
        for c in self.all.values() {
            groups[c.shard().filter(|s| *s < shards).unwrap_or(shards)].push(c.clone());
        }
        let groups: Groups = groups.into();
        *kept = Some(groups.clone());
        groups
    }

    /// The grouping is out of date.
    fn changed(&mut self) {
        *self.by_shard.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Channel name to its local subscribers. A std `RwLock`: delivery only reads,
/// and the lock is never held across an await.
#[derive(Debug)]
pub struct Hub {
    channels: RwLock<HashMap<Box<str>, Subscribers>>,
    /// One warning per period about slow consumers cut (shared with the
    /// deliveries a shard makes).
    slow_warning: Arc<Throttle>,
    /// The shards running connections, once the server runs them.
    shards: OnceLock<Arc<Shards>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            channels: RwLock::default(),
            slow_warning: Arc::new(Throttle::new(std::time::Duration::from_secs(10))),
            shards: OnceLock::new(),
        }
    }
}

/// What a subscribe or unsubscribe changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing (already subscribed, or not subscribed).
    None,
    /// The connection joined or left; other local subscribers remain or existed.
    Member,
    /// The first local subscriber joined, or the last one left.
    Channel,
}

impl Hub {
    /// Has deliveries reach the connections of `shards` through their own shard.
    pub(crate) fn use_shards(&self, shards: Arc<Shards>) {
        let _ = self.shards.set(shards);
    }

    /// The shards running connections, if there are any.
    pub(crate) fn shards(&self) -> Option<&Arc<Shards>> {
        self.shards.get()
    }

    /// Adds `conn` to `channel`.
    pub fn subscribe(&self, channel: &str, conn: &Arc<Conn>) -> Change {
        let mut map = self.channels.write().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(channel) {
            Some(subs) => {
                if subs.all.insert(conn.id(), conn.clone()).is_some() {
                    Change::None
                } else {
                    subs.changed();
                    Change::Member
                }
            }
            None => {
                map.insert(channel.into(), Subscribers::of(conn));
                Change::Channel
            }
        }
    }

    /// Removes connection `id` from `channel`.
    pub fn unsubscribe(&self, channel: &str, id: ConnId) -> Change {
        let mut map = self.channels.write().unwrap_or_else(|e| e.into_inner());
        let Some(subs) = map.get_mut(channel) else {
            return Change::None;
        };
        if subs.all.remove(&id).is_none() {
            return Change::None;
        }
        subs.left.fetch_add(1, Ordering::SeqCst);
        subs.changed();
        if subs.all.is_empty() {
            map.remove(channel);
            Change::Channel
        } else {
            Change::Member
        }
    }

    /// Queues `frame` to every local subscriber of `channels` that subscribes to
    /// none of `earlier`, once per connection even when it subscribes to several
    /// of them. Returns how many connections got it.
    ///
    /// A local publish names all its channels and no `earlier`. A cluster broker
    /// receives a multi-channel publish once per channel; with the channels listed
    /// before this one as `earlier`, each connection gets it exactly once.
    pub fn deliver(&self, channels: &[&str], earlier: &[&str], frame: &Frame, metrics: &Arc<Metrics>) -> usize {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        let in_earlier = |id: ConnId| {
            earlier
                .iter()
                .any(|e| map.get(*e).is_some_and(|s| s.all.contains_key(&id)))
        };
        let mut sampler = DepthSampler::start();
        let (shards, here) = (self.shards(), shard::current());
        let mut delivered = 0;
        if let (Some(shards), [one], true) = (shards, channels, earlier.is_empty()) {
            // Each other shard queues the frame for its own subscribers, so this
            // thread touches none of their outboxes.
            let mut jobs: Vec<(usize, Job)> = Vec::new();
            if let Some(subs) = map.get(*one) {
                let groups = subs.groups(shards.len());
                let ns = metrics.namespaces.of(one);
                for (s, group) in groups.iter().enumerate().filter(|(_, g)| !g.is_empty()) {
                    if Some(s) == here || s == shards.len() {
                        let slow = &self.slow_warning;
                        let then = if s == shards.len() { Then::Wake } else { Then::Later };
                        delivered += group
                            .iter()
                            .filter(|c| queue(c, frame, ns, metrics, slow, &mut sampler, then))
                            .count();
                        continue;
                    }
                    delivered += group.len();
                    let (groups, frame, metrics) = (groups.clone(), frame.clone(), metrics.clone());
                    let (slow, channel) = (self.slow_warning.clone(), Box::<str>::from(*one));
                    let (left, seen) = (subs.left.clone(), subs.left.load(Ordering::SeqCst));
                    jobs.push((
                        s,
                        Box::new(move || {
                            let ns = metrics.namespaces.of(&channel);
                            let mut sampler = DepthSampler::start();
                            let check = left.load(Ordering::SeqCst) != seen;
                            for c in &groups[s] {
                                // One that left since the publish gets nothing after its unsubscribe's answer.
                                if !check || c.is_subscribed(&channel) {
                                    queue(c, &frame, ns, &metrics, &slow, &mut sampler, Then::Later);
                                }
                            }
                            sampler.finish();
                        }),
                    ));
                }
                ns.deliveries.inc_by(delivered as u64);
            }
            drop(map);
            for (s, job) in jobs {
                shards.run(s, job);
            }
            sampler.finish();
            metrics.messages_out.inc_by(delivered as u64);
            return delivered;
        }
        // The connections of each other shard, written there once all are queued.
        let mut elsewhere: Vec<Queued> = Vec::new();
        // Each connection's delivery counts in the namespace of the channel it came by.
        let mut push = |conn: &Arc<Conn>, ns: &NamespaceCounters| -> bool {
            if !earlier.is_empty() && in_earlier(conn.id()) {
                return false;
            }
            let away = conn.shard().filter(|s| shards.is_some() && Some(*s) != here);
            let then = if away.is_some() { Then::Elsewhere } else { Then::Wake };
            if !queue(conn, frame, ns, metrics, &self.slow_warning, &mut sampler, then) {
                return false;
            }
            if let (Some(s), Some(shards)) = (away, shards) {
                if elsewhere.is_empty() {
                    elsewhere.resize_with(shards.len(), Vec::new);
                }
                elsewhere[s].push(conn.clone());
            }
            true
        };
        if let [one] = channels {
            if let Some(subs) = map.get(*one) {
                let ns = metrics.namespaces.of(one);
                let n = subs.all.values().filter(|c| push(c, ns)).count();
                ns.deliveries.inc_by(n as u64);
                delivered = n;
            }
        } else {
            let mut seen = HashSet::new();
            for ch in channels {
                if let Some(subs) = map.get(*ch) {
                    let ns = metrics.namespaces.of(ch);
                    let n = subs.all.values().filter(|c| seen.insert(c.id()) && push(c, ns)).count();
                    ns.deliveries.inc_by(n as u64);
                    delivered += n;
                }
            }
        }
        drop(map);
        if let Some(shards) = shards {
            for (s, conns) in elsewhere.into_iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                shards.write(s, conns);
            }
        }
        sampler.finish();
        metrics.messages_out.inc_by(delivered as u64);
        delivered
    }

    /// How many channels have a local subscriber.
    pub fn channel_count(&self) -> usize {
        self.channels.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// How many local connections subscribe to `channel`.
    pub fn subscriber_count(&self, channel: &str) -> usize {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        map.get(channel).map_or(0, |s| s.all.len())
    }

    /// The local subscribers of `channel`.
    pub fn subscribers(&self, channel: &str) -> Vec<Arc<Conn>> {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        map.get(channel)
            .map(|s| s.all.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The channels with a local subscriber.
    pub fn channels(&self) -> Vec<String> {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        map.keys().map(|k| k.to_string()).collect()
    }
}

/// Who writes a frame once [`queue`] has queued it.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// The connection's task, woken now.
    Wake,
    /// This shard, which runs the connection, once its work in hand is done.
    Later,
    /// Another shard, told by the caller.
    Elsewhere,
}

/// Queues `frame` for `conn`, then has it written as `then` says; counts what
/// fails (a slow consumer cut, a closing connection) in `ns` and `metrics`.
fn queue(
    conn: &Arc<Conn>,
    frame: &Frame,
    ns: &NamespaceCounters,
    metrics: &Metrics,
    slow_warning: &Throttle,
    sampler: &mut DepthSampler,
    then: Then,
) -> bool {
    match conn.outbox().queue(frame.clone()) {
        Ok(depth) => {
            match then {
                Then::Wake => conn.outbox().wake(),
                // A queue that held frames already is written with them.
                Then::Later if depth == 1 => shard::later(conn),
                Then::Later | Then::Elsewhere => {}
            }
            if sampler.next() {
                metrics.outbox_depth.observe(depth as f64);
            }
            true
        }
        Err(PushError::Full) => {
            ns.drops.inc();
            metrics.slow_consumers.inc();
            if let Some(left_out) = slow_warning.allow(std::time::Instant::now()) {
                tracing::warn!(
                    client = %conn.client_id(),
                    similar_lines_left_out = left_out,
                    "a connection did not read fast enough and was closed as a slow consumer (1013) once its \
                     queue was full; if readers are healthy but bursts are large, raise --max-queue-bytes / \
                     --max-queue ([limits] max_queue_bytes, max_queue); with history on it recovers what it \
                     missed when it reconnects"
                );
            }
            false
        }
        Err(PushError::Closed) => {
            ns.drops.inc();
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn conn(id: ConnId, max_queue: usize) -> Arc<Conn> {
        let limits = crate::config::Limits {
            max_queue,
            ..Default::default()
        };
        Arc::new(Conn::new(id, format!("n-{id}"), &limits))
    }

    fn queued(c: &Conn) -> usize {
        let mut batch = std::collections::VecDeque::new();
        c.outbox().drain(&mut batch);
        batch.len()
    }

    #[test]
    fn subscribing_reports_the_first_and_last_subscriber() {
        let hub = Hub::default();
        let (a, b) = (conn(1, 8), conn(2, 8));
        assert_eq!(hub.subscribe("chat", &a), Change::Channel);
        assert_eq!(hub.subscribe("chat", &b), Change::Member);
        assert_eq!(hub.subscribe("chat", &b), Change::None);
        assert_eq!((hub.channel_count(), hub.subscriber_count("chat")), (1, 2));
        assert_eq!(hub.unsubscribe("chat", 1), Change::Member);
        assert_eq!(hub.unsubscribe("chat", 1), Change::None);
        assert_eq!(hub.unsubscribe("chat", 2), Change::Channel);
        assert_eq!(hub.channel_count(), 0);
        assert_eq!(hub.unsubscribe("nowhere", 2), Change::None);
    }

    #[test]
    fn a_connection_gets_a_message_once_however_many_of_its_channels_it_names() {
        let hub = Hub::default();
        let m = Arc::new(Metrics::default());
        let (a, b, c) = (conn(1, 8), conn(2, 8), conn(3, 8));
        hub.subscribe("x", &a);
        hub.subscribe("y", &a);
        hub.subscribe("y", &b);
        hub.subscribe("z", &c);
        let frame = Frame::data(&Bytes::from_static(b"LHTTP/1.0 chat\r\n\r\nhi"));
        assert_eq!(hub.deliver(&["x", "y", "nobody"], &[], &frame, &m), 2);
        assert_eq!((queued(&a), queued(&b), queued(&c)), (1, 1, 0));
        assert_eq!(m.deliveries(), 2);
        assert_eq!(m.messages_out.get(), 2);
    }

    #[test]
    fn earlier_channels_are_left_to_their_own_delivery() {
        let hub = Hub::default();
        let m = Arc::new(Metrics::default());
        let (a, b) = (conn(1, 8), conn(2, 8));
        hub.subscribe("x", &a);
        hub.subscribe("y", &a);
        hub.subscribe("y", &b);
        let frame = Frame::data(&Bytes::from_static(b"LHTTP/1.0 chat\r\n\r\nhi"));
        // As a broker hands over a publish to x and y: once per channel, y's copy
        // goes only to those not in x.
        assert_eq!(hub.deliver(&["x"], &[], &frame, &m), 1);
        assert_eq!(hub.deliver(&["y"], &["x"], &frame, &m), 1);
        assert_eq!((queued(&a), queued(&b)), (1, 1));
    }

    #[test]
    fn a_full_queue_is_a_slow_consumer_and_a_closed_one_a_drop() {
        let hub = Hub::default();
        let m = Arc::new(Metrics::default());
        let (slow, closed) = (conn(1, 1), conn(2, 8));
        hub.subscribe("x", &slow);
        hub.subscribe("x", &closed);
        closed.outbox().close(1000, "bye");
        let frame = Frame::data(&Bytes::from_static(b"LHTTP/1.0 chat\r\n\r\nhi"));
        assert_eq!(hub.deliver(&["x"], &[], &frame, &m), 1, "the slow one takes the first");
        assert_eq!(hub.deliver(&["x"], &[], &frame, &m), 0);
        assert!(slow.outbox().is_slow());
        assert_eq!(m.slow_consumers.get(), 1);
        assert_eq!(m.drops(), 3);
    }

    #[test]
    fn deliveries_count_in_the_namespace_of_the_channel_they_came_by() {
        let hub = Hub::default();
        let m = Arc::new(Metrics::new(["chat"]));
        let (a, b) = (conn(1, 8), conn(2, 8));
        hub.subscribe("chat:1", &a);
        hub.subscribe("room", &a);
        hub.subscribe("room", &b);
        let frame = Frame::data(&Bytes::from_static(b"LHTTP/1.0 chat\r\n\r\nhi"));
        assert_eq!(hub.deliver(&["chat:1", "room"], &[], &frame, &m), 2);
        assert_eq!(hub.deliver(&["chat:1"], &[], &frame, &m), 1);
        let (chat, default) = (m.namespaces.of("chat:x"), m.namespaces.of("room"));
        assert_eq!((chat.deliveries.get(), default.deliveries.get()), (2, 1));
        let text = m.render(0, false, 0);
        assert!(
            text.contains("\nlhttp_outbox_depth_count 1\n"),
            "the first push on this thread is sampled: {text}"
        );
    }
}
