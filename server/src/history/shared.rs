//! The seam for a history store that every node of a cluster shares (JetStream):
//! its work takes a round trip, so each call answers later, and it carries a
//! channel's publications to every node itself, instead of the broker.

use super::Page;
use crate::config::Namespace;
use crate::conn::Conn;
use crate::reject::Reject;
use bytes::Bytes;
use lhttp_core::OwnedPosition;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Work that ends later (a round trip to the store).
pub type Pending<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A history read with owned arguments, for work that ends later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedQuery {
    /// At most this many publications.
    pub limit: usize,
    /// Only publications after this position.
    pub since: Option<OwnedPosition>,
    /// Newest first.
    pub reverse: bool,
}

/// What a join on a shared store found (13.3, 13.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedJoined {
    /// Where the channel's stream starts for this subscriber.
    pub position: OwnedPosition,
    /// With a `since`: whether everything after it was sent.
    pub recovered: bool,
}

/// A history store shared by every node, which also carries the publications of
/// channels with history between nodes.
pub(crate) trait SharedHistory: Send + Sync + 'static {
    /// A short name for logs (e.g. `jetstream`).
    fn name(&self) -> &'static str;

    /// Appends `message` (as published, without positions) to `channel`'s stream;
    /// every node's subscribers get it from the store. Answers its position.
    fn append(&self, channel: &str, namespace: &Namespace, message: Bytes) -> Pending<Result<OwnedPosition, Reject>>;

    /// Joins `conn` (already holding `channel` among its subscriptions) to the
    /// channel: sends what it missed after `since` when all of it can be
    /// recovered, then live publications, none lost or repeated.
    fn join(
        &self,
        conn: &Arc<Conn>,
        channel: &str,
        namespace: &Namespace,
        since: Option<OwnedPosition>,
    ) -> Pending<Result<SharedJoined, Reject>>;

    /// `conn` left `channel` (an unsubscribe or its close), joined or still joining.
    fn left(&self, conn: &Conn, channel: &str);

    /// Reads `channel`'s history (13.5).
    fn read(&self, channel: &str, namespace: &Namespace, query: OwnedQuery) -> Pending<Result<Page, Reject>>;

    /// How many channels this node follows in the store.
    fn stream_count(&self) -> usize;
}
