//! The server's shared state behind a cheap `Clone` handle: the hub, the open
//! connections, the metrics and the broker. Processors, filters, HTTP routes
//! and brokers all act through it.

use crate::broker::{Broker, EmbeddedBroker};
use crate::config::Config;
use crate::conn::Conn;
use crate::filter::Reject;
use crate::hub::{Change, Hub};
use crate::id::{ConnId, IdMaker};
use crate::metrics::Metrics;
use crate::reply;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// A handle on a running (or about to run) server. Cloning it is cheap.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    /// Settings the server was started with.
    pub(crate) config: Config,
    /// Local subscriptions.
    pub(crate) hub: Hub,
    /// Counters for `/metrics`.
    pub(crate) metrics: Metrics,
    /// Node and client ids.
    pub(crate) ids: IdMaker,
    /// Open connections by number. A std lock: never held across an await.
    pub(crate) connections: RwLock<HashMap<ConnId, Arc<Conn>>>,
    /// Carries publishes to other nodes; the embedded broker by default.
    pub(crate) broker: RwLock<Arc<dyn Broker>>,
    /// Becomes `true` when the server starts shutting down.
    pub(crate) shutdown: watch::Sender<bool>,
    /// WebSocket upgrades answered but not yet finished: shutdown waits for
    /// them too, so a connection accepted just before it still gets its close frame.
    pub(crate) upgrading: std::sync::atomic::AtomicUsize,
    /// This node's directory entries, channel hooks and NATS link.
    pub(crate) cluster: crate::cluster::State,
}

impl Handle {
    pub(crate) fn new(config: Config) -> Self {
        Handle {
            shared: Arc::new(Shared {
                config,
                hub: Hub::default(),
                metrics: Metrics::default(),
                ids: IdMaker::new(),
                connections: RwLock::new(HashMap::new()),
                broker: RwLock::new(Arc::new(EmbeddedBroker)),
                shutdown: watch::channel(false).0,
                upgrading: std::sync::atomic::AtomicUsize::new(0),
                cluster: crate::cluster::State::default(),
            }),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The counters behind `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// This node's random id (the prefix of its client ids).
    pub fn node_id(&self) -> &str {
        self.shared.ids.node()
    }

    /// Replaces the broker (do it before clients connect).
    pub fn set_broker(&self, broker: Arc<dyn Broker>) {
        *self.shared.broker.write().unwrap_or_else(|e| e.into_inner()) = broker;
    }

    /// The broker in use.
    pub fn broker(&self) -> Arc<dyn Broker> {
        self.shared.broker.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Publishes an encoded LHTTP message to `channels` on every node; returns
    /// how many local connections got it.
    pub fn publish(&self, channels: &[&str], message: Bytes) -> usize {
        let n = self.deliver_local(channels, message.clone());
        self.broker().publish(channels, &message);
        n
    }

    /// Delivers an encoded message to this node's subscribers only (what a broker
    /// calls for a message from another node).
    pub fn deliver_local(&self, channels: &[&str], message: Bytes) -> usize {
        let frame = reply::frame(message);
        self.shared.hub.deliver(channels, &frame, &self.shared.metrics)
    }

    /// Subscribes `conn` to `channel`; `Ok(false)` when it already was.
    pub fn subscribe(&self, conn: &Arc<Conn>, channel: &str) -> Result<bool, Reject> {
        if !conn
            .subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(channel)
        {
            self.shared.cluster.before_subscribe(self, conn, channel)?;
        }
        {
            let mut subs = conn.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
            if subs.contains(channel) {
                return Ok(false);
            }
            if subs.len() >= self.shared.config.limits.max_subscriptions {
                return Err(Reject::new(
                    lhttp_core::ServerError::TooManySubscriptions.as_str(),
                    format!(
                        "at most {} subscriptions per connection",
                        self.shared.config.limits.max_subscriptions
                    ),
                ));
            }
            subs.insert(channel.into());
        }
        if self.shared.hub.subscribe(channel, conn) == Change::Channel {
            self.broker().channel_opened(channel);
        }
        self.shared.cluster.on_subscribe(self, conn, channel);
        Ok(true)
    }

    /// Unsubscribes `conn` from `channel`; `false` when it was not subscribed.
    pub fn unsubscribe(&self, conn: &Conn, channel: &str) -> bool {
        let was = conn
            .subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(channel);
        if was && self.shared.hub.unsubscribe(channel, conn.id) == Change::Channel {
            self.broker().channel_closed(channel);
        }
        if was {
            self.shared.cluster.on_unsubscribe(self, conn, channel);
        }
        was
    }

    /// Ends every subscription of `conn` (when it closes).
    pub fn unsubscribe_all(&self, conn: &Conn) -> Vec<String> {
        let channels: Vec<Box<str>> = conn
            .subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        for ch in &channels {
            if self.shared.hub.unsubscribe(ch, conn.id) == Change::Channel {
                self.broker().channel_closed(ch);
            }
            self.shared.cluster.on_unsubscribe(self, conn, ch);
        }
        channels.into_iter().map(String::from).collect()
    }

    /// How many local connections subscribe to `channel`.
    pub fn subscriber_count(&self, channel: &str) -> usize {
        self.shared.hub.subscriber_count(channel)
    }

    /// The channels with a local subscriber.
    pub fn channels(&self) -> Vec<String> {
        self.shared.hub.channels()
    }

    /// Open connections on this node.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The open connection with this client id, if it is on this node.
    pub fn connection(&self, client_id: &str) -> Option<Arc<Conn>> {
        let (node, n) = client_id.rsplit_once('-')?;
        if node != self.node_id() {
            return None;
        }
        let n: ConnId = n.parse().ok()?;
        self.shared
            .connections
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&n)
            .cloned()
    }

    /// Every open connection on this node.
    pub fn connections(&self) -> Vec<Arc<Conn>> {
        self.shared
            .connections
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The cluster-wide connection directory (this node alone with the embedded broker).
    pub fn directory(&self) -> crate::cluster::Directory {
        crate::cluster::Directory::new(self.clone())
    }

    /// Adds channel hooks (`before_subscribe`, `on_subscribe`, `on_unsubscribe`),
    /// called in the order added; add them before clients connect.
    pub fn add_channel_hooks(&self, hooks: impl crate::cluster::ChannelHooks) {
        self.shared.cluster.add_hooks(Arc::new(hooks));
    }

    /// Queues an encoded message to one local client; `false` if it is not here or closing.
    pub fn send_to_client(&self, client_id: &str, message: Bytes) -> bool {
        match self.connection(client_id) {
            Some(c) => {
                let ok = c.outbox.push(reply::frame(message)).is_ok();
                if ok {
                    crate::Metrics::inc(&self.shared.metrics.messages_out);
                }
                ok
            }
            None => false,
        }
    }

    /// Closes one local client with a close code and reason; `false` if it is not here.
    pub fn close_client(&self, client_id: &str, code: u16, reason: &str) -> bool {
        self.connection(client_id)
            .map(|c| c.outbox.close(code, reason))
            .is_some()
    }

    /// Starts a graceful shutdown (as SIGTERM does for `lhttpd`).
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.shared.shutdown.borrow()
    }

    pub(crate) fn register(&self, conn: Arc<Conn>) {
        let m = &self.shared.metrics;
        crate::Metrics::inc(&m.connections_total);
        m.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.shared
            .connections
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(conn.id, conn);
    }

    pub(crate) fn deregister(&self, id: ConnId) {
        self.shared.cluster.local().remove(id);
        let removed = self
            .shared
            .connections
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        if removed.is_some() {
            self.shared
                .metrics
                .connections
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
