//! The subscribers of the fan-out and latency scenarios, plus the shared
//! counters the publishers' flow control reads. Fan-out subscribers are one
//! task per connection with a loop that only counts; latency subscribers are
//! read by one epoll thread ([`reader`](crate::reader)) that records latencies.

use crate::conn::{self, payload, Ws};
use crate::reader::{self, Framing, Reading};
use crate::Result;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The channel every subscriber joins when a scenario has one room.
pub const CHANNEL: &str = "bench";

/// The channel of room `room` of `rooms`.
pub fn room(room: usize, rooms: usize) -> String {
    if rooms <= 1 {
        CHANNEL.to_string()
    } else {
        format!("{CHANNEL}-{room}")
    }
}

/// Read buffer of a subscriber: room for a burst of small messages per read.
/// Not larger: tungstenite zeroes the whole buffer before every read attempt.
const READ_BUFFER: usize = 4 * 1024;

/// How long subscribers may take to notice the end of a scenario.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);

/// How often [`Swarm::probe`] publishes, and how long it may take.
const PROBE_EVERY: Duration = Duration::from_millis(20);
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// One subscriber's count, alone on its cache line so subscribers running on
/// different cores never contend.
#[repr(align(64))]
#[derive(Debug, Default)]
struct Slot(AtomicU64);

/// Publish times, shared by publishers and subscribers of the latency scenario.
#[derive(Debug)]
pub struct Clock {
    /// The shared zero: bodies carry nanoseconds since it.
    start: Instant,
    /// Messages sent before this many nanoseconds (the warm-up) are not recorded.
    record_from: AtomicU64,
}

impl Clock {
    /// A clock starting now that records nothing until [`Clock::record_from_now`].
    pub fn new() -> Self {
        Clock {
            start: Instant::now(),
            record_from: AtomicU64::new(u64::MAX),
        }
    }

    /// Nanoseconds since the shared start.
    pub fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Records the latency of messages sent from now on.
    pub fn record_from_now(&self) {
        self.record_from.store(self.now(), Relaxed);
    }

    /// Messages sent before this many nanoseconds are not recorded.
    pub fn record_from(&self) -> u64 {
        self.record_from.load(Relaxed)
    }
}

/// The state subscribers and publishers share.
#[derive(Debug)]
pub struct Shared {
    /// Messages received, per subscriber.
    slots: Box<[Slot]>,
    /// Set at the end of a scenario: publishers stop, subscribers leave at their next
    /// message, and the latency reader stops once every socket saw `stop`.
    pub stop: AtomicBool,
    /// Publishes sent so far, all publishers together.
    pub published: AtomicU64,
    /// Present when subscribers record latencies.
    pub clock: Option<Clock>,
    /// Rooms the subscribers are split over (see [`room`]).
    pub rooms: usize,
    /// Messages counted by the latency reader (the slots count the tasks').
    pub received: AtomicU64,
}

impl Shared {
    /// Messages received by all subscribers so far.
    pub fn delivered(&self) -> u64 {
        self.slots.iter().map(|s| s.0.load(Relaxed)).sum::<u64>() + self.received.load(Relaxed)
    }

    /// How many subscribers there are.
    pub fn subscribers(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Messages received by the subscriber that received the fewest.
    pub fn slowest(&self) -> u64 {
        self.slots.iter().map(|s| s.0.load(Relaxed)).min().unwrap_or(0)
    }
}

/// What the subscribers saw, all together.
#[derive(Debug, Default)]
pub struct Finished {
    /// Publish-to-deliver latencies in nanoseconds (latency scenario only).
    pub samples: Vec<u32>,
    /// Subscribers the server closed (slow consumers) or that never finished.
    pub lost: usize,
    /// The latency reader's CPU per message, in microseconds (latency scenario only).
    pub reader_us_per_delivery: Option<f64>,
}

/// How the subscribers receive.
#[derive(Debug)]
enum Receivers {
    /// One counting task per connection (fan-out); each says whether the server closed it.
    Tasks(Vec<JoinHandle<bool>>),
    /// One epoll thread timing every connection (latency).
    Reader(std::thread::JoinHandle<Result<Reading>>),
}

/// Subscribers connected and receiving.
#[derive(Debug)]
pub struct Swarm {
    /// Counters, stop flag and clock.
    pub shared: Arc<Shared>,
    receivers: Receivers,
}

impl Swarm {
    /// Connects `n` subscribers, subscriber `i` to room `i % rooms` (each
    /// acked), and starts receiving. With a `clock`, one thread reads them all
    /// and records latencies; without, each has a counting task.
    pub async fn start(url: &str, n: usize, rooms: usize, clock: Option<Clock>) -> Result<Swarm> {
        Swarm::start_across(&[url], n, rooms, clock).await
    }

