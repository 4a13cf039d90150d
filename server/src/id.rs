//! Identities: this node's random id and the cluster-unique client ids built on it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A connection's number, unique on this node.
pub type ConnId = u64;

/// Makes client ids `<node>-<n>`: unique across a cluster because node ids are random.
#[derive(Debug)]
pub struct IdMaker {
    /// This node's random id (12 hex digits).
    node: String,
    /// The last connection number handed out.
    next: AtomicU64,
}

impl IdMaker {
    /// A maker with a fresh random node id.
    pub fn new() -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        IdMaker {
            node: format!("{:012x}", h.finish() & 0xffff_ffff_ffff),
            next: AtomicU64::new(0),
        }
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// A new connection number and its client id.
    pub fn next(&self) -> (ConnId, String) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        (n, format!("{}-{n}", self.node))
    }
}

impl Default for IdMaker {
    fn default() -> Self {
        Self::new()
    }
}
