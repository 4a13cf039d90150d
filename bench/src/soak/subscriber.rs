//! One soak subscriber: a connection subscribed to one channel that leaves and
//! comes back on its schedule, resubscribing with `since` (spec 13.4), and
//! keeps the account of every publication it was owed and received.

use super::account::Account;
use super::schedule::Schedule;
use crate::conn::{self, payload, Ws};
use crate::Result;
use futures_util::{SinkExt, StreamExt};
use lhttp_core::{parse, Header, Message, EMPTY_HEADER};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

/// Read buffer of a subscriber (tungstenite zeroes it before each read: keep it small).
const READ_BUFFER: usize = 4 * 1024;

/// How long a subscriber may take, once publishing stopped, to receive the last
/// publication of its channel.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Attempts at one (re)connection before the subscriber gives up.
const ATTEMPTS: usize = 20;

/// Where the run is, as the subscribers see it.
#[derive(Debug, Clone)]
pub enum Phase {
    /// Connections opening: nobody leaves yet.
    Opening,
    /// Publishing since this instant; subscribers keep their reconnect schedule from it.
    Running(Instant),
    /// Publishing has stopped: the last sequence number of every channel.
    Drain(Arc<Vec<u64>>),
}

/// Shared by all subscribers: the server, the phase, and live counters for
/// the progress lines.
#[derive(Debug)]
pub struct Shared {
    /// WebSocket URL of the server.
    pub url: String,
    /// The phase of the run.
    pub phase: watch::Receiver<Phase>,
    /// Subscribers connected and subscribed right now.
    pub connected: AtomicUsize,
    /// Publications received by all subscribers so far.
    pub received: AtomicUsize,
    /// Limits the first connections' handshakes in flight.
    pub gate: Arc<Semaphore>,
}

/// Runs subscriber `index` on `channel` (number `ch`) until the drain ends;
/// returns its account.
pub async fn run(index: usize, channel: String, ch: usize, plan: Plan, shared: Arc<Shared>) -> Account {
    let mut acc = Account::new(ch);
    let mut phase = shared.phase.clone();
    let mut first = true;
    let mut drain_deadline = None;
    'life: loop {
        let gate = if first {
            Some(shared.gate.clone().acquire_owned().await)
        } else {
            None
        };
        let mut ws = match connect(&shared.url, &channel, index, &mut acc).await {
            Ok(ws) => ws,
            Err(e) => {
                acc.error(format!("subscriber {index}: {e}"));
                break 'life;
            }
        };
        drop(gate);
        first = false;
        shared.connected.fetch_add(1, Relaxed);
        // Live until the next reconnect, or until the drain says we are done.
        let outcome = loop {
            let (drained, leave_at) = match &*phase.borrow() {
                Phase::Drain(last) => (Some(acc.last() >= last[ch]), None),
                Phase::Running(start) => (None, plan.schedule(*start).next_after(Instant::now())),
                Phase::Opening => (None, None),
            };
            if drained.is_some() && drain_deadline.is_none() {
                drain_deadline = Some(Instant::now() + DRAIN_TIMEOUT);
            }
            if drained == Some(true) {
                break Outcome::Done;
            }
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(f)) => {
                        if let Some(bytes) = payload(&f) {
                            if acc.publication(bytes) {
                                shared.received.fetch_add(1, Relaxed);
                            }
                        }
                    }
                    Some(Err(e)) => break Outcome::Broken(e.to_string()),
                    None => break Outcome::Broken("the server closed the connection".into()),
                },
                _ = tokio::time::sleep_until(leave_at.unwrap_or_else(far)), if leave_at.is_some() => {
                    break Outcome::Leave;
                }
                _ = tokio::time::sleep_until(drain_deadline.unwrap_or_else(far)), if drained == Some(false) => {
                    acc.error(format!("subscriber {index}: {channel} incomplete {DRAIN_TIMEOUT:?} after the last publish"));
                    break Outcome::Done;
                }
                _ = phase.changed() => {}
            }
        };
        shared.connected.fetch_sub(1, Relaxed);
        match outcome {
            Outcome::Done => {
                close(ws, true).await;
                break 'life;
            }
            Outcome::Leave => {
                // Half leave with a close handshake, half by dropping the socket.
                close(ws, index.is_multiple_of(2)).await;
                acc.reconnects += 1;
                tokio::time::sleep(plan.away).await;
            }
            Outcome::Broken(e) => {
                // Not planned: counted, then recovered like a planned one.
                acc.error(format!("subscriber {index}: connection broke: {e}"));
                acc.reconnects += 1;
            }
        }
    }
    acc
}

