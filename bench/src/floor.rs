//! The machine's own floor for the latency scenarios: the same load (same
//! connections, rooms and publish rate) carried by plain TCP on 127.0.0.1
//! with no WebSocket, no LHTTP and no async runtime, so a server's figures
//! read against what the kernel alone costs here.
//!
//! Two references: [`Writers::PerCore`] (the bound) has one writer thread
//! per core with the sockets split between them, as a server using every
//! core would; [`Writers::One`] is one thread writing every socket in turn,
//! as the earlier floor did. A publish reaches the writers as it reaches a
//! server: a publisher thread stamps it and sends it over TCP, to each writer
//! (a server's one publishing connection would have to hand it on between its
//! threads, which the floor spares itself). Each writer reads it and writes it
//! to each of its sockets of the room with blocking writes, as a server's
//! fan-out must; the same epoll reader as the servers'
//! ([`reader`](crate::reader)) reads them.

use crate::contention::Contention;
use crate::reader::{self, Framing, PLAIN_MESSAGE};
use crate::scenario::{summarize, Latency, Shape};
use crate::swarm::Clock;
use crate::{proc, Result};
use mio::net::TcpStream as MioStream;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many threads write the floor's sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// One writer per core (`available_parallelism`), the sockets split between them.
    PerCore,
    /// One writer for every socket.
    One,
}

impl Writers {
    /// The table's column title.
    pub fn name(self) -> &'static str {
        match self {
            Writers::PerCore => "plain TCP floor",
            Writers::One => "plain TCP, 1 writer",
        }
    }

    fn count(self) -> usize {
        match self {
            Writers::PerCore => std::thread::available_parallelism().map_or(1, |n| n.get()),
            Writers::One => 1,
        }
    }
}

/// What one writer thread measured over the recorded window.
struct Written {
    cpu_seconds: f64,
    wait_pct: Option<f64>,
    steal_pct: Option<f64>,
}

/// Runs the floor for `shape` with `writers`: `warmup` seconds unrecorded, then
/// `duration`. Blocking: call it from a blocking thread.
pub fn run(shape: &Shape, warmup: f64, duration: f64, writers: Writers) -> Result<Latency> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let threads = writers.count().min(shape.subscribers.max(1));
    let rooms = shape.rooms.max(1);
    // Socket j is in room j % rooms; the i-th socket of each room (i = j / rooms)
    // goes to writer i % threads, so every room is split over every writer.
    let mut shares: Vec<Vec<(usize, TcpStream)>> = (0..threads).map(|_| Vec::new()).collect();
    let mut receivers = Vec::with_capacity(shape.subscribers);
    for j in 0..shape.subscribers {
        let client = TcpStream::connect(addr)?;
        let (server, _) = listener.accept()?;
        server.set_nodelay(true)?;
        client.set_nonblocking(true)?;
        shares[(j / rooms) % threads].push((j % rooms, server));
        receivers.push(MioStream::from_std(client));
    }
    let clock = Arc::new(Clock::new());
    let (received, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let reader = {
        let (clock, received, done) = (clock.clone(), received.clone(), done.clone());
        std::thread::spawn(move || reader::read_all(receivers, Framing::Plain, &clock, &received, &done))
    };
    let period = Duration::from_secs_f64(1.0 / shape.rate);
    let start = Instant::now();
    let (warm, end) = (
        start + Duration::from_secs_f64(warmup),
        start + Duration::from_secs_f64(warmup + duration),
    );
    // Each writer's publishing connection: the publisher writes, the writer reads.
    let mut inbound = Vec::with_capacity(shares.len());
    let mut published = Vec::with_capacity(shares.len());
    for _ in 0..shares.len() {
        let publisher = TcpStream::connect(addr)?;
        let (writer_side, _) = listener.accept()?;
        publisher.set_nodelay(true)?;
        published.push(publisher);
        inbound.push(writer_side);
    }
    let handles: Vec<_> = shares
        .into_iter()
        .zip(inbound)
        .map(|(sockets, inbound)| std::thread::spawn(move || write_share(sockets, inbound, rooms, start, period, warm)))
        .collect();
    let publisher = {
        let clock = clock.clone();
        std::thread::spawn(move || publish(published, &clock, start, period, end))
    };
    // The coordinator starts the recording at the warm-up's end; the writers
    // start their CPU clocks at the same due time.
    std::thread::sleep(warm.saturating_duration_since(Instant::now()));
    clock.record_from_now();
    let counted = (received.load(Relaxed), Instant::now());
    publisher.join().map_err(|_| "the floor's publisher panicked")??;
    let results: Vec<Result<Written>> = handles
        .into_iter()
        .map(|h| h.join().map_err(|_| "a floor writer panicked".into()).and_then(|r| r))
        .collect();
    let delivered = received.load(Relaxed) - counted.0;
    let per_sec = delivered as f64 / counted.1.elapsed().as_secs_f64();
    done.store(true, Relaxed);
    let mut reading = reader.join().map_err(|_| "the floor's reader panicked")??;
    let written = results.into_iter().collect::<Result<Vec<Written>>>()?;
    let mut latency = summarize(&mut reading.samples, per_sec, 0)?;
    // The writer threads stand for the server: their CPU per delivery, together.
    let cpu: f64 = written.iter().map(|w| w.cpu_seconds).sum();
    latency.server_us_per_delivery = Some(cpu * 1e6 / delivered.max(1) as f64);
    latency.reader_us_per_delivery = Some(reading.cpu_us_per_message);
    latency.server_wait_pct = written.iter().map(|w| w.wait_pct).sum();
    latency.steal_pct = written.first().and_then(|w| w.steal_pct);
    Ok(latency)
}

/// The publisher: at each publish's due time, the stamped message to every
/// writer; the connections close at `end`, which ends the writers.
fn publish(mut writers: Vec<TcpStream>, clock: &Clock, start: Instant, period: Duration, end: Instant) -> Result<()> {
    let mut k = 0u32;
    loop {
        let due = start + period * k;
        if due >= end {
            return Ok(());
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut msg = [0u8; PLAIN_MESSAGE];
        msg[..8].copy_from_slice(&clock.now().to_le_bytes());
        for w in &mut writers {
            w.write_all(&msg)?;
        }
        k += 1;
    }
}

/// One writer's loop: each publish read from `inbound`, then written to each
/// of its sockets in that publish's room, until the publisher closes. Measures
/// its own CPU and run-queue wait from the first publish due at `warm` on.
fn write_share(
    mut sockets: Vec<(usize, TcpStream)>,
    mut inbound: TcpStream,
    rooms: usize,
    start: Instant,
    period: Duration,
    warm: Instant,
) -> Result<Written> {
    let (mut cpu_from, mut contention) = (None, None);
    let mut k = 0u32;
    let mut msg = [0u8; PLAIN_MESSAGE];
    loop {
        match inbound.read_exact(&mut msg) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.into()),
        }
        if cpu_from.is_none() && start + period * k >= warm {
            cpu_from = Some(proc::thread_cpu_seconds());
            contention = Some(Contention::start(None));
        }
        let room = k as usize % rooms;
        for (_, s) in sockets.iter_mut().filter(|(r, _)| *r == room) {
            s.write_all(&msg)?;
        }
        k += 1;
    }
    let cpu_seconds = cpu_from.map_or(0.0, |from| proc::thread_cpu_seconds() - from);
    let (wait_pct, steal_pct) = contention.map(|c| c.finish(None)).unwrap_or_default();
    Ok(Written {
        cpu_seconds,
        wait_pct,
        steal_pct,
    })
}
