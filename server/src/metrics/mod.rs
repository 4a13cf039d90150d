//! Counters behind `GET /metrics`, kept with `prometheus-client`: the Prometheus
//! project's own client, with labelled families and histograms, the standard
//! (OpenMetrics) text exposition, and no global recorder (each server has its own).
//!
//! Hot paths pay an atomic increment: plain counters are atomics, and the
//! by-namespace ones are resolved once at startup ([`Namespaces`]); families
//! whose labels are open-ended (error names, close codes) are bumped only on
//! error replies and closes.

mod namespaces;
mod value;

pub use namespaces::{NamespaceCounters, NamespaceLabel, Namespaces};
pub use value::Value;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::RwLock;
use std::time::Duration;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One push in this many has its outbox depth observed: a histogram takes a
/// lock, a delivery must not.
pub const OUTBOX_DEPTH_SAMPLING: u32 = 64;

/// The label of the error replies' family: the error's name (`Forbidden`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabel {
    /// The error code's name, as the reply's `code` header carries it.
    pub code: String,
}

/// The label of the closes' family: the WebSocket close code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloseLabel {
    /// The close code the server sent (1013, 1008...).
    pub code: u16,
}

/// Server-wide counters, gauges and histograms: the one place every figure of `/metrics` lives.
#[derive(Debug)]
pub struct Metrics {
    /// Open WebSocket connections (gauge).
    pub connections: Gauge,
    /// WebSocket connections accepted since start.
    pub connections_total: Value,
    /// LHTTP messages received from clients.
    pub messages_in: Counter,
    /// WebSocket messages queued to clients (replies, acks, errors, deliveries).
    pub messages_out: Counter,
    /// Published messages handed to a subscriber, and those dropped, by namespace.
    pub namespaces: Namespaces,
    /// Error replies sent, by name.
    pub errors: Family<ErrorLabel, Counter>,
    /// The names [`Metrics::error`] has counted, for [`Metrics::errors_by_name`]: a
    /// `Family` cannot list its members.
    error_names: RwLock<BTreeSet<String>>,
    /// Connections the server closed, by close code (each once).
    pub closes: Family<CloseLabel, Counter>,
    /// Slow consumers disconnected.
    pub slow_consumers: Counter,
    /// Messages published through `POST /publish`.
    pub http_publishes: Counter,
    /// Upstream calls started (a request went out).
    pub upstream_calls: Counter,
    /// Upstream calls refused before going out (not allowed, over the concurrency limit, malformed).
    pub upstream_refused: Counter,
    /// Upstream calls refused, failed or timed out.
    pub upstream_failures: Counter,
    /// How long upstream calls took, from the request going out to the answer, failure or timeout.
    pub upstream_seconds: Histogram,
    /// Messages queued to a connection, counting the new one, sampled at delivery.
    pub outbox_depth: Histogram,
    /// History streams kept on this node (gauge, set when `/metrics` is read).
    pub history_streams: Gauge,
    /// Connection and subscription tokens that verified.
    pub tokens_accepted: Counter,
    /// Connection and subscription tokens refused (invalid or expired).
    pub tokens_refused: Counter,
    /// Messages refused unprocessed with `RateLimited` (over the message rate).
    pub rate_limited_messages: Counter,
    /// Connections closed (1008) for sending on past a burst of `RateLimited` refusals.
    pub rate_limit_closes: Counter,
    /// WebSocket upgrades refused with HTTP 429 (over the connection rate of their address).
    pub rate_limited_connections: Counter,
    /// Channels with a local subscriber (set when `/metrics` is read).
    channels: Gauge,
    /// 1 when the broker is connected (set when `/metrics` is read).
    broker_up: Gauge,
    /// The broker's own count of publishes it could not carry (set when `/metrics` is read).
    broker_dropped: Value,
    /// Every metric above, under its exposed name.
    registry: Registry,
}

impl Default for Metrics {
    /// Metrics with the default namespace only.
    fn default() -> Self {
        Metrics::new([])
    }
}