/// A subscriber's reconnect plan, before the start is known.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Its index among `count`.
    pub index: usize,
    /// How many subscribers there are.
    pub count: usize,
    /// The share reconnecting every minute.
    pub share: f64,
    /// How long it stays away.
    pub away: Duration,
}

impl Plan {
    fn schedule(&self, start: Instant) -> Schedule {
        Schedule::new(self.index, self.count, self.share, start)
    }
}

enum Outcome {
    Done,
    Leave,
    Broken(String),
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

/// Opens a connection and subscribes, with `since` after the first time;
/// publications before the ack (the recovered ones) go into the account.
async fn connect(url: &str, channel: &str, index: usize, acc: &mut Account) -> Result<Ws> {
    let mut last_err = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
        }
        match try_connect(url, channel, index, acc).await {
            Ok(ws) => return Ok(ws),
            Err(e) => last_err = e.to_string(),
        }
    }
    Err(format!("no connection after {ATTEMPTS} attempts: {last_err}").into())
}

async fn try_connect(url: &str, channel: &str, index: usize, acc: &mut Account) -> Result<Ws> {
    let mut ws = conn::open(url, READ_BUFFER, 0).await?;
    let id = format!("s{index}-{}", acc.reconnects);
    let since = acc.since().map(|p| format!("{channel} {p}"));
    let mut headers = vec![
        Header {
            name: lhttp_core::names::SUBSCRIBE,
            value: channel,
        },
        Header { name: "id", value: &id },
    ];
    if let Some(s) = &since {
        headers.push(Header {
            name: "since",
            value: s,
        });
    }
    ws.send(conn::message(&headers, b"")?).await?;
    let wait = async {
        while let Some(frame) = ws.next().await {
            let frame = frame?;
            let Some(bytes) = payload(&frame) else { continue };
            if acc.publication(bytes) {
                if since.is_some() {
                    acc.recovered_publications += 1;
                }
                continue;
            }
            let mut hs = [EMPTY_HEADER; 16];
            let msg = parse(bytes, &mut hs)?;
            if msg.command == "ack" && msg.header("id") == Some(id.as_str()) {
                return ack(&msg, channel, since.is_some(), acc);
            }
            if msg.command == "error" {
                return Err(format!("subscribe refused: {}", String::from_utf8_lossy(bytes)).into());
            }
        }
        Err("connection ended before the subscribe ack".into())
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .map_err(|_| "no subscribe ack within 20 s")??;
    Ok(ws)
}

/// Reads the subscribe ack: the position on the first subscribe, whether the
/// channel was recovered on the later ones.
fn ack(msg: &Message<'_, '_>, channel: &str, resubscribe: bool, acc: &mut Account) -> Result<()> {
    let position = msg
        .headers
        .iter()
        .filter(|h| h.name == "position")
        .find_map(|h| h.value.strip_prefix(channel)?.strip_prefix(' '))
        .ok_or("the subscribe ack has no position (history off?)")?;
    let (epoch, offset) = position.split_once(':').ok_or("bad position")?;
    let offset: u64 = offset.parse()?;
    if resubscribe {
        let recovered = msg
            .headers
            .iter()
            .any(|h| h.name == "recovered" && h.value.split_whitespace().any(|c| c == channel));
        acc.resubscribed(epoch, recovered);
    } else {
        acc.subscribed(epoch, offset);
    }
    Ok(())
}

/// Ends a connection: a close handshake (bounded), or just dropping the socket.
async fn close(mut ws: Ws, handshake: bool) {
    if handshake {
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            let _ = ws.close(None).await;
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    }
}
