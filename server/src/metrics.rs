//! Counters behind `GET /metrics` (Prometheus text format). Plain atomics:
//! they are bumped on hot paths and read rarely.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Server-wide counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Open WebSocket connections (gauge).
    pub connections: AtomicU64,
    /// WebSocket connections accepted since start.
    pub connections_total: AtomicU64,
    /// LHTTP messages received from clients.
    pub messages_in: AtomicU64,
    /// WebSocket messages queued to clients (replies, acks, errors, deliveries).
    pub messages_out: AtomicU64,
    /// Published messages handed to a subscriber.
    pub deliveries: AtomicU64,
    /// Messages not delivered because a subscriber's queue was full (it is disconnected).
    pub drops: AtomicU64,
    /// Error replies sent.
    pub errors: AtomicU64,
    /// Slow consumers disconnected.
    pub slow_consumers: AtomicU64,
    /// Messages published through `POST /publish`.
    pub http_publishes: AtomicU64,
    /// Upstream calls started.
    pub upstream_calls: AtomicU64,
    /// Upstream calls refused, failed or timed out.
    pub upstream_failures: AtomicU64,
    /// History streams kept on this node (gauge, set when `/metrics` is read).
    pub history_streams: AtomicU64,
    /// Connection and subscription tokens that verified.
    pub tokens_accepted: AtomicU64,
    /// Connection and subscription tokens refused (invalid or expired).
    pub tokens_refused: AtomicU64,
    /// Messages refused unprocessed with `RateLimited` (over the message rate).
    pub rate_limited_messages: AtomicU64,
    /// Connections closed (1008) for sending on past a burst of `RateLimited` refusals.
    pub rate_limit_closes: AtomicU64,
    /// WebSocket upgrades refused with HTTP 429 (over the connection rate of their address).
    pub rate_limited_connections: AtomicU64,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    /// Renders every metric, plus `channels` and the broker's health and drops given by the caller.
    pub fn render(&self, channels: usize, broker_up: bool, broker_dropped: u64) -> String {
        let mut out = String::with_capacity(2048);
        let rows: [(&str, &str, &str, u64); 20] = [
            (
                "lhttp_connections",
                "gauge",
                "Open WebSocket connections.",
                self.connections.load(Relaxed),
            ),
            (
                "lhttp_connections_total",
                "counter",
                "WebSocket connections accepted.",
                self.connections_total.load(Relaxed),
            ),
            (
                "lhttp_channels",
                "gauge",
                "Channels with at least one local subscriber.",
                channels as u64,
            ),
            (
                "lhttp_messages_in_total",
                "counter",
                "LHTTP messages received.",
                self.messages_in.load(Relaxed),
            ),
            (
                "lhttp_messages_out_total",
                "counter",
                "WebSocket messages queued to clients.",
                self.messages_out.load(Relaxed),
            ),
            (
                "lhttp_deliveries_total",
                "counter",
                "Published messages handed to subscribers.",
                self.deliveries.load(Relaxed),
            ),
            (
                "lhttp_drops_total",
                "counter",
                "Messages dropped because a queue was full.",
                self.drops.load(Relaxed),
            ),
            (
                "lhttp_errors_total",
                "counter",
                "Error replies sent.",
                self.errors.load(Relaxed),
            ),
            (
                "lhttp_tokens_accepted_total",
                "counter",
                "Connection and subscription tokens that verified.",
                self.tokens_accepted.load(Relaxed),
            ),
            (
                "lhttp_tokens_refused_total",
                "counter",
                "Connection and subscription tokens refused.",
                self.tokens_refused.load(Relaxed),
            ),
            (
                "lhttp_slow_consumers_total",
                "counter",
                "Connections closed for being too slow.",
                self.slow_consumers.load(Relaxed),
            ),
            (
                "lhttp_http_publishes_total",
                "counter",
                "Messages published over HTTP.",
                self.http_publishes.load(Relaxed),
            ),
            (
                "lhttp_upstream_calls_total",
                "counter",
                "Upstream calls started.",
                self.upstream_calls.load(Relaxed),
            ),
            (
                "lhttp_upstream_failures_total",
                "counter",
                "Upstream calls refused, failed or timed out.",
                self.upstream_failures.load(Relaxed),
            ),
            (
                "lhttp_history_streams",
                "gauge",
                "Channel history streams kept on this node.",
                self.history_streams.load(Relaxed),
            ),
            (
                "lhttp_rate_limited_messages_total",
                "counter",
                "Messages refused with RateLimited, over the message rate.",
                self.rate_limited_messages.load(Relaxed),
            ),
            (
                "lhttp_rate_limit_closes_total",
                "counter",
                "Connections closed for sending on past their message rate.",
                self.rate_limit_closes.load(Relaxed),
            ),
            (
                "lhttp_rate_limited_connections_total",
                "counter",
                "WebSocket upgrades refused with 429, over the connection rate.",
                self.rate_limited_connections.load(Relaxed),
            ),
            (
                "lhttp_broker_up",
                "gauge",
                "1 when the broker is connected.",
                u64::from(broker_up),
            ),
            (
                "lhttp_broker_dropped_total",
                "counter",
                "Publishes the broker could not carry to other nodes.",
                broker_dropped,
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}
