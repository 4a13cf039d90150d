//! The measurements, each against a freshly started server: fan-out flat
//! out, fan-out at a fixed publish rate, publish-to-deliver latency (spread
//! over rooms, and as one room's bursts), and memory per idle connection.

use crate::args::Args;
use crate::contention::Contention;
use crate::publish::{self, Body, Pace};
use crate::server::{Running, ServerUnderTest};
use crate::swarm::{Clock, Swarm};
use crate::{conn, proc, Result};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// How long a server gets to settle before and after connections open, for RSS.
const SETTLE: Duration = Duration::from_millis(1000);

/// Fan-out throughput.
#[derive(Debug, Clone)]
pub struct Fanout {
    /// Messages received by all subscribers per second.
    pub delivered_per_sec: f64,
    /// Publishes sent per second times subscribers: what the server was asked to deliver.
    pub offered_per_sec: f64,
    /// Server CPU while measuring, in percent of one core (when its pid is known).
    pub server_cpu: Option<f64>,
    /// The load generator's own CPU while measuring, in percent of one core.
    pub generator_cpu: Option<f64>,
    /// Subscribers the server closed (slow consumers) or that never finished.
    pub lost: usize,
}

/// Publish-to-deliver latency.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Median, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: f64,
    /// Largest, in milliseconds.
    pub max_ms: f64,
    /// Deliveries measured.
    pub samples: usize,
    /// Messages received by all subscribers per second.
    pub delivered_per_sec: f64,
    /// Subscribers the server closed or that never finished.
    pub lost: usize,
    /// Server CPU time per delivery while measuring, in microseconds (when its pid is known).
    pub server_us_per_delivery: Option<f64>,
    /// The load generator's reader thread CPU per delivery, in microseconds.
    pub reader_us_per_delivery: Option<f64>,
    /// The p99 of every round, in the order they ran (see [`median`]).
    pub round_p99s: Vec<f64>,
    /// The server's threads waiting for a CPU while measuring, summed over
    /// them, in percent of the time (the floor: its writer thread).
    pub server_wait_pct: Option<f64>,
    /// The machine's CPU time the hypervisor took for other guests while
    /// measuring, in percent.
    pub steal_pct: Option<f64>,
}

/// The load of a latency measurement: `subscribers` connections split evenly
/// over `rooms` channels, and `rate` publishes/s taking the rooms in turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Subscriber connections.
    pub subscribers: usize,
    /// Channels they are split over (subscriber `i` joins room `i % rooms`).
    pub rooms: usize,
    /// Publishes per second, all publishers together.
    pub rate: f64,
}

impl std::str::FromStr for Shape {
    type Err = String;

    /// `SUBSCRIBERSxROOMS@RATE`, e.g. `1000x10@1000`.
    fn from_str(s: &str) -> Result<Shape, String> {
        let bad = || format!("{s:?}: expected SUBSCRIBERSxROOMS@PUBLISHES_PER_SECOND, e.g. 1000x10@1000");
        let (counts, rate) = s.split_once('@').ok_or_else(bad)?;
        let (subscribers, rooms) = counts.split_once('x').ok_or_else(bad)?;
        let shape = Shape {
            subscribers: subscribers.trim().parse().map_err(|_| bad())?,
            rooms: rooms.trim().parse().map_err(|_| bad())?,
            rate: rate.trim().parse().map_err(|_| bad())?,
        };
        let rate_ok = shape.rate.is_finite() && shape.rate > 0.0;
        if shape.rooms == 0 || shape.rooms > shape.subscribers || !rate_ok {
            return Err(format!("{s:?}: needs 1 <= rooms <= subscribers and a positive rate"));
        }
        Ok(shape)
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per_room = self.subscribers / self.rooms.max(1);
        match self.rooms {
            1 => write!(f, "1 room of {per_room}"),
            n => write!(f, "{n} rooms of {per_room}"),
        }?;
        write!(f, " at {} publishes/s", self.rate)
    }
}

impl Shape {
    /// Deliveries per second this load asks for.
    pub fn deliveries(&self) -> f64 {
        self.rate * self.subscribers as f64 / self.rooms.max(1) as f64
    }
}

/// Server memory with `connections` idle subscribed clients.
#[derive(Debug, Clone, Copy)]
pub struct IdleMemory {
    /// Idle connections open.
    pub connections: usize,
    /// Server RSS before any connection, in bytes.
    pub rss_before: u64,
    /// Server RSS with the connections open, in bytes.
    pub rss_after: u64,
}