thread_local! {
    /// Pushes on this thread since start, to sample one in [`OUTBOX_DEPTH_SAMPLING`]
    /// without a shared counter (which every core would fight over).
    static PUSHES: Cell<u32> = const { Cell::new(0) };
}

/// Picks the pushes of one delivery whose outbox depth is observed: one in
/// [`OUTBOX_DEPTH_SAMPLING`] on each thread.
#[derive(Debug)]
pub(crate) struct DepthSampler {
    /// This thread's pushes before this delivery.
    base: u32,
    /// This delivery's pushes so far.
    n: u32,
}

impl DepthSampler {
    /// Starts counting one delivery's pushes.
    pub(crate) fn start() -> Self {
        DepthSampler {
            base: PUSHES.with(Cell::get),
            n: 0,
        }
    }

    /// Counts a push; `true` when its depth is to be observed.
    #[inline]
    pub(crate) fn next(&mut self) -> bool {
        let sampled = self.base.wrapping_add(self.n).is_multiple_of(OUTBOX_DEPTH_SAMPLING);
        self.n = self.n.wrapping_add(1);
        sampled
    }

    /// Adds this delivery's pushes to the thread's.
    pub(crate) fn finish(self) {
        PUSHES.with(|c| c.set(self.base.wrapping_add(self.n)));
    }
}

