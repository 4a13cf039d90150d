//! Local pub/sub: which connections on this node subscribe to which channel,
//! and fan-out of one shared frame to all of them (encoded once, never copied
//! per subscriber).

use crate::conn::Conn;
use crate::frame::Frame;
use crate::id::ConnId;
use crate::metrics::Metrics;
use crate::outbox::PushError;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

/// One channel's local subscribers, by connection number.
type Subscribers = HashMap<ConnId, Arc<Conn>>;

/// Channel name to its local subscribers. A std `RwLock`: delivery only reads,
/// and the lock is never held across an await.
#[derive(Debug, Default)]
pub struct Hub {
    channels: RwLock<HashMap<Box<str>, Subscribers>>,
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
    /// Adds `conn` to `channel`.
    pub fn subscribe(&self, channel: &str, conn: &Arc<Conn>) -> Change {
        let mut map = self.channels.write().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(channel) {
            Some(subs) => {
                if subs.insert(conn.id(), conn.clone()).is_some() {
                    Change::None
                } else {
                    Change::Member
                }
            }
            None => {
                map.insert(channel.into(), HashMap::from([(conn.id(), conn.clone())]));
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
        if subs.remove(&id).is_none() {
            return Change::None;
        }
        if subs.is_empty() {
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
    pub fn deliver(&self, channels: &[&str], earlier: &[&str], frame: &Frame, metrics: &Metrics) -> usize {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        let in_earlier = |id: ConnId| earlier.iter().any(|e| map.get(*e).is_some_and(|s| s.contains_key(&id)));
        let mut delivered = 0;
        let mut push = |conn: &Arc<Conn>| {
            if !earlier.is_empty() && in_earlier(conn.id()) {
                return;
            }
            match conn.outbox().push(frame.clone()) {
                Ok(()) => delivered += 1,
                Err(PushError::Full) => {
                    Metrics::inc(&metrics.drops);
                    Metrics::inc(&metrics.slow_consumers);
                    tracing::debug!(client = %conn.client_id(), "slow consumer disconnected");
                }
                Err(PushError::Closed) => Metrics::inc(&metrics.drops),
            }
        };
        if let [one] = channels {
            if let Some(subs) = map.get(*one) {
                subs.values().for_each(&mut push);
            }
        } else {
            let mut seen = HashSet::new();
            for ch in channels {
                if let Some(subs) = map.get(*ch) {
                    subs.values().filter(|c| seen.insert(c.id())).for_each(&mut push);
                }
            }
        }
        let n = delivered as u64;
        metrics.deliveries.fetch_add(n, Ordering::Relaxed);
        metrics.messages_out.fetch_add(n, Ordering::Relaxed);
        delivered
    }

    /// How many channels have a local subscriber.
    pub fn channel_count(&self) -> usize {
        self.channels.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// How many local connections subscribe to `channel`.
    pub fn subscriber_count(&self, channel: &str) -> usize {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        map.get(channel).map_or(0, |s| s.len())
    }

    /// The channels with a local subscriber.
    pub fn channels(&self) -> Vec<String> {
        let map = self.channels.read().unwrap_or_else(|e| e.into_inner());
        map.keys().map(|k| k.to_string()).collect()
    }
}