impl IdleMemory {
    /// RSS growth per connection, in bytes.
    pub fn per_connection(&self) -> f64 {
        self.rss_after.saturating_sub(self.rss_before) as f64 / self.connections as f64
    }
}

/// Fan-out from `args.publishers` publishers to `args.subscribers` subscribers,
/// flat out or at `args.rate` publishes/s in total.
pub async fn fanout(server: &ServerUnderTest, args: &Args, flat_out: bool) -> Result<Fanout> {
    let running = server.start().await?;
    let result = fanout_on(&running, args, flat_out).await;
    running.stop().await;
    result
}

async fn fanout_on(server: &Running, args: &Args, flat_out: bool) -> Result<Fanout> {
    let (fanout, _) = fanout_across(&[&server.url], &server.url, &[server.pid], args, flat_out).await?;
    Ok(fanout)
}

/// The fan-out with the subscribers spread over `sub_urls` (the nodes of a
/// cluster; see [`Swarm::start_across`]) and the publishers on `pub_url`. Also
/// returns the CPU of each of `pids` over the measured seconds, in percent of
/// one core; the fan-out's `server_cpu` is their sum. With several nodes, a
/// probe first reaches every subscriber, so nothing measured is lost to a
/// route not yet made.
pub async fn fanout_across(
    sub_urls: &[&str],
    pub_url: &str,
    pids: &[Option<u32>],
    args: &Args,
    flat_out: bool,
) -> Result<(Fanout, Vec<Option<f64>>)> {
    let swarm = Swarm::start_across(sub_urls, args.subscribers, 1, None).await?;
    if sub_urls.len() > 1 {
        swarm.probe(pub_url).await?;
    }
    let pace = if flat_out {
        Pace::FlatOut { window: args.window }
    } else {
        Pace::Rate(args.rate / args.publishers as f64)
    };
    let pubs = publish::start(
        pub_url,
        args.publishers,
        pace,
        Body::fixed(args.body_size)?,
        &swarm.shared,
    )
    .await?;
    let shared = swarm.shared.clone();
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let me = std::process::id();
    let cpus = || {
        pids.iter()
            .map(|p| p.and_then(|p| proc::cpu_seconds(p).ok()))
            .collect::<Vec<_>>()
    };
    let (g0, c0) = (proc::cpu_seconds(me).ok(), cpus());
    let (d0, p0, t0) = (shared.delivered(), shared.published.load(Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    let (d1, p1, t1) = (shared.delivered(), shared.published.load(Relaxed), Instant::now());
    let (g1, c1) = (proc::cpu_seconds(me).ok(), cpus());
    shared.stop.store(true, Relaxed);
    let mut pub_conns = publish::join(pubs).await?;
    let finished = swarm.finish(&mut pub_conns[0]).await?;
    let secs = (t1 - t0).as_secs_f64();
    let percent = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| (b - a) / secs * 100.0);
    let per_pid: Vec<Option<f64>> = c0.into_iter().zip(c1).map(|(a, b)| percent(a, b)).collect();
    let fanout = Fanout {
        delivered_per_sec: (d1 - d0) as f64 / secs,
        offered_per_sec: (p1 - p0) as f64 * shared.subscribers() as f64 / secs,
        server_cpu: per_pid.iter().copied().sum(),
        generator_cpu: percent(g0, g1),
        lost: finished.lost,
    };
    Ok((fanout, per_pid))
}

/// Latency of publishes at `shape.rate` per second to `shape.subscribers`
/// subscribers split over `shape.rooms` rooms.
pub async fn latency(server: &ServerUnderTest, args: &Args, shape: Shape) -> Result<Latency> {
    let running = server.start().await?;
    let result = latency_on(&running, args, shape).await;
    running.stop().await;
    result
}

async fn latency_on(server: &Running, args: &Args, shape: Shape) -> Result<Latency> {
    let swarm = Swarm::start(&server.url, shape.subscribers, shape.rooms, Some(Clock::new())).await?;
    let pace = Pace::Rate(shape.rate / args.publishers as f64);
    let pubs = publish::start(&server.url, args.publishers, pace, Body::SendTime, &swarm.shared).await?;
    let shared = swarm.shared.clone();
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    if let Some(clock) = &shared.clock {
        clock.record_from_now();
    }
    let (d0, t0, c0) = (shared.delivered(), Instant::now(), cpu(server));
    let contention = Contention::start(server.pid);
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    let (d1, t1, c1) = (shared.delivered(), Instant::now(), cpu(server));
    shared.stop.store(true, Relaxed);
    let mut pub_conns = publish::join(pubs).await?;
    let mut finished = swarm.finish(&mut pub_conns[0]).await?;
    let mut latency = summarize(
        &mut finished.samples,
        (d1 - d0) as f64 / (t1 - t0).as_secs_f64(),
        finished.lost,
    )?;
    latency.server_us_per_delivery = c0.zip(c1).map(|(a, b)| (b - a) * 1e6 / (d1 - d0).max(1) as f64);
    latency.reader_us_per_delivery = finished.reader_us_per_delivery;
    if server.pid.is_some() {
        (latency.server_wait_pct, latency.steal_pct) = contention.finish(server.pid);
    }
    Ok(latency)
}

/// The round with the median p99 (the first error if any round failed), with
/// every round's p99 noted in it.
pub fn median(rounds: Vec<Result<Latency>>) -> Result<Latency> {
    let mut ok = Vec::with_capacity(rounds.len());
    for r in rounds {
        ok.push(r?);
    }
    let p99s: Vec<f64> = ok.iter().map(|l| l.p99_ms).collect();
    ok.sort_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms));
    let mut mid = ok.into_iter().nth(p99s.len() / 2).ok_or("no rounds")?;
    mid.round_p99s = p99s;
    Ok(mid)
}