    /// [`start`](Self::start) with the subscribers spread over the nodes of a
    /// cluster: subscriber `i` connects to `urls[i % urls.len()]`.
    pub async fn start_across(urls: &[&str], n: usize, rooms: usize, clock: Option<Clock>) -> Result<Swarm> {
        let rooms = rooms.clamp(1, n.max(1));
        let k = urls.len().max(1);
        let mut conns = Vec::with_capacity(n);
        for (j, url) in urls.iter().enumerate() {
            // Node j's subscribers are j, j + k, ...: the rooms come out as on one node.
            let count = n / k + usize::from(j < n % k);
            conns.extend(conn::open_subscribed(url, count, READ_BUFFER, |i| room((i * k + j) % rooms, rooms)).await?);
        }
        let timed = clock.is_some();
        let shared = Arc::new(Shared {
            slots: (0..n).map(|_| Slot::default()).collect(),
            stop: AtomicBool::new(false),
            published: AtomicU64::new(0),
            clock,
            rooms,
            received: AtomicU64::new(0),
        });
        let receivers = if timed {
            let sockets = conns.into_iter().map(conn::into_socket).collect::<Result<Vec<_>>>()?;
            let shared = shared.clone();
            Receivers::Reader(std::thread::spawn(move || {
                let clock = shared.clock.as_ref().ok_or("no clock")?;
                reader::read_all(sockets, Framing::WebSocket, clock, &shared.received, &shared.stop)
            }))
        } else {
            let tasks = conns
                .into_iter()
                .enumerate()
                .map(|(i, ws)| tokio::spawn(receive(ws, shared.clone(), i)))
                .collect();
            Receivers::Tasks(tasks)
        };
        Ok(Swarm { shared, receivers })
    }

    /// Publishes a probe to every room through a connection to `url` every
    /// [`PROBE_EVERY`] until each counting subscriber received one: across
    /// nodes, a channel reaches a node's subscribers only once the cluster
    /// routes it there, and a publish sent before that never arrives. Probes
    /// count as published, so the flat-out window stays exact.
    pub async fn probe(&self, url: &str) -> Result<()> {
        use futures_util::SinkExt;
        let mut control = conn::open(url, READ_BUFFER, 0).await?;
        let deadline = Instant::now() + PROBE_TIMEOUT;
        while self.shared.slowest() == 0 {
            if Instant::now() > deadline {
                return Err(
                    format!("a subscriber got no probe within {PROBE_TIMEOUT:?}: the cluster does not route").into(),
                );
            }
            for r in 0..self.shared.rooms {
                self.shared.published.fetch_add(1, Relaxed);
                control
                    .send(conn::publish(&room(r, self.shared.rooms), b"probe")?)
                    .await?;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
        Ok(())
    }

    /// Ends the scenario: sets the stop flag and sends one more publish to
    /// each room through `control` so every subscriber wakes and leaves.
    /// Subscribers that do not leave in time are counted as lost.
    pub async fn finish(self, control: &mut Ws) -> Result<Finished> {
        use futures_util::SinkExt;
        self.shared.stop.store(true, Relaxed);
        for r in 0..self.shared.rooms {
            control
                .send(conn::publish(&room(r, self.shared.rooms), b"stop")?)
                .await?;
        }
        let tasks = match self.receivers {
            Receivers::Reader(thread) => {
                let reading = tokio::task::spawn_blocking(move || thread.join())
                    .await?
                    .map_err(|_| "the latency reader panicked")??;
                return Ok(Finished {
                    samples: reading.samples,
                    lost: reading.closed + reading.unfinished,
                    reader_us_per_delivery: Some(reading.cpu_us_per_message),
                });
            }
            Receivers::Tasks(tasks) => tasks,
        };
        let deadline = tokio::time::Instant::now() + FINISH_TIMEOUT;
        let mut lost = 0;
        for mut t in tasks {
            match tokio::time::timeout_at(deadline, &mut t).await {
                Ok(Ok(closed)) => lost += usize::from(closed),
                Ok(Err(_)) => lost += 1,
                Err(_) => {
                    t.abort();
                    lost += 1;
                }
            }
        }
        Ok(Finished {
            samples: Vec::new(),
            lost,
            reader_us_per_delivery: None,
        })
    }
}

/// One fan-out subscriber's receive loop: count every message. Returns whether
/// the server closed the connection (e.g. dropped it as a slow consumer).
async fn receive(mut ws: Ws, shared: Arc<Shared>, index: usize) -> bool {
    let slot = &shared.slots[index].0;
    let mut received = 0u64;
    loop {
        let frame = match ws.next().await {
            Some(Ok(f)) => f,
            Some(Err(_)) | None => return true,
        };
        if frame.is_close() {
            return true;
        }
        if payload(&frame).is_none() {
            continue;
        }
        if shared.stop.load(Relaxed) {
            return false;
        }
        received += 1;
        slot.store(received, Relaxed);
    }
}
