//! The machine's own floor for the latency scenarios: the same load (same
//! connections, rooms and publish rate) carried by plain TCP on 127.0.0.1
//! with no WebSocket, no LHTTP and no async runtime. One thread writes a
//! 16-byte message to every socket of a room, as a server's fan-out must;
//! the same epoll reader as the servers' ([`reader`](crate::reader)) reads
//! them. What it measures is what the kernel's loopback TCP costs here, and
//! how often this machine stalls a thread: no server can do better.

use crate::contention::Contention;
use crate::reader::{self, Framing, PLAIN_MESSAGE};
use crate::scenario::{summarize, Latency, Shape};
use crate::swarm::Clock;
use crate::{proc, Result};
use mio::net::TcpStream as MioStream;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs the floor for `shape`: `warmup` seconds unrecorded, then `duration`.
/// Blocking: call it from a blocking thread.
pub fn run(shape: &Shape, warmup: f64, duration: f64) -> Result<Latency> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut senders = Vec::with_capacity(shape.subscribers);
    let mut receivers = Vec::with_capacity(shape.subscribers);
    for _ in 0..shape.subscribers {
        let client = TcpStream::connect(addr)?;
        let (server, _) = listener.accept()?;
        server.set_nodelay(true)?;
        client.set_nonblocking(true)?;
        senders.push(server);
        receivers.push(MioStream::from_std(client));
    }
    let clock = Arc::new(Clock::new());
    let (received, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let reader = {
        let (clock, received, done) = (clock.clone(), received.clone(), done.clone());
        std::thread::spawn(move || reader::read_all(receivers, Framing::Plain, &clock, &received, &done))
    };
    let rooms = shape.rooms.max(1);
    let period = Duration::from_secs_f64(1.0 / shape.rate);
    let start = Instant::now();
    let (warm, end) = (
        start + Duration::from_secs_f64(warmup),
        start + Duration::from_secs_f64(warmup + duration),
    );
    let (mut recording, mut counted, mut cpu_from) = (false, (0, start), 0.0);
    let mut contention = None;
    let mut k = 0u32;
    let written = loop {
        let due = start + period * k;
        if due >= end {
            break Ok(());
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if !recording && due >= warm {
            clock.record_from_now();
            recording = true;
            counted = (received.load(Relaxed), Instant::now());
            cpu_from = proc::thread_cpu_seconds();
            contention = Some(Contention::start(None));
        }
        let room = k as usize % rooms;
        let mut msg = [0u8; PLAIN_MESSAGE];
        msg[..8].copy_from_slice(&clock.now().to_le_bytes());
        let sent = senders
            .iter_mut()
            .skip(room)
            .step_by(rooms)
            .try_for_each(|s| s.write_all(&msg));
        if let Err(e) = sent {
            break Err(e);
        }
        k += 1;
    };
    let delivered = received.load(Relaxed) - counted.0;
    let per_sec = delivered as f64 / counted.1.elapsed().as_secs_f64();
    let writer_cpu = proc::thread_cpu_seconds() - cpu_from;
    let contended = contention.map(|c| c.finish(None)).unwrap_or_default();
    done.store(true, Relaxed);
    let mut reading = reader.join().map_err(|_| "the floor's reader panicked")??;
    written?;
    let mut latency = summarize(&mut reading.samples, per_sec, 0)?;
    // The writer thread stands for the server: its CPU per delivery.
    latency.server_us_per_delivery = Some(writer_cpu * 1e6 / delivered.max(1) as f64);
    latency.reader_us_per_delivery = Some(reading.cpu_us_per_message);
    (latency.server_wait_pct, latency.steal_pct) = contended;
    Ok(latency)
}
