//! The seam between one node's subscribers and the rest of a cluster. The hub
//! delivers to local subscribers itself; a broker carries published messages to
//! the other nodes. The embedded broker (the default) is a single node: it has
//! nothing to carry.

use bytes::Bytes;

/// Carries published messages between nodes.
pub trait Broker: Send + Sync + 'static {
    /// A short name for logs, `/healthz` and `/metrics` (e.g. `embedded`, `nats`).
    fn name(&self) -> &'static str;

    /// Sends an encoded message published on this node to the other nodes'
    /// subscribers of `channels`. Local subscribers already have it.
    fn publish(&self, channels: &[&str], message: &Bytes);

    /// The first local subscriber joined `channel`.
    fn channel_opened(&self, _channel: &str) {}

    /// Nothing on this node needs `channel` any more: its last local subscriber
    /// left, or, for a channel with history, its stream was dropped after that.
    /// May come for a channel never opened (a stream made by a local publish).
    fn channel_closed(&self, _channel: &str) {}

    /// Whether the broker currently reaches the cluster.
    fn is_up(&self) -> bool {
        true
    }

    /// Publishes this node could not carry to the others (e.g. during an outage), for `/metrics`.
    fn dropped(&self) -> u64 {
        0
    }
}

/// The embedded, in-process broker: one node, no external service.
#[derive(Debug, Default, Clone, Copy)]
pub struct EmbeddedBroker;

impl Broker for EmbeddedBroker {
    fn name(&self) -> &'static str {
        "embedded"
    }

    fn publish(&self, _channels: &[&str], _message: &Bytes) {}
}