/// Percentiles of latency `samples` (nanoseconds; sorted here).
pub fn summarize(samples: &mut [u32], delivered_per_sec: f64, lost: usize) -> Result<Latency> {
    if samples.is_empty() {
        return Err("no latency samples: no publish reached a subscriber".into());
    }
    samples.sort_unstable();
    let ms = |ns: u32| ns as f64 / 1e6;
    Ok(Latency {
        p50_ms: ms(percentile(samples, 50.0)),
        p99_ms: ms(percentile(samples, 99.0)),
        max_ms: ms(samples[samples.len() - 1]),
        samples: samples.len(),
        delivered_per_sec,
        lost,
        server_us_per_delivery: None,
        reader_us_per_delivery: None,
        round_p99s: Vec::new(),
        server_wait_pct: None,
        steal_pct: None,
    })
}

/// Server RSS growth per idle subscribed connection, at each of `args.idle`
/// connection counts (cumulative, one fresh server).
pub async fn memory(server: &ServerUnderTest, args: &Args) -> Result<Vec<IdleMemory>> {
    let running = server.start().await?;
    let result = memory_on(&running, args).await;
    running.stop().await;
    result
}

async fn memory_on(server: &Running, args: &Args) -> Result<Vec<IdleMemory>> {
    let pid = server.pid.ok_or("the memory scenario needs the server's pid (--pid)")?;
    // Warm the server's code paths with one connection first, so its one-time
    // allocations are not charged to the measured connections.
    let mut warm = conn::open(&server.url, 4096, 0).await?;
    conn::subscribe(&mut warm, "warm-up", "0").await?;
    tokio::time::sleep(SETTLE).await;
    let rss_before = proc::rss_bytes(pid)?;
    let mut open = Vec::new();
    let mut out = Vec::new();
    for &count in &args.idle {
        let more = count - open.len();
        let first = open.len();
        // A realistic idle chat client: subscribed to one of 100 rooms.
        let conns = conn::open_subscribed(&server.url, more, 4096, |i| format!("room-{}", (first + i) % 100)).await?;
        open.extend(conns);
        tokio::time::sleep(SETTLE).await;
        out.push(IdleMemory {
            connections: count,
            rss_before,
            rss_after: proc::rss_bytes(pid)?,
        });
    }
    drop(warm);
    Ok(out)
}

/// The `p`th percentile of sorted `samples` (nearest rank).
fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn cpu(server: &Running) -> Option<f64> {
    server.pid.and_then(|p| proc::cpu_seconds(p).ok())
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn loads_parse_and_refuse_nonsense() {
        let s: super::Shape = "1000x10@1000".parse().unwrap();
        assert_eq!((s.subscribers, s.rooms, s.rate), (1000, 10, 1000.0));
        assert_eq!(s.deliveries(), 100_000.0);
        for bad in ["1000x10", "x1@5", "10x0@5", "10x11@5", "10x1@0", "10x1@-3"] {
            assert!(bad.parse::<super::Shape>().is_err(), "{bad}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
    }
}
