//! Reads of one channel's entries from the stream, one direct get per entry
//! (the next of its subject from a sequence): for a recovery (13.4), a history
//! read (13.5) and a hole a node must fill (13.6). What is "in history" follows
//! the namespace: its last `history_size` entries younger than its ttl.

use super::stream::Current;
use super::{is_ours, unavailable, Inner};
use crate::config::Namespace;
use crate::history::{Entry, OwnedQuery, Page};
use crate::reject::Reject;
use crate::reply;
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::DirectGetErrorKind;
use bytes::Bytes;
use lhttp_core::position::Position;
use lhttp_core::OwnedPosition;
use std::time::{SystemTime, UNIX_EPOCH};

/// One entry as delivered: its offset and the publication with its position.
pub(crate) type Delivered = (u64, Bytes);

/// `channel`'s entries from sequence `from` on, at most `max` of them.
async fn walk(current: &Current, channel: &str, from: u64, max: usize) -> Result<Vec<StreamMessage>, Reject> {
    let token = super::subject::subject_token(channel);
    let hashed = super::subject::is_hashed(&token);
    let subject = current.names.entry(&token);
    let mut out = Vec::new();
    let mut next = from.max(1);
    while out.len() < max {
        match current
            .stream
            .direct_get_next_for_subject(subject.as_str(), Some(next))
            .await
        {
            Ok(m) => {
                next = m.sequence + 1;
                if is_ours(Some(&m.headers), channel, hashed) {
                    out.push(m);
                }
            }
            Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => break,
            Err(e) => return Err(unavailable(e)),
        }
    }
    Ok(out)
}

/// The offset of `channel`'s last entry (0: none).
pub(crate) async fn last(current: &Current, channel: &str) -> Result<u64, Reject> {
    let subject = current.names.entry(&super::subject::subject_token(channel));
    match current.stream.direct_get_last_for_subject(subject.as_str()).await {
        Ok(m) => Ok(m.sequence),
        Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => Ok(0),
        Err(e) => Err(unavailable(e)),
    }
}

/// The stream's last sequence now (a `since` beyond it is not a position it gave).
async fn bounds(current: &Current) -> Result<u64, Reject> {
    let info = current.stream.get_info().await.map_err(unavailable)?;
    Ok(info.state.last_sequence)
}

/// The publication `m` as `channel` delivers it.
pub(crate) fn delivered(current: &Current, channel: &str, seq: u64, payload: &[u8]) -> Option<Delivered> {
    let p = Position {
        epoch: &current.epoch,
        offset: seq,
    };
    reply::publication(payload, channel, p).map(|b| (seq, b))
}

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Whether `m` is younger than `ns`'s ttl.
fn fresh(m: &StreamMessage, ns: &Namespace, now: i128) -> bool {
    now - m.time.unix_timestamp_nanos() <= ns.history_ttl.as_nanos() as i128
}

/// What a recovery found.
pub(crate) struct Recovery {
    /// The entries after `since`, to send when recovered.
    pub(crate) entries: Vec<Delivered>,
    /// Whether they are all of them (13.4).
    pub(crate) recovered: bool,
    /// The channel's last offset as read (where the subscriber starts).
    pub(crate) last: u64,
}

/// The entries of `channel` after offset `after`, and whether no entry of it
/// between `after` and the first one found can have been dropped. The stream
/// drops a channel's entries only beyond its per-channel limit (at its byte
/// limit it refuses appends instead, 13.9), so none was dropped when the entry
/// `after` is still kept, or when fewer than that limit follow it.
async fn after(
    inner: &Inner,
    current: &Current,
    channel: &str,
    after: u64,
    max: usize,
) -> Result<(Vec<StreamMessage>, bool), Reject> {
    let mut found = walk(current, channel, after, max.saturating_add(2)).await?;
    let kept = after > 0 && found.first().is_some_and(|m| m.sequence == after);
    if kept {
        found.remove(0);
        return Ok((found, true));
    }
    let last = bounds(current).await?;
    let whole = (found.len() as i64) < inner.per_channel && after <= last;
    Ok((found, whole))
}

/// Recovers `channel` after `since` within `ns`'s bounds (13.4).
pub(crate) async fn recover(
    inner: &Inner,
    current: &Current,
    channel: &str,
    ns: &Namespace,
    since: &OwnedPosition,
) -> Result<Recovery, Reject> {
    if since.epoch != *current.epoch {
        return Ok(Recovery {
            entries: Vec::new(),
            recovered: false,
            last: last(current, channel).await?,
        });
    }
    let max = ns.recover_max.min(ns.history_size);
    let (found, whole) = after(inner, current, channel, since.offset, max).await?;
    let now = now_nanos();
    let recovered = whole && found.len() <= max && found.iter().all(|m| fresh(m, ns, now));
    if !recovered {
        return Ok(Recovery {
            entries: Vec::new(),
            recovered: false,
            last: last(current, channel).await?,
        });
    }
    let last = found.last().map_or(since.offset, |m| m.sequence);
    let entries = found
        .iter()
        .filter_map(|m| delivered(current, channel, m.sequence, &m.payload))
        .collect();
    Ok(Recovery {
        entries,
        recovered: true,
        last,
    })
}

/// The entries of `channel` in (`after`, `upto`] when all of them are still
/// kept (a hole a node fills, 13.6); `None` when some are gone.
pub(crate) async fn range(
    inner: &Inner,
    current: &Current,
    channel: &str,
    after_offset: u64,
    upto: u64,
) -> Result<Option<Vec<Delivered>>, Reject> {
    let max = usize::try_from(inner.per_channel).unwrap_or(usize::MAX);
    let (found, whole) = after(inner, current, channel, after_offset, max).await?;
    let found: Vec<_> = found.into_iter().take_while(|m| m.sequence <= upto).collect();
    if !whole || found.last().map(|m| m.sequence) != Some(upto) {
        return Ok(None);
    }
    Ok(Some(
        found
            .iter()
            .filter_map(|m| delivered(current, channel, m.sequence, &m.payload))
            .collect(),
    ))
}

/// A history read (13.5): the namespace's kept entries after `since` (none of
/// another epoch), oldest first or newest first, at most `limit`.
pub(crate) async fn page(inner: &Inner, channel: &str, ns: &Namespace, q: &OwnedQuery) -> Result<Page, Reject> {
    let current = inner.current()?;
    let max = usize::try_from(inner.per_channel).unwrap_or(usize::MAX);
    let all = walk(&current, channel, 1, max).await?;
    let top = match all.last() {
        Some(m) => m.sequence,
        None => last(&current, channel).await?,
    };
    let now = now_nanos();
    let skip = all.len().saturating_sub(ns.history_size);
    let after = match &q.since {
        Some(p) if p.epoch != *current.epoch => u64::MAX,
        Some(p) => p.offset,
        None => 0,
    };
    let kept = all
        .iter()
        .skip(skip)
        .filter(|m| m.sequence > after && fresh(m, ns, now))
        .filter_map(|m| delivered(&current, channel, m.sequence, &m.payload))
        .map(|(offset, message)| Entry { offset, message });
    let entries = if q.reverse {
        let mut v: Vec<Entry> = kept.collect();
        v.reverse();
        v.truncate(q.limit);
        v
    } else {
        kept.take(q.limit).collect()
    };
    Ok(Page {
        position: OwnedPosition {
            epoch: current.epoch.to_string(),
            offset: top,
        },
        entries,
    })
}
