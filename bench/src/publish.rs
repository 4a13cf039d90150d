//! The publishers: flat out under flow control, or at a fixed rate. Flat out
//! keeps at most `window` publishes ahead of what the subscribers received on
//! average, so the measurement is the server's fan-out rate and not how fast
//! its queues fill up until it drops consumers.

use crate::conn::{self, Ws};
use crate::swarm::{room, Shared, CHANNEL};
use crate::Result;
use futures_util::SinkExt;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as Frame;

/// Publishes written before one flush when flat out.
const BATCH: u64 = 32;

/// How long a flat-out publisher waits when it is a full window ahead.
const BACKOFF: Duration = Duration::from_millis(1);

/// Write buffer of a publisher: a batch of publishes goes out in one write.
const WRITE_BUFFER: usize = 32 * 1024;

/// How a publisher paces itself.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// As fast as the subscribers receive, at most `window` publishes ahead.
    FlatOut {
        /// Most publishes ahead of the subscribers' average.
        window: u64,
    },
    /// A fixed number of publishes per second, this publisher alone.
    Rate(f64),
}

/// What a publisher sends.
#[derive(Debug, Clone)]
pub enum Body {
    /// The same body every time (`size` bytes).
    Fixed(Frame),
    /// The send time from the shared clock, for latency.
    SendTime,
}

impl Body {
    /// A fixed body of `size` bytes.
    pub fn fixed(size: usize) -> Result<Body> {
        Ok(Body::Fixed(conn::publish(CHANNEL, &vec![b'x'; size])?))
    }
}

/// Opens `m` publisher connections and starts them; each returns its
/// connection when the scenario stops.
pub async fn start(
    url: &str,
    m: usize,
    pace: Pace,
    body: Body,
    shared: &Arc<Shared>,
) -> Result<Vec<JoinHandle<Result<Ws>>>> {
    let mut conns = Vec::with_capacity(m);
    for _ in 0..m {
        conns.push(conn::open(url, 4096, WRITE_BUFFER).await?);
    }
    Ok(conns
        .into_iter()
        .enumerate()
        .map(|(j, ws)| {
            let (shared, body) = (shared.clone(), body.clone());
            tokio::spawn(async move {
                match pace {
                    Pace::FlatOut { window } => flat_out(ws, body, window, shared).await,
                    Pace::Rate(rate) => paced(ws, body, rate, shared, (j, m)).await,
                }
            })
        })
        .collect())
}

/// Stops nothing itself: waits for the publishers (stopped by the shared
/// flag) and returns their connections.
pub async fn join(tasks: Vec<JoinHandle<Result<Ws>>>) -> Result<Vec<Ws>> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// The publish to send: a fixed body goes to the one room; a send time to `channel`.
fn frame(body: &Body, shared: &Shared, channel: &str) -> Result<Frame> {
    match body {
        Body::Fixed(f) => Ok(f.clone()),
        Body::SendTime => {
            let now = shared.clock.as_ref().map_or(0, |c| c.now());
            conn::publish(channel, now.to_string().as_bytes())
        }
    }
}

async fn flat_out(mut ws: Ws, body: Body, window: u64, shared: Arc<Shared>) -> Result<Ws> {
    let n = shared.subscribers();
    while !shared.stop.load(Relaxed) {
        let ahead = shared.published.load(Relaxed).saturating_sub(shared.delivered() / n);
        let allowed = window.saturating_sub(ahead).min(BATCH);
        if allowed == 0 {
            tokio::time::sleep(BACKOFF).await;
            continue;
        }
        shared.published.fetch_add(allowed, Relaxed);
        for _ in 0..allowed {
            ws.feed(frame(&body, &shared, CHANNEL)?).await?;
        }
        ws.flush().await?;
    }
    Ok(ws)
}

/// Publishes at `rate`; publisher `j` of `m` takes rooms `j`, `j + m`, ... in turn.
async fn paced(mut ws: Ws, body: Body, rate: f64, shared: Arc<Shared>, (j, m): (usize, usize)) -> Result<Ws> {
    let mut tick = tokio::time::interval_at(Instant::now(), Duration::from_secs_f64(1.0 / rate));
    // Behind schedule (a busy core): catch up, so the average rate holds.
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    for k in 0usize.. {
        tick.tick().await;
        if shared.stop.load(Relaxed) {
            break;
        }
        shared.published.fetch_add(1, Relaxed);
        let channel = room((k * m + j) % shared.rooms, shared.rooms);
        ws.send(frame(&body, &shared, &channel)?).await?;
    }
    Ok(ws)
}
