//! The memory backend: one node's streams in a map, each a bounded ring of its
//! last `history_size` publications with their times, behind its own lock. An
//! epoch is drawn when a stream is made, so a restarted node, or a stream evicted
//! and made again, never passes off new offsets as old ones.

use super::{Deliver, Entry, HistoryStore, Join, Joined, Page, Query, Write};
use crate::config::Namespace;
use crate::reject::Reject;
use lhttp_core::position::Position;
use lhttp_core::OwnedPosition;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

/// One channel's stream.
#[derive(Debug)]
struct Stream {
    /// Drawn when the stream was made.
    epoch: Box<str>,
    /// The offset of the last publication (0: none yet).
    top: u64,
    /// The kept publications, oldest first, offsets increasing by one.
    entries: VecDeque<Entry>,
    /// When each kept publication was appended, in step with `entries`.
    times: VecDeque<Instant>,
    /// The namespace's bounds, as of the last access.
    size: usize,
    ttl: Duration,
    /// The last publication, join or sweep that found a subscriber: a stream
    /// stays at least its ttl after it, so a client away for less recovers.
    touched: Instant,
    /// Set when the sweep removed the stream from the map: a caller that took
    /// it just before must look it up again.
    evicted: bool,
}

impl Stream {
    fn new(epoch: String, now: Instant) -> Stream {
        Stream {
            epoch: epoch.into_boxed_str(),
            top: 0,
            entries: VecDeque::new(),
            times: VecDeque::new(),
            size: 0,
            ttl: Duration::ZERO,
            touched: now,
            evicted: false,
        }
    }

    fn position(&self) -> OwnedPosition {
        OwnedPosition {
            epoch: self.epoch.to_string(),
            offset: self.top,
        }
    }

    /// Drops what is past the ttl or beyond the size.
    fn expire(&mut self, now: Instant) {
        while self.entries.len() > self.size
            || self
                .times
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) > self.ttl)
        {
            self.entries.pop_front();
            self.times.pop_front();
        }
    }

    /// Whether the sweep may drop the stream: nothing kept and quiet for its ttl.
    fn is_idle(&self, now: Instant) -> bool {
        self.entries.is_empty() && now.saturating_duration_since(self.touched) > self.ttl
    }

    /// The publications after `since` when they can all be given (13.4): same
    /// epoch, the next offset still kept, at most `max` of them.
    fn after(&mut self, since: Position<'_>, max: usize) -> Option<&[Entry]> {
        if since.epoch != &*self.epoch || since.offset > self.top {
            return None;
        }
        let missed = self.top - since.offset;
        if missed == 0 {
            return Some(&[]);
        }
        if missed > max as u64 {
            return None;
        }
        let first = self.entries.front()?.offset;
        let skip = usize::try_from((since.offset + 1).checked_sub(first)?).ok()?;
        self.entries.make_contiguous().get(skip..)
    }
}

/// Streams in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryHistory {
    streams: RwLock<HashMap<Box<str>, Arc<Mutex<Stream>>>>,
    /// Streams made so far, mixed into each epoch.
    made: AtomicU64,
}

impl MemoryHistory {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh epoch: 16 hex digits from the process's random hash keys, the time
    /// and a counter.
    fn epoch(&self) -> String {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(self.made.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        format!("{:016x}", h.finish())
    }

    /// Runs `f` on `channel`'s stream (made if missing), locked, expired entries dropped.
    fn with_stream<T>(&self, channel: &str, ns: &Namespace, f: impl FnOnce(&mut Stream, Instant) -> T) -> T {
        loop {
            let stream = self.stream(channel);
            let mut s = lock(&stream);
            if s.evicted {
                continue;
            }
            let now = Instant::now();
            s.size = ns.history_size;
            s.ttl = ns.history_ttl;
            s.expire(now);
            return f(&mut s, now);
        }
    }

    fn stream(&self, channel: &str) -> Arc<Mutex<Stream>> {
        if let Some(s) = self.streams.read().unwrap_or_else(|e| e.into_inner()).get(channel) {
            return s.clone();
        }
        let mut map = self.streams.write().unwrap_or_else(|e| e.into_inner());
        map.entry(channel.into())
            .or_insert_with(|| Arc::new(Mutex::new(Stream::new(self.epoch(), Instant::now()))))
            .clone()
    }
}

fn lock(s: &Mutex<Stream>) -> MutexGuard<'_, Stream> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

impl HistoryStore for MemoryHistory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn append(
        &self,
        channel: &str,
        ns: &Namespace,
        write: &mut Write<'_>,
        deliver: &mut Deliver<'_>,
    ) -> Option<(OwnedPosition, usize)> {
        self.with_stream(channel, ns, |s, now| {
            let offset = s
                .top
                .checked_add(1)
                .filter(|o| *o <= lhttp_core::position::MAX_OFFSET)?;
            let message = write(Position {
                epoch: &s.epoch,
                offset,
            })?;
            s.top = offset;
            s.touched = now;
            let delivered = deliver(&message);
            s.entries.push_back(Entry { offset, message });
            s.times.push_back(now);
            s.expire(now);
            Some((s.position(), delivered))
        })
    }