impl Metrics {
    /// Metrics whose deliveries and drops are counted for the default namespace
    /// and each of the `named` ones (the configuration's namespace tables).
    pub fn new<'a>(named: impl IntoIterator<Item = &'a str>) -> Self {
        let deliveries = Family::<NamespaceLabel, Counter>::default();
        let drops = Family::<NamespaceLabel, Counter>::default();
        let m = Metrics {
            connections: Gauge::default(),
            connections_total: Value::untyped(),
            messages_in: Counter::default(),
            messages_out: Counter::default(),
            namespaces: Namespaces::new(named, &deliveries, &drops),
            errors: Family::default(),
            error_names: RwLock::default(),
            closes: Family::default(),
            slow_consumers: Counter::default(),
            http_publishes: Counter::default(),
            upstream_calls: Counter::default(),
            upstream_refused: Counter::default(),
            upstream_failures: Counter::default(),
            // 5 ms to 10 s, Prometheus's default buckets: backends answer in milliseconds to seconds.
            upstream_seconds: Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            // 1 to 16,384 (the default --max-queue) by fours.
            outbox_depth: Histogram::new(exponential_buckets(1.0, 4.0, 8)),
            history_streams: Gauge::default(),
            tokens_accepted: Counter::default(),
            tokens_refused: Counter::default(),
            rate_limited_messages: Counter::default(),
            rate_limit_closes: Counter::default(),
            rate_limited_connections: Counter::default(),
            channels: Gauge::default(),
            broker_up: Gauge::default(),
            broker_dropped: Value::counter(),
            registry: Registry::default(),
        };
        let mut r = Registry::default();
        // Counters are registered without `_total`: the exposition appends it
        // (and the help its full stop), so the samples keep the names they had.
        r.register("lhttp_connections", "Open WebSocket connections", m.connections.clone());
        r.register(
            "lhttp_connections_total",
            "WebSocket connections accepted (a counter, untyped: lhttp_connections is the gauge's name)",
            m.connections_total.clone(),
        );
        r.register(
            "lhttp_channels",
            "Channels with at least one local subscriber",
            m.channels.clone(),
        );
        r.register("lhttp_messages_in", "LHTTP messages received", m.messages_in.clone());
        r.register(
            "lhttp_messages_out",
            "WebSocket messages queued to clients",
            m.messages_out.clone(),
        );
        r.register(
            "lhttp_deliveries",
            "Published messages handed to subscribers, by namespace (\"\" is the default one)",
            deliveries,
        );
        r.register(
            "lhttp_drops",
            "Messages dropped because a queue was full or closing, by namespace",
            drops,
        );
        r.register("lhttp_errors", "Error replies sent, by error name", m.errors.clone());
        r.register(
            "lhttp_closes",
            "Connections the server closed, by close code",
            m.closes.clone(),
        );
        r.register(
            "lhttp_tokens_accepted",
            "Connection and subscription tokens that verified",
            m.tokens_accepted.clone(),
        );
        r.register(
            "lhttp_tokens_refused",
            "Connection and subscription tokens refused",
            m.tokens_refused.clone(),
        );
        r.register(
            "lhttp_slow_consumers",
            "Connections closed for being too slow",
            m.slow_consumers.clone(),
        );
        r.register(
            "lhttp_http_publishes",
            "Messages published over HTTP",
            m.http_publishes.clone(),
        );
        r.register(
            "lhttp_upstream_calls",
            "Upstream calls started (requests that went out)",
            m.upstream_calls.clone(),
        );
        r.register(
            "lhttp_upstream_refused",
            "Upstream calls refused before going out (not allowed, too many in flight, malformed)",
            m.upstream_refused.clone(),
        );
        r.register(
            "lhttp_upstream_failures",
            "Upstream calls refused, failed or timed out",
            m.upstream_failures.clone(),
        );
        r.register(
            "lhttp_upstream_seconds",
            "Upstream call time, from the request going out to its answer, failure or timeout",
            m.upstream_seconds.clone(),
        );
        r.register(
            "lhttp_outbox_depth",
            "Messages queued to a connection at delivery, counting the delivered one (one push in 64 sampled)",
            m.outbox_depth.clone(),
        );
        r.register(
            "lhttp_history_streams",
            "Channel history streams kept on this node",
            m.history_streams.clone(),
        );
        r.register(
            "lhttp_rate_limited_messages",
            "Messages refused with RateLimited, over the message rate",
            m.rate_limited_messages.clone(),
        );
        r.register(
            "lhttp_rate_limit_closes",
            "Connections closed for sending on past their message rate",
            m.rate_limit_closes.clone(),
        );
        r.register(
            "lhttp_rate_limited_connections",
            "WebSocket upgrades refused with 429, over the connection rate",
            m.rate_limited_connections.clone(),
        );
        r.register("lhttp_broker_up", "1 when the broker is connected", m.broker_up.clone());
        r.register(
            "lhttp_broker_dropped",
            "Publishes the broker could not carry to other nodes",
            m.broker_dropped.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// Counts an error reply named `code`.
    pub fn error(&self, code: &str) {
        self.errors.get_or_create(&ErrorLabel { code: code.to_string() }).inc();
        // The write lock only the first time a name is seen: names are few.
        let known = self.error_names.read().is_ok_and(|n| n.contains(code));
        if !known {
            if let Ok(mut names) = self.error_names.write() {
                names.insert(code.to_string());
            }
        }
    }

    /// Every error reply counted so far by name (each name sent at least once), sorted.
    pub fn errors_by_name(&self) -> Vec<(String, u64)> {
        let names: Vec<String> = self
            .error_names
            .read()
            .map(|n| n.iter().cloned().collect())
            .unwrap_or_default();
        names
            .into_iter()
            .map(|n| {
                let count = self.errors_named(&n);
                (n, count)
            })
            .collect()
    }

    /// Drops so far by namespace (`""` the default one), every configured namespace.
    pub fn drops_by_namespace(&self) -> Vec<(&str, u64)> {
        self.namespaces.named().map(|(n, c)| (n, c.drops.get())).collect()
    }

    /// Counts a close the server sent (or decided on) with `code`.
    pub fn close(&self, code: u16) {
        self.closes.get_or_create(&CloseLabel { code }).inc();
    }

    /// Error replies named `code` so far.
    pub fn errors_named(&self, code: &str) -> u64 {
        self.errors
            .get(&ErrorLabel { code: code.to_string() })
            .map_or(0, |c| c.get())
    }

    /// Closes with `code` so far.
    pub fn closes_with(&self, code: u16) -> u64 {
        self.closes.get(&CloseLabel { code }).map_or(0, |c| c.get())
    }

    /// Deliveries so far, every namespace's.
    pub fn deliveries(&self) -> u64 {
        self.namespaces.all().map(|c| c.deliveries.get()).sum()
    }

    /// Drops so far, every namespace's.
    pub fn drops(&self) -> u64 {
        self.namespaces.all().map(|c| c.drops.get()).sum()
    }

    /// Records how long an upstream call took.
    pub fn upstream_took(&self, d: Duration) {
        self.upstream_seconds.observe(d.as_secs_f64());
    }

    /// Renders every metric in the OpenMetrics text format, with `channels` and
    /// the broker's health and drops given by the caller.
    pub fn render(&self, channels: usize, broker_up: bool, broker_dropped: u64) -> String {
        self.channels.set(i64::try_from(channels).unwrap_or(i64::MAX));
        self.broker_up.set(i64::from(broker_up));
        self.broker_dropped.set(broker_dropped);
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples `/metrics` had before prometheus-client, by name: dashboards read them.
    const BEFORE: [&str; 20] = [
        "lhttp_connections",
        "lhttp_connections_total",
        "lhttp_channels",
        "lhttp_messages_in_total",
        "lhttp_messages_out_total",
        "lhttp_deliveries_total",
        "lhttp_drops_total",
        "lhttp_errors_total",
        "lhttp_tokens_accepted_total",
        "lhttp_tokens_refused_total",
        "lhttp_slow_consumers_total",
        "lhttp_http_publishes_total",
        "lhttp_upstream_calls_total",
        "lhttp_upstream_failures_total",
        "lhttp_history_streams",
        "lhttp_rate_limited_messages_total",
        "lhttp_rate_limit_closes_total",
        "lhttp_rate_limited_connections_total",
        "lhttp_broker_up",
        "lhttp_broker_dropped_total",
    ];

    fn sample_names(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(['{', ' ']).next().unwrap_or(""))
            .collect()
    }

    #[test]
    fn every_sample_keeps_its_name() {
        let m = Metrics::new(["chat"]);
        m.error("Forbidden");
        m.close(1013);
        m.connections.inc();
        m.connections_total.inc();
        m.messages_in.inc();
        m.namespaces.of("chat:1").deliveries.inc();
        let text = m.render(3, true, 7);
        let names = sample_names(&text);
        for name in BEFORE {
            assert!(names.contains(&name), "{name} missing from\n{text}");
        }
        for line in [
            "lhttp_connections 1",
            "lhttp_connections_total 1",
            "lhttp_channels 3",
            "lhttp_messages_in_total 1",
            "lhttp_deliveries_total{namespace=\"chat\"} 1",
            "lhttp_deliveries_total{namespace=\"\"} 0",
            "lhttp_drops_total{namespace=\"\"} 0",
            "lhttp_errors_total{code=\"Forbidden\"} 1",
            "lhttp_closes_total{code=\"1013\"} 1",
            "lhttp_broker_up 1",
            "lhttp_broker_dropped_total 7",
            "lhttp_outbox_depth_count 0",
            "lhttp_upstream_seconds_count 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} missing from\n{text}");
        }
        // One descriptor per family: a scraper refuses a family described twice.
        let mut types: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
        let n = types.len();
        types.sort_unstable_by_key(|t| t.split(' ').next());
        types.dedup_by_key(|t| t.split(' ').next());
        assert_eq!(types.len(), n, "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn one_push_in_the_sampling_period_is_sampled() {
        let mut sampled = 0;
        for _ in 0..10 {
            let mut s = DepthSampler::start();
            sampled += (0..OUTBOX_DEPTH_SAMPLING * 2).filter(|_| s.next()).count();
            s.finish();
        }
        assert_eq!(sampled, 20);
    }
}
