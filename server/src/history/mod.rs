//! Channel history (spec/PROTOCOL.md, section 13): each channel with history is a
//! stream of publications with an epoch and offsets, kept by a [`HistoryStore`].
//! The store is the seam the handle owns, like the broker: the memory backend
//! ([`MemoryHistory`]) keeps one node's streams; a JetStream one can replace it in
//! the cluster layer. Every operation that touches live delivery runs under the
//! stream's lock, so a recovery orders itself against live publications.

mod memory;
mod shared;

pub use memory::MemoryHistory;
pub(crate) use shared::SharedHistory;
pub(crate) use shared::{OwnedQuery, Pending, SharedJoined};

use crate::config::Namespace;
use crate::reject::Reject;
use bytes::Bytes;
use lhttp_core::position::Position;
use lhttp_core::OwnedPosition;

/// One publication kept in a stream: its offset and the message as delivered
/// live (with its `channel`, `offset` and `epoch` headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The publication's offset in its stream.
    pub offset: u64,
    /// The encoded publication.
    pub message: Bytes,
}

/// What joining a stream (a subscribe, with or without `since`) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The stream's position once joined: where it starts for this subscriber.
    pub position: OwnedPosition,
    /// Whether the publications after `since` were all handed over (`false`
    /// without a `since`).
    pub recovered: bool,
}

/// A history read (13.5): which publications, in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query<'a> {
    /// At most this many publications.
    pub limit: usize,
    /// Only publications after this position (none when its epoch is another).
    pub since: Option<Position<'a>>,
    /// Newest first.
    pub reverse: bool,
}

/// A history read's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The stream's current position.
    pub position: OwnedPosition,
    /// The publications, in the order asked.
    pub entries: Vec<Entry>,
}

/// Makes an entry's bytes from its position (the publication with its headers).
pub type Write<'a> = dyn FnMut(Position<'_>) -> Option<Bytes> + 'a;

/// Hands a new entry to the live subscribers; returns how many got it.
pub type Deliver<'a> = dyn FnMut(&Bytes) -> usize + 'a;

/// Subscribes the connection, first queuing the missed publications it is given
/// (`None`: the since was not recoverable, or there was none).
pub type Join<'a> = dyn FnMut(Option<&[Entry]>) -> Result<(), Reject> + 'a;

/// Keeps the streams of channels with history.
pub trait HistoryStore: Send + Sync + 'static {
    /// A short name for logs (e.g. `memory`).
    fn name(&self) -> &'static str;

    /// Appends one publication to `channel`'s stream: `write` makes the entry from
    /// its position and `deliver` hands it to the live subscribers, both under the
    /// stream's lock. Returns the new position and the deliveries; `None` when
    /// `write` made nothing (nothing is appended then).
    fn append(
        &self,
        channel: &str,
        namespace: &Namespace,
        write: &mut Write<'_>,
        deliver: &mut Deliver<'_>,
    ) -> Option<(OwnedPosition, usize)>;

    /// Joins `channel`'s stream under its lock: `join` gets the publications after
    /// `since` when they can all be recovered (13.4), and subscribes; live
    /// publications wait for the lock, so they come after, never lost or repeated.
    fn join(
        &self,
        channel: &str,
        namespace: &Namespace,
        since: Option<Position<'_>>,
        join: &mut Join<'_>,
    ) -> Result<Joined, Reject>;

    /// Reads `channel`'s history (13.5).
    fn read(&self, channel: &str, namespace: &Namespace, query: &Query<'_>) -> Page;

    /// Drops expired publications, and the streams that are all expired, quiet
    /// for their ttl and without a subscriber (`subscribed` tells); `evicted`
    /// hears of each stream dropped before any new one of its channel is made.
    fn sweep(&self, subscribed: &dyn Fn(&str) -> bool, evicted: &mut dyn FnMut(&str));

    /// How many streams are kept.
    fn stream_count(&self) -> usize;
}