    fn join(
        &self,
        channel: &str,
        ns: &Namespace,
        since: Option<Position<'_>>,
        join: &mut Join<'_>,
    ) -> Result<Joined, Reject> {
        self.with_stream(channel, ns, |s, now| {
            s.touched = now;
            let missed = since.and_then(|p| s.after(p, ns.recover_max));
            let recovered = missed.is_some();
            join(missed)?;
            Ok(Joined {
                position: s.position(),
                recovered,
            })
        })
    }

    fn read(&self, channel: &str, ns: &Namespace, q: &Query<'_>) -> Page {
        self.with_stream(channel, ns, |s, _| {
            let after = match q.since {
                Some(p) if p.epoch != &*s.epoch => u64::MAX,
                Some(p) => p.offset,
                None => 0,
            };
            let kept = s.entries.iter().filter(|e| e.offset > after);
            let entries = if q.reverse {
                kept.rev().take(q.limit).cloned().collect()
            } else {
                kept.take(q.limit).cloned().collect()
            };
            Page {
                position: s.position(),
                entries,
            }
        })
    }

    fn sweep(&self, subscribed: &dyn Fn(&str) -> bool, evicted: &mut dyn FnMut(&str)) {
        let now = Instant::now();
        // Candidates under the read lock, so publishers are not held up...
        let idle: Vec<Box<str>> = {
            let map = self.streams.read().unwrap_or_else(|e| e.into_inner());
            map.iter()
                .filter_map(|(ch, stream)| {
                    let mut s = lock(stream);
                    s.expire(now);
                    if !s.is_idle(now) {
                        return None;
                    }
                    if subscribed(ch) {
                        s.touched = now;
                        return None;
                    }
                    Some(ch.clone())
                })
                .collect()
        };
        if idle.is_empty() {
            return;
        }
        // ...then each one checked again under the write lock and its own.
        let mut map = self.streams.write().unwrap_or_else(|e| e.into_inner());
        for ch in idle {
            let gone = map.get(&ch).is_some_and(|stream| {
                let mut s = lock(stream);
                let gone = s.is_idle(now) && !subscribed(&ch);
                s.evicted = gone;
                gone
            });
            if gone {
                map.remove(&ch);
                // Still under the map's lock: no new stream of `ch` exists yet.
                evicted(&ch);
            }
        }
    }

