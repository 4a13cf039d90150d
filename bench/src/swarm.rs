//! The subscribers of the fan-out and latency scenarios: one task per
//! connection with a light receive loop (count, and read the send time when
//! timing), plus the shared counters the publishers' flow control reads.

use crate::conn::{self, payload, Ws};
use crate::Result;
use futures_util::StreamExt;
use lhttp_core::{parse, EMPTY_HEADER};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The channel every subscriber of a scenario joins.
pub const CHANNEL: &str = "bench";

/// Read buffer of a subscriber: room for a burst of small messages per read.
/// Not larger: tungstenite zeroes the whole buffer before every read attempt.
const READ_BUFFER: usize = 4 * 1024;

/// How long subscribers may take to notice the end of a scenario.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);

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
}

/// The state subscribers and publishers share.
#[derive(Debug)]
pub struct Shared {
    /// Messages received, per subscriber.
    slots: Box<[Slot]>,
    /// Set at the end of a scenario: publishers stop, subscribers leave at their next message.
    pub stop: AtomicBool,
    /// Publishes sent so far, all publishers together.
    pub published: AtomicU64,
    /// Present when subscribers record latencies.
    pub clock: Option<Clock>,
}

impl Shared {
    /// Messages received by all subscribers so far.
    pub fn delivered(&self) -> u64 {
        self.slots.iter().map(|s| s.0.load(Relaxed)).sum()
    }

    /// How many subscribers there are.
    pub fn subscribers(&self) -> u64 {
        self.slots.len() as u64
    }
}

/// What one subscriber saw.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Publish-to-deliver latencies in nanoseconds (latency scenario only).
    pub samples: Vec<u32>,
    /// The server closed the connection (e.g. dropped as a slow consumer).
    pub closed: bool,
}

/// Subscribers connected and receiving.
#[derive(Debug)]
pub struct Swarm {
    /// Counters, stop flag and clock.
    pub shared: Arc<Shared>,
    /// The receive tasks.
    tasks: Vec<JoinHandle<Outcome>>,
}

impl Swarm {
    /// Connects `n` subscribers to [`CHANNEL`] (each acked) and starts their
    /// receive loops. With a `clock`, they record latencies.
    pub async fn start(url: &str, n: usize, clock: Option<Clock>) -> Result<Swarm> {
        let conns = conn::open_subscribed(url, n, READ_BUFFER, |_| CHANNEL.to_string()).await?;
        let shared = Arc::new(Shared {
            slots: (0..n).map(|_| Slot::default()).collect(),
            stop: AtomicBool::new(false),
            published: AtomicU64::new(0),
            clock,
        });
        let tasks = conns
            .into_iter()
            .enumerate()
            .map(|(i, ws)| tokio::spawn(receive(ws, shared.clone(), i)))
            .collect();
        Ok(Swarm { shared, tasks })
    }

    /// Ends the scenario: sets the stop flag and sends one more publish through
    /// `control` so every subscriber wakes and leaves. Returns what each saw;
    /// subscribers that do not leave in time are aborted and counted as lost.
    pub async fn finish(self, control: &mut Ws) -> Result<(Vec<Outcome>, usize)> {
        use futures_util::SinkExt;
        self.shared.stop.store(true, Relaxed);
        control.send(conn::publish(CHANNEL, b"stop")?).await?;
        let deadline = tokio::time::Instant::now() + FINISH_TIMEOUT;
        let mut outcomes = Vec::with_capacity(self.tasks.len());
        let mut lost = 0;
        for mut t in self.tasks {
            match tokio::time::timeout_at(deadline, &mut t).await {
                Ok(Ok(o)) => outcomes.push(o),
                Ok(Err(_)) => lost += 1,
                Err(_) => {
                    t.abort();
                    lost += 1;
                }
            }
        }
        Ok((outcomes, lost))
    }
}

/// One subscriber's receive loop: count every message; when timing, read the
/// send time from the body.
async fn receive(mut ws: Ws, shared: Arc<Shared>, index: usize) -> Outcome {
    let slot = &shared.slots[index].0;
    let mut received = 0u64;
    let mut out = Outcome::default();
    loop {
        let frame = match ws.next().await {
            Some(Ok(f)) => f,
            Some(Err(_)) | None => {
                out.closed = true;
                break;
            }
        };
        if frame.is_close() {
            out.closed = true;
            break;
        }
        let Some(bytes) = payload(&frame) else { continue };
        if shared.stop.load(Relaxed) {
            break;
        }
        received += 1;
        slot.store(received, Relaxed);
        if let Some(clock) = &shared.clock {
            if let Some(sent) = sent_at(bytes) {
                if sent >= clock.record_from.load(Relaxed) {
                    let latency = clock.now().saturating_sub(sent);
                    out.samples.push(latency.min(u32::MAX as u64) as u32);
                }
            }
        }
    }
    out
}

/// The send time a latency publish carries in its body (decimal nanoseconds).
fn sent_at(message: &[u8]) -> Option<u64> {
    let mut headers = [EMPTY_HEADER; 8];
    let msg = parse(message, &mut headers).ok()?;
    msg.body_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_send_time_from_a_published_message() {
        assert_eq!(sent_at(b"LHTTP/1.0 chat\r\npublish:bench\r\n\r\n12345"), Some(12345));
        assert_eq!(sent_at(b"LHTTP/1.0 chat\r\npublish:bench\r\n\r\nstop"), None);
        assert_eq!(sent_at(b"not lhttp"), None);
    }
}
