//! A metric whose value is a plain atomic the server sets or bumps itself, for
//! the figures prometheus-client's own types cannot expose under today's names
//! (a counter read from the broker, and `lhttp_connections_total` beside the
//! `lhttp_connections` gauge).

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// A `u64` exposed as a counter (its sample gets `_total`) or as an untyped
/// value (its sample keeps its registered name). Clones share the value.
#[derive(Debug, Clone)]
pub struct Value {
    value: Arc<AtomicU64>,
    kind: MetricType,
}

impl Value {
    /// A value exposed as a counter whose figure someone else keeps (set it before rendering).
    pub(crate) fn counter() -> Self {
        Value {
            value: Arc::default(),
            kind: MetricType::Counter,
        }
    }

    /// A value exposed untyped under its own name: a counter whose name already
    /// ends in `_total` and whose family name (`lhttp_connections`) a gauge has.
    pub(crate) fn untyped() -> Self {
        Value {
            value: Arc::default(),
            kind: MetricType::Unknown,
        }
    }

    /// Adds one.
    pub fn inc(&self) {
        self.value.fetch_add(1, Relaxed);
    }

    /// Sets the value.
    pub fn set(&self, v: u64) {
        self.value.store(v, Relaxed);
    }

    /// The value.
    pub fn get(&self) -> u64 {
        self.value.load(Relaxed)
    }
}

impl EncodeMetric for Value {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let v = self.get();
        match self.kind {
            MetricType::Counter => encoder.encode_counter::<NoLabelSet, _, u64>(&v, None),
            _ => encoder.encode_gauge(&v),
        }
    }

    fn metric_type(&self) -> MetricType {
        self.kind
    }
}