    fn stream_count(&self) -> usize {
        self.streams.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn ns(size: usize, ttl_ms: u64, recover_max: usize) -> Namespace {
        Namespace {
            history_size: size,
            history_ttl: Duration::from_millis(ttl_ms),
            recover_max,
            ..Namespace::default()
        }
    }

    /// Appends `body` and returns its position.
    fn append(h: &MemoryHistory, ch: &str, ns: &Namespace, body: &str) -> OwnedPosition {
        let body = Bytes::from(body.to_string());
        h.append(ch, ns, &mut |_| Some(body.clone()), &mut |_| 0).unwrap().0
    }

    /// Joins with `since`; returns the bodies handed over (None: unrecoverable) and the result.
    fn join(h: &MemoryHistory, ch: &str, ns: &Namespace, since: Option<Position<'_>>) -> (Option<Vec<String>>, Joined) {
        let mut got = None;
        let j = h
            .join(ch, ns, since, &mut |missed| {
                got = missed.map(|m| {
                    m.iter()
                        .map(|e| String::from_utf8_lossy(&e.message).into_owned())
                        .collect()
                });
                Ok(())
            })
            .unwrap();
        (got, j)
    }

    #[test]
    fn offsets_increase_by_one_in_one_epoch() {
        let h = MemoryHistory::new();
        let n = ns(10, 60_000, 300);
        let a = append(&h, "a", &n, "1");
        let b = append(&h, "a", &n, "2");
        assert_eq!((a.offset, b.offset), (1, 2));
        assert_eq!(a.epoch, b.epoch);
        assert!(lhttp_core::position::is_epoch(&a.epoch));
        assert_ne!(
            append(&h, "other", &n, "x").epoch,
            a.epoch,
            "each stream draws its epoch"
        );
    }

    #[test]
    fn recovery_hands_over_exactly_what_was_missed() {
        let h = MemoryHistory::new();
        let n = ns(10, 60_000, 300);
        let (_, first) = join(&h, "a", &n, None);
        assert_eq!(first.position.offset, 0);
        for i in 1..=5 {
            append(&h, "a", &n, &i.to_string());
        }
        let since = Position {
            epoch: &first.position.epoch,
            offset: 2,
        };
        let (got, j) = join(&h, "a", &n, Some(since));
        assert_eq!(got.unwrap(), ["3", "4", "5"]);
        assert!(j.recovered);
        assert_eq!(j.position.offset, 5);
        let top = Position {
            epoch: &first.position.epoch,
            offset: 5,
        };
        assert_eq!(join(&h, "a", &n, Some(top)).0.unwrap(), Vec::<String>::new());
    }

    #[test]
    fn recovery_is_never_partial() {
        let h = MemoryHistory::new();
        let n = ns(3, 60_000, 2);
        let epoch = append(&h, "a", &n, "1").epoch;
        for i in 2..=5 {
            append(&h, "a", &n, &i.to_string());
        }
        let at = |offset| Position { epoch: &epoch, offset };
        assert!(join(&h, "a", &n, Some(at(1))).0.is_none(), "offset 2 was trimmed");
        assert!(
            join(&h, "a", &n, Some(at(2))).0.is_none(),
            "3 missed, over recover_max 2"
        );
        assert_eq!(join(&h, "a", &n, Some(at(3))).0.unwrap(), ["4", "5"]);
        assert!(join(&h, "a", &n, Some(at(6))).0.is_none(), "beyond the top");
        let other = Position {
            epoch: "another",
            offset: 3,
        };
        let (got, j) = join(&h, "a", &n, Some(other));
        assert!(got.is_none() && !j.recovered);
    }

    #[test]
    fn reads_forward_backward_and_after_a_position() {
        let h = MemoryHistory::new();
        let n = ns(10, 60_000, 300);
        let epoch = append(&h, "a", &n, "1").epoch;
        for i in 2..=5 {
            append(&h, "a", &n, &i.to_string());
        }
        let offsets = |q: Query<'_>| h.read("a", &n, &q).entries.iter().map(|e| e.offset).collect::<Vec<_>>();
        let q = Query {
            limit: 2,
            since: None,
            reverse: false,
        };
        assert_eq!(offsets(q), [1, 2]);
        assert_eq!(offsets(Query { reverse: true, ..q }), [5, 4]);
        let since = Some(Position {
            epoch: &epoch,
            offset: 3,
        });
        assert_eq!(offsets(Query { since, limit: 10, ..q }), [4, 5]);
        let since = Some(Position {
            epoch: "old",
            offset: 3,
        });
        assert!(offsets(Query { since, ..q }).is_empty());
    }

    #[test]
    fn expired_entries_go_and_idle_streams_are_evicted_unless_subscribed() {
        let h = MemoryHistory::new();
        let n = ns(10, 20, 300);
        let epoch = append(&h, "a", &n, "1").epoch;
        append(&h, "b", &n, "1");
        std::thread::sleep(Duration::from_millis(50));
        let q = Query {
            limit: 10,
            since: None,
            reverse: false,
        };
        assert!(h.read("a", &n, &q).entries.is_empty(), "expired on access");
        let mut gone = Vec::new();
        h.sweep(&|ch| ch == "b", &mut |ch| gone.push(ch.to_string()));
        assert_eq!(h.stream_count(), 1, "b has a subscriber");
        assert_eq!(gone, ["a"]);
        let again = append(&h, "a", &n, "2");
        assert_ne!(again.epoch, epoch, "a new stream, a new epoch");
        assert_eq!(again.offset, 1);
    }
}
