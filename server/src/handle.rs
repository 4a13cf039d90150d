//! The server's shared state behind a cheap `Clone` handle: the hub, the open
//! connections, the metrics, the broker and the history store given at
//! construction and the listeners of lifecycle events. Processors, filters, HTTP routes and brokers
//! all act through it. Higher layers (the cluster) keep their own state in the
//! handle's extensions, set at construction, so this layer never names them.

use crate::broker::Broker;
use crate::config::Config;
use crate::conn::Conn;
use crate::history::{Entry, HistoryStore, OwnedQuery, Page, Pending, Query, SharedHistory};
use crate::hooks::ChannelHooks;
use crate::hub::{Change, Hub};
use crate::id::{ConnId, IdMaker};
use crate::metrics::Metrics;
use crate::rate::{ConnectionRate, Limit, Throttle};
use crate::reject::Reject;
use crate::reply;
use crate::shutdown::{Shutdown, Trigger};
use bytes::Bytes;
use lhttp_core::position::Position;
use lhttp_core::{OwnedPosition, ServerError};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};

/// What a publish did on this node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    /// Messages queued to local connections (a connection on two channels with
    /// history gets each channel's entry).
    pub deliveries: usize,
    /// The new position of each channel with history, in name order.
    pub positions: Vec<(String, OwnedPosition)>,
}

/// What a subscribe did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    /// The connection was not subscribed before.
    pub new: bool,
    /// The channel's position after the subscribe, when it has history (13.3).
    pub position: Option<OwnedPosition>,
    /// With a `since`: whether what followed it was all sent (13.4).
    pub recovered: Option<bool>,
}

/// A handle on a running (or about to run) server. Cloning it is cheap.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

/// A handle that does not keep the server alive, for a store the handle owns.
#[derive(Clone)]
pub(crate) struct WeakHandle(Weak<Shared>);

impl WeakHandle {
    /// The handle, while the server lives.
    pub(crate) fn upgrade(&self) -> Option<Handle> {
        self.0.upgrade().map(|shared| Handle { shared })
    }
}

/// The answer of work that may need a round trip: now, or later.
pub(crate) enum Later<T> {
    /// Done.
    Ready(T),
    /// Ends later.
    Pending(Pending<T>),
}

/// A channel's new position, answered later by a shared store.
pub(crate) type PendingPosition = (String, Pending<Result<OwnedPosition, Reject>>);

struct Shared {
    /// Settings the server was started with.
    config: Config,
    /// Local subscriptions.
    hub: Hub,
    /// Counters for `/metrics`.
    metrics: Arc<Metrics>,
    /// Node and client ids.
    ids: IdMaker,
    /// Open connections by number. A std lock: never held across an await.
    connections: RwLock<HashMap<ConnId, Arc<Conn>>>,
    /// Carries publishes to other nodes.
    broker: Arc<dyn Broker>,
    /// The streams of channels with history.
    history: Arc<dyn HistoryStore>,
    /// Whether any namespace keeps history: without, a publish is as before history.
    any_history: bool,
    /// The store every node shares (JetStream), when the cluster set one: it then
    /// keeps and carries the channels with history instead of `history` and the broker.
    shared_history: OnceLock<Arc<dyn SharedHistory>>,
    /// Listeners of subscription changes and closes, in the order added. Read on
    /// every (un)subscribe and close, written at setup.
    hooks: RwLock<Vec<Arc<dyn ChannelHooks>>>,
    /// State of higher layers, by type, set at construction.
    extensions: http::Extensions,
    /// Fired when the server starts shutting down.
    shutdown: Trigger,
    /// When the handle was made (the node's uptime).
    started: std::time::Instant,
    /// New connections per address, when limited, and the throttles of the
    /// warnings about rate limits.
    rates: Rates,
}

/// The server-wide side of the rate limits.
pub(crate) struct Rates {
    /// New WebSocket connections per address, when limited.
    pub(crate) connections: Option<ConnectionRate>,
    /// One warning per period about connections over their message rate.
    pub(crate) message_warning: Throttle,
    /// One warning per period about addresses over the connection rate.
    pub(crate) connection_warning: Throttle,
    /// One warning per period about pages of origins that may not connect.
    pub(crate) origin_warning: Throttle,
    /// One warning per period about refused tokens.
    pub(crate) token_warning: Throttle,
}

/// How often a kind of rate-limit warning may be logged.
const WARN_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl Handle {
    /// A handle with its broker, the higher layers' `extensions` and the first
    /// lifecycle listeners.
    pub(crate) fn new(
        config: Config,
        ids: IdMaker,
        broker: Arc<dyn Broker>,
        history: Arc<dyn HistoryStore>,
        extensions: http::Extensions,
        hooks: Vec<Arc<dyn ChannelHooks>>,
    ) -> Self {
        let limits = &config.limits;
        let rates = Rates {
            connections: Limit::new(limits.connection_rate, limits.connection_burst).map(ConnectionRate::new),
            message_warning: Throttle::new(WARN_EVERY),
            connection_warning: Throttle::new(WARN_EVERY),
            origin_warning: Throttle::new(WARN_EVERY),
            token_warning: Throttle::new(WARN_EVERY),
        };
        let metrics = Metrics::new(config.namespaces.keys().map(String::as_str));
        Handle {
            shared: Arc::new(Shared {
                rates,
                any_history: config.has_any_history(),
                config,
                hub: Hub::default(),
                metrics: Arc::new(metrics),
                ids,
                connections: RwLock::new(HashMap::new()),
                broker,
                history,
                shared_history: OnceLock::new(),
                hooks: RwLock::new(hooks),
                extensions,
                shutdown: Trigger::new(),
                started: std::time::Instant::now(),
            }),
        }
    }

    /// Logs, at most once per period, that a token was refused (never the token:
    /// only who presented it and why).
    pub(crate) fn warn_token_refused(&self, who: &str, code: ServerError, detail: &str) {
        if let Some(left_out) = self.shared.rates.token_warning.allow(std::time::Instant::now()) {
            tracing::warn!(
                who,
                code = code.as_str(),
                detail,
                similar_lines_left_out = left_out,
                "a connection token was refused; if valid tokens are refused, check that lhttpd has the key \
                 the backend signs with (--token-hmac-secret-file, --token-public-key, --token-jwks), the \
                 --token-audience / --token-issuer, and the clocks of both machines"
            );
        }
    }

    /// How long this node has been up.
    pub fn uptime(&self) -> std::time::Duration {
        self.shared.started.elapsed()
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The counters behind `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The server-wide side of the rate limits.
    pub(crate) fn rates(&self) -> &Rates {
        &self.shared.rates
    }

    /// This node's random id (the prefix of its client ids).
    pub fn node_id(&self) -> &str {
        self.shared.ids.node()
    }

    /// The broker in use.
    pub fn broker(&self) -> &dyn Broker {
        &*self.shared.broker
    }

    /// A handle that does not keep the server alive.
    pub(crate) fn downgrade(&self) -> WeakHandle {
        WeakHandle(Arc::downgrade(&self.shared))
    }

    /// Sets the store every node shares for channels with history (once, before the server runs).
    pub(crate) fn set_shared_history(&self, store: Arc<dyn SharedHistory>) {
        let _ = self.shared.shared_history.set(store);
    }

    /// The shared store, when `channel` keeps history and the cluster set one.
    fn shared_for(&self, channel: &str) -> Option<&Arc<dyn SharedHistory>> {
        self.shared.shared_history.get().filter(|_| self.has_history(channel))
    }

    /// A short name of the history backend, for logs and `/healthz`.
    pub fn history_backend(&self) -> &'static str {
        match self.shared.shared_history.get() {
            Some(s) => s.name(),
            None => self.shared.history.name(),
        }
    }

    /// A higher layer's state of type `T`, stored at construction.
    pub(crate) fn extension<T: Clone + Send + Sync + 'static>(&self) -> Option<&T> {
        self.shared.extensions.get::<T>()
    }

    /// Publishes an encoded LHTTP message to `channels` on every node; returns
    /// how many local connections got it.
    pub fn publish(&self, channels: &[&str], message: Bytes) -> usize {
        self.publish_positions(channels, message).deliveries
    }

    /// Publishes as [`publish`](Self::publish) and also tells each channel with
    /// history its new position (what `POST /publish` answers).
    ///
    /// With a shared store (JetStream) a channel with history gets its position
    /// later: it is not in `positions`, and a failed append is logged and
    /// counted (the built-in `publish` header waits for both before its ack).
    pub fn publish_positions(&self, channels: &[&str], message: Bytes) -> Published {
        let (out, pending) = self.publish_later(channels, message);
        for (channel, p) in pending {
            let handle = self.clone();
            tokio::spawn(async move {
                if let Err(r) = p.await {
                    handle.metrics().error(&r.code);
                    tracing::warn!(%channel, code = %r.code, detail = %r.detail, "publish not kept in history");
                }
            });
        }
        out
    }

    /// Publishes as [`publish_positions`](Self::publish_positions); the channels
    /// a shared store keeps answer their position later.
    pub(crate) fn publish_later(&self, channels: &[&str], message: Bytes) -> (Published, Vec<PendingPosition>) {
        let Some(store) = self.shared.shared_history.get().filter(|_| self.shared.any_history) else {
            let out = self.deliver(channels, &[], &message);
            self.shared.broker.publish(channels, &message);
            return (out, Vec::new());
        };
        let (mut streams, plain): (Vec<&str>, Vec<&str>) = channels.iter().partition(|c| self.has_history(c));
        streams.sort_unstable();
        streams.dedup();
        let pending = streams
            .into_iter()
            .map(|ch| {
                let ns = self.config().namespace_of(ch);
                (ch.to_string(), store.append(ch, ns, message.clone()))
            })
            .collect();
        let out = if plain.is_empty() {
            Published::default()
        } else {
            let out = self.deliver(&plain, &[], &message);
            self.shared.broker.publish(&plain, &message);
            out
        };
        (out, pending)
    }

    /// Delivers an encoded message to this node's subscribers only (what a broker
    /// calls for a message from another node).
    pub fn deliver_local(&self, channels: &[&str], message: Bytes) -> usize {
        self.deliver_first(channels, &[], message)
    }

    /// Delivers an encoded message to this node's subscribers of `channels` that
    /// subscribe to none of `earlier` (a broker receiving a multi-channel publish
    /// once per channel gives the channels listed before this one).
    pub(crate) fn deliver_first(&self, channels: &[&str], earlier: &[&str], message: Bytes) -> usize {
        self.deliver(channels, earlier, &message).deliveries
    }

    /// Whether `channel` keeps history (its namespace has a size and a ttl, 13.1).
    pub fn has_history(&self, channel: &str) -> bool {
        self.shared.any_history && self.config().namespace_of(channel).has_history()
    }

    /// This node's side of a publish (13.3): one entry in each channel with
    /// history, to that channel's subscribers; the message once per connection to
    /// the other channels' subscribers (minus those of `earlier` ones without history).
    fn deliver(&self, channels: &[&str], earlier: &[&str], message: &Bytes) -> Published {
        if !self.shared.any_history {
            let frame = reply::frame(message.clone());
            return Published {
                deliveries: self.shared.hub.deliver(channels, earlier, &frame, &self.shared.metrics),
                positions: Vec::new(),
            };
        }
        let (mut streams, plain): (Vec<&str>, Vec<&str>) = channels.iter().partition(|c| self.has_history(c));
        let mut out = Published::default();
        if !plain.is_empty() {
            let earlier: Vec<&str> = earlier.iter().copied().filter(|c| !self.has_history(c)).collect();
            let frame = reply::frame(message.clone());
            out.deliveries = self.shared.hub.deliver(&plain, &earlier, &frame, &self.shared.metrics);
        }
        // `publish:a a` is one entry.
        streams.sort_unstable();
        streams.dedup();
        for ch in streams {
            let ns = self.config().namespace_of(ch);
            let appended =
                self.shared
                    .history
                    .append(ch, ns, &mut |p| reply::publication(message, ch, p), &mut |entry| {
                        let frame = reply::frame(entry.clone());
                        self.shared.hub.deliver(&[ch], &[], &frame, &self.shared.metrics)
                    });
            if let Some((position, n)) = appended {
                out.deliveries += n;
                out.positions.push((ch.to_string(), position));
            }
        }
        out
    }

    /// Reads `channel`'s history (13.5); `NoHistory` when it has none.
    pub fn history(
        &self,
        channel: &str,
        limit: Option<usize>,
        since: Option<Position<'_>>,
        reverse: bool,
    ) -> Result<Page, Reject> {
        let ns = self.config().namespace_of(channel);
        if !ns.has_history() {
            return Err(Reject::new(
                ServerError::NoHistory.as_str(),
                format!("channel {channel:?} keeps no history"),
            ));
        }
        let limit = limit.map_or(ns.recover_max, |l| l.min(ns.recover_max));
        Ok(self.shared.history.read(channel, ns, &Query { limit, since, reverse }))
    }

    /// Reads `channel`'s history as [`history`](Self::history), from the shared
    /// store when there is one.
    pub(crate) fn history_later(
        &self,
        channel: &str,
        limit: Option<usize>,
        since: Option<Position<'_>>,
        reverse: bool,
    ) -> Later<Result<Page, Reject>> {
        let Some(store) = self.shared_for(channel) else {
            return Later::Ready(self.history(channel, limit, since, reverse));
        };
        let ns = self.config().namespace_of(channel);
        let limit = limit.map_or(ns.recover_max, |l| l.min(ns.recover_max));
        let query = OwnedQuery {
            limit,
            since: since.map(OwnedPosition::from),
            reverse,
        };
        Later::Pending(store.read(channel, ns, query))
    }

    /// Drops expired history and the streams nobody needs any more (the server's
    /// sweep task calls it; `/metrics` counts what is left).
    pub(crate) fn sweep_history(&self) {
        // A channel with history stays open at the broker while its stream
        // lives (see `left`); the stream gone, nothing needs it any more.
        let broker = &self.shared.broker;
        self.shared
            .history
            .sweep(&|ch| self.shared.hub.subscriber_count(ch) > 0, &mut |ch| {
                broker.channel_closed(ch)
            });
    }

    /// How many history streams this node keeps (with a shared store: follows).
    pub fn history_streams(&self) -> usize {
        match self.shared.shared_history.get() {
            Some(s) => s.stream_count(),
            None => self.shared.history.stream_count(),
        }
    }

    /// Subscribes `conn` to `channel`; `Ok(false)` when it already was.
    pub fn subscribe(&self, conn: &Arc<Conn>, channel: &str) -> Result<bool, Reject> {
        self.subscribe_since(conn, channel, None).map(|s| s.new)
    }

    /// Subscribes `conn` to `channel`, recovering what it missed after `since`
    /// when the channel has history (13.4): under the stream's lock the missed
    /// publications are queued to `conn`, then it joins the hub, so live ones
    /// come after them, none lost or repeated. Nothing old is sent when the
    /// recovery is not possible (`recovered: Some(false)`).
    pub fn subscribe_since(
        &self,
        conn: &Arc<Conn>,
        channel: &str,
        since: Option<Position<'_>>,
    ) -> Result<Subscribed, Reject> {
        if !conn.subscriptions().contains(channel) {
            self.hooks()
                .iter()
                .try_for_each(|h| h.before_subscribe(self, conn, channel))?;
        }
        let mut new = false;
        let mut change = Change::None;
        let mut join = |missed: Option<&[Entry]>| -> Result<(), Reject> {
            new = self.add_subscription(conn, channel)?;
            for e in missed.into_iter().flatten() {
                self.send_to(conn, e.message.clone());
            }
            if new {
                change = self.shared.hub.subscribe(channel, conn);
            }
            Ok(())
        };
        let ns = self.config().namespace_of(channel);
        let (position, recovered) = if ns.has_history() {
            let joined = self.shared.history.join(channel, ns, since, &mut join)?;
            (Some(joined.position), since.map(|_| joined.recovered))
        } else {
            join(None)?;
            (None, since.map(|_| false))
        };
        if change == Change::Channel {
            self.shared.broker.channel_opened(channel);
        }
        if new {
            self.hooks().iter().for_each(|h| h.on_subscribe(self, conn, channel));
        }
        Ok(Subscribed {
            new,
            position,
            recovered,
        })
    }

    /// Subscribes as [`subscribe_since`](Self::subscribe_since); a channel kept
    /// by a shared store joins later (the connection holds the channel among its
    /// subscriptions meanwhile, so an unsubscribe or a close ends the join).
    pub(crate) fn subscribe_later(
        &self,
        conn: &Arc<Conn>,
        channel: &str,
        since: Option<Position<'_>>,
    ) -> Later<Result<Subscribed, Reject>> {
        let Some(store) = self.shared_for(channel) else {
            return Later::Ready(self.subscribe_since(conn, channel, since));
        };
        if !conn.subscriptions().contains(channel) {
            if let Err(r) = self
                .hooks()
                .iter()
                .try_for_each(|h| h.before_subscribe(self, conn, channel))
            {
                return Later::Ready(Err(r));
            }
        }
        let new = match self.add_subscription(conn, channel) {
            Ok(n) => n,
            Err(r) => return Later::Ready(Err(r)),
        };
        let ns = self.config().namespace_of(channel);
        let joining = store.join(conn, channel, ns, since.map(OwnedPosition::from));
        let has_since = since.is_some();
        let (handle, conn, channel) = (self.clone(), conn.clone(), channel.to_string());
        Later::Pending(Box::pin(async move {
            match joining.await {
                Ok(j) => {
                    if new {
                        handle
                            .hooks()
                            .iter()
                            .for_each(|h| h.on_subscribe(&handle, &conn, &channel));
                    }
                    Ok(Subscribed {
                        new,
                        position: Some(j.position),
                        recovered: has_since.then_some(j.recovered),
                    })
                }
                Err(r) => {
                    if new && conn.subscriptions().remove(channel.as_str()) {
                        handle.left(&conn, &channel);
                    }
                    Err(r)
                }
            }
        }))
    }

    /// The shards that run connections, if there are any.
    pub(crate) fn shards(&self) -> Option<&Arc<crate::shard::Shards>> {
        self.shared.hub.shards()
    }

    /// Has the hub reach each shard's connections through that shard (the server's run does, once).
    pub(crate) fn use_shards(&self, shards: Arc<crate::shard::Shards>) {
        self.shared.hub.use_shards(shards);
    }

    /// Adds `conn` to the hub for `channel` when it still subscribes to it (a
    /// shared store's join ends here); `false` when it left meanwhile.
    pub(crate) fn hub_join(&self, conn: &Arc<Conn>, channel: &str) -> bool {
        // The subscriptions' lock is held so that an unsubscribe either comes
        // first (and nothing joins) or after (and removes it from the hub).
        let subs = conn.subscriptions();
        if !subs.contains(channel) {
            return false;
        }
        self.shared.hub.subscribe(channel, conn);
        true
    }

    /// Takes `conn` out of the hub for `channel` and nothing else (a shared
    /// store's join of a connection that was subscribed already).
    /// `true` when it was in the hub.
    pub(crate) fn hub_leave(&self, conn: &Conn, channel: &str) -> bool {
        self.shared.hub.unsubscribe(channel, conn.id()) != Change::None
    }

    /// Hands an entry of `channel` (a publication with its position) to its
    /// local subscribers; returns how many got it.
    pub(crate) fn deliver_entry(&self, channel: &str, entry: &Bytes) -> usize {
        let frame = reply::frame(entry.clone());
        self.shared.hub.deliver(&[channel], &[], &frame, &self.shared.metrics)
    }

    /// The local subscribers of `channel`.
    pub(crate) fn subscribers(&self, channel: &str) -> Vec<Arc<Conn>> {
        self.shared.hub.subscribers(channel)
    }

    /// Adds `channel` to `conn`'s subscriptions within the limit; `Ok(false)` when it had it.
    fn add_subscription(&self, conn: &Conn, channel: &str) -> Result<bool, Reject> {
        let mut subs = conn.subscriptions();
        if subs.contains(channel) {
            return Ok(false);
        }
        let max = self.shared.config.limits.max_subscriptions;
        if subs.len() >= max {
            return Err(Reject::new(
                ServerError::TooManySubscriptions.as_str(),
                format!("at most {max} subscriptions per connection"),
            ));
        }
        subs.insert(channel.into());
        Ok(true)
    }

    /// Unsubscribes `conn` from `channel`; `false` when it was not subscribed.
    pub fn unsubscribe(&self, conn: &Conn, channel: &str) -> bool {
        let was = conn.subscriptions().remove(channel);
        if was {
            self.left(conn, channel);
        }
        was
    }

    /// Ends every subscription of `conn` (when it closes).
    pub fn unsubscribe_all(&self, conn: &Conn) -> Vec<String> {
        let channels: Vec<Box<str>> = conn.subscriptions().drain().collect();
        for ch in &channels {
            self.left(conn, ch);
        }
        channels.into_iter().map(String::from).collect()
    }

    /// The hub's and the listeners' side of `conn` leaving `channel`.
    fn left(&self, conn: &Conn, channel: &str) {
        if let Some(store) = self.shared_for(channel) {
            self.shared.hub.unsubscribe(channel, conn.id());
            store.left(conn, channel);
            self.hooks().iter().for_each(|h| h.on_unsubscribe(self, conn, channel));
            return;
        }
        // A stream keeps receiving the other nodes' publications after its last
        // local subscriber left, so that one who comes back within the ttl
        // finds no hole in it: the sweep closes the channel with the stream.
        if self.shared.hub.unsubscribe(channel, conn.id()) == Change::Channel && !self.has_history(channel) {
            self.shared.broker.channel_closed(channel);
        }
        self.hooks().iter().for_each(|h| h.on_unsubscribe(self, conn, channel));
    }

    /// How many local connections subscribe to `channel`.
    pub fn subscriber_count(&self, channel: &str) -> usize {
        self.shared.hub.subscriber_count(channel)
    }

    /// The channels with a local subscriber.
    pub fn channels(&self) -> Vec<String> {
        self.shared.hub.channels()
    }

    /// How many channels have a local subscriber.
    pub fn channel_count(&self) -> usize {
        self.shared.hub.channel_count()
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
        self.connection_by_id(n.parse().ok()?)
    }

    /// The open connection with this number.
    pub(crate) fn connection_by_id(&self, id: ConnId) -> Option<Arc<Conn>> {
        self.shared
            .connections
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
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

    /// Adds channel hooks (`before_subscribe`, `on_subscribe`, `on_unsubscribe`,
    /// `on_close`), called in the order added; add them before clients connect.
    pub fn add_channel_hooks(&self, hooks: impl ChannelHooks) {
        self.shared
            .hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hooks));
    }

    fn hooks(&self) -> Vec<Arc<dyn ChannelHooks>> {
        self.shared.hooks.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Queues an encoded message to one local client; `false` if it is not here or closing.
    pub fn send_to_client(&self, client_id: &str, message: Bytes) -> bool {
        self.connection(client_id).is_some_and(|c| self.send_to(&c, message))
    }

    /// Queues an encoded message to `conn`; `false` if it is closing.
    pub fn send_to(&self, conn: &Conn, message: Bytes) -> bool {
        let ok = conn.outbox().push(reply::frame(message)).is_ok();
        if ok {
            self.shared.metrics.messages_out.inc();
        }
        ok
    }

    /// Closes one local client with a close code and reason; `false` if it is not here.
    pub fn close_client(&self, client_id: &str, code: u16, reason: &str) -> bool {
        self.connection(client_id)
            .map(|c| c.outbox().close(code, reason))
            .is_some()
    }

    /// Closes `conn` with a close code and reason (later sends to it fail).
    pub fn close(&self, conn: &Conn, code: u16, reason: &str) {
        conn.outbox().close(code, reason);
    }

    /// Starts a graceful shutdown (as SIGTERM does for `lhttpd`).
    pub fn shutdown(&self) {
        self.shared.shutdown.fire();
        // Each connection's task learns it from its own queue, so it checks no
        // shared signal on every wake-up. One registered after this loop sees
        // the signal fired when it starts (`register` takes the same lock after).
        let connections = self.shared.connections.read().unwrap_or_else(|e| e.into_inner());
        connections.values().for_each(|c| c.outbox().shut_down());
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.shutdown.is_fired()
    }

    /// The shutdown signal, for a task that must stop with the server.
    pub(crate) fn shutdown_signal(&self) -> Shutdown {
        self.shared.shutdown.subscribe()
    }

    /// Pings the connections of one slice (`id % slices == slice`) and closes
    /// those silent for the idle timeout with 1001: the node's one keep-alive
    /// timer, in slices so the pings spread over the interval.
    pub(crate) fn keep_alive(&self, slice: u64, slices: u64) {
        let limits = &self.shared.config.limits;
        // Each connection is seen once per cycle: it is pinged at every look
        // (as a timer of its own would) unless the idle timeout is the shorter,
        // when only one silent long enough for a ping before its next look is.
        let cycle = limits.ping_interval.min(limits.idle_timeout);
        let ping_after = limits.ping_interval.saturating_sub(cycle);
        let connections = self.shared.connections.read().unwrap_or_else(|e| e.into_inner());
        for conn in connections.values().filter(|c| c.id() % slices == slice) {
            let silent = conn.silent_for();
            if silent >= limits.idle_timeout {
                let reason = format!("{}: idle timeout", lhttp_core::CloseCode::GoingAway.reason());
                conn.outbox().close(crate::connection::CLOSE_GOING_AWAY, &reason);
            } else if silent >= ping_after {
                // A full queue is being cut anyway; a closing one needs no ping.
                let _ = conn.outbox().push(crate::frame::Frame::ping());
            }
        }
    }

    /// A new connection with a fresh client id, among the open ones from now on.
    pub(crate) fn register(&self) -> Arc<Conn> {
        let (id, client_id) = self.shared.ids.next();
        let conn = Arc::new(Conn::new(id, client_id, &self.shared.config.limits));
        let m = &self.shared.metrics;
        m.connections_total.inc();
        m.connections.inc();
        self.shared
            .connections
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, conn.clone());
        conn
    }

    /// `conn` left: the listeners hear of it, then it is no longer open.
    pub(crate) fn deregister(&self, conn: &Conn) {
        self.hooks().iter().for_each(|h| h.on_close(self, conn));
        let removed = self
            .shared
            .connections
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conn.id());
        if removed.is_some() {
            self.shared.metrics.connections.dec();
        }
    }
}
