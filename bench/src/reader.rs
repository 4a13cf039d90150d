//! The receiving side of the latency measurements: one thread reads every
//! subscriber socket through epoll (mio) and records publish-to-deliver
//! latencies. The servers and the plain-TCP floor are read by this same loop,
//! so the floor differs from a server only in what writes the messages, and
//! the generator's own cost stays small on a machine it shares with the server.

use crate::swarm::Clock;
use crate::{proc, Result};
use lhttp_core::{parse, EMPTY_HEADER};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How the messages on the sockets are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The floor's 16-byte messages: the send time (little-endian nanoseconds), then padding.
    Plain,
    /// Server WebSocket frames carrying LHTTP publishes whose body is the send
    /// time in decimal nanoseconds (or `stop`). Pings are answered.
    WebSocket,
}

/// Bytes of one [`Framing::Plain`] message.
pub const PLAIN_MESSAGE: usize = 16;

/// How long the reader goes on after `done` while messages still arrive.
const QUIET: Duration = Duration::from_millis(200);

/// The longest the reader waits for every socket's `stop` after `done`.
const FINISH: Duration = Duration::from_secs(10);

/// What the reader saw.
#[derive(Debug, Default)]
pub struct Reading {
    /// Latencies, in nanoseconds, of messages sent after the clock's warm-up.
    pub samples: Vec<u32>,
    /// Sockets the server closed (e.g. as slow consumers).
    pub closed: usize,
    /// Sockets that never saw the `stop` message.
    pub unfinished: usize,
    /// This thread's CPU time per recorded message, in microseconds: what
    /// reading costs the generator.
    pub cpu_us_per_message: f64,
}

/// Reads `sockets` until `done` is set and then every socket has seen `stop`
/// (WebSocket), or nothing arrived for a moment (plain). Counts every
/// message in `received`, for the scenarios' delivered/s.
pub fn read_all(
    mut sockets: Vec<TcpStream>,
    framing: Framing,
    clock: &Clock,
    received: &AtomicU64,
    done: &AtomicBool,
) -> Result<Reading> {
    let mut poll = Poll::new()?;
    for (i, s) in sockets.iter_mut().enumerate() {
        poll.registry().register(s, Token(i), Interest::READABLE)?;
    }
    let n = sockets.len();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    // Bytes of an incomplete message, per socket.
    let mut pending: Vec<Vec<u8>> = vec![Vec::new(); n];
    let mut finished = vec![false; n];
    let (mut stopped, mut out) = (0, Reading::default());
    let mut last_message = Instant::now();
    let mut done_at: Option<Instant> = None;
    // This thread's CPU time when recording began, and when `done` was set.
    let (mut cpu_from, mut cpu_to) = (None, None);
    loop {
        poll.poll(&mut events, Some(Duration::from_millis(20)))?;
        if cpu_from.is_none() && clock.record_from() != u64::MAX {
            cpu_from = Some(proc::thread_cpu_seconds());
        }
        if done.load(Relaxed) {
            cpu_to.get_or_insert_with(proc::thread_cpu_seconds);
            let since = *done_at.get_or_insert_with(Instant::now);
            let all_stopped = framing == Framing::WebSocket && stopped + out.closed == n;
            let quiet = framing == Framing::Plain && last_message.elapsed() >= QUIET;
            if all_stopped || quiet || since.elapsed() >= FINISH {
                break;
            }
        }
        for event in events.iter() {
            let i = event.token().0;
            if finished[i] {
                continue;
            }
            loop {
                let read = match sockets[i].read(&mut buf) {
                    Ok(0) => Err(()),
                    Ok(k) => Ok(k),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => Err(()),
                };
                let Ok(k) = read else {
                    finished[i] = true;
                    out.closed += 1;
                    break;
                };
                last_message = Instant::now();
                let now = clock.now();
                let record_from = clock.record_from();
                let data: &[u8] = if pending[i].is_empty() {
                    &buf[..k]
                } else {
                    pending[i].extend_from_slice(&buf[..k]);
                    &pending[i]
                };
                let mut seen = Seen::default();
                let used = match framing {
                    Framing::Plain => plain(data, &mut seen),
                    Framing::WebSocket => websocket(data, &mut seen),
                };
                let rest = data[used..].to_vec();
                pending[i] = rest;
                received.fetch_add(seen.sent.len() as u64 + seen.stops, Relaxed);
                let recorded = seen.sent.iter().filter(|&&t| t >= record_from);
                out.samples
                    .extend(recorded.map(|&t| now.saturating_sub(t).min(u32::MAX as u64) as u32));
                if seen.pings > 0 {
                    // A client's frames are masked: an empty pong with a zero mask.
                    let pong = [0x8a, 0x80, 0, 0, 0, 0];
                    (0..seen.pings).for_each(|_| drop(sockets[i].write_all(&pong)));
                }
                if seen.stops > 0 || seen.closed {
                    finished[i] = true;
                    if seen.closed {
                        out.closed += 1;
                    } else {
                        stopped += 1;
                    }
                    break;
                }
                if k < buf.len() {
                    break;
                }
            }
        }
    }
    out.unfinished = n - stopped - out.closed;
    if let (Some(from), Some(to)) = (cpu_from, cpu_to) {
        out.cpu_us_per_message = (to - from) * 1e6 / out.samples.len().max(1) as f64;
    }
    Ok(out)
}

/// What one read carried.
#[derive(Debug, Default)]
struct Seen {
    /// Send times of the timed messages.
    sent: Vec<u64>,
    /// `stop` messages.
    stops: u64,
    /// Pings to answer.
    pings: usize,
    /// The server sent a close frame.
    closed: bool,
}

/// Takes the whole plain messages at the start of `data`; returns the bytes used.
fn plain(data: &[u8], seen: &mut Seen) -> usize {
    let whole = data.len() - data.len() % PLAIN_MESSAGE;
    for msg in data[..whole].chunks_exact(PLAIN_MESSAGE) {
        let mut t = [0u8; 8];
        t.copy_from_slice(&msg[..8]);
        seen.sent.push(u64::from_le_bytes(t));
    }
    whole
}

/// Takes the whole WebSocket frames at the start of `data`; returns the bytes used.
fn websocket(data: &[u8], seen: &mut Seen) -> usize {
    let mut at = 0;
    while let Some((opcode, payload, len)) = frame(&data[at..]) {
        match opcode {
            0x1 | 0x2 => match sent_at(payload) {
                Some(t) => seen.sent.push(t),
                None => seen.stops += 1,
            },
            0x8 => seen.closed = true,
            0x9 => seen.pings += 1,
            _ => {}
        }
        at += len;
    }
    at
}

/// One unmasked server frame at the start of `data`: (opcode, payload, whole length).
fn frame(data: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&b0, &b1) = (data.first()?, data.get(1)?);
    let (len, start): (usize, usize) = match b1 & 0x7f {
        126 => (u16::from_be_bytes([*data.get(2)?, *data.get(3)?]) as usize, 4),
        127 => {
            let bytes: [u8; 8] = data.get(2..10)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(bytes)).ok()?, 10)
        }
        n => (n as usize, 2),
    };
    let payload = data.get(start..start.checked_add(len)?)?;
    Some((b0 & 0x0f, payload, start + len))
}

/// The send time a latency publish carries in its body (decimal nanoseconds).
pub fn sent_at(message: &[u8]) -> Option<u64> {
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

    #[test]
    fn websocket_frames_split_anywhere_are_taken_whole() {
        let body = b"LHTTP/1.0 chat\r\npublish:bench\r\n\r\n42";
        let mut wire = vec![0x81, body.len() as u8];
        wire.extend_from_slice(body);
        wire.extend_from_slice(&[0x89, 0]); // ping
        wire.extend_from_slice(&[0x81, 126, 0, body.len() as u8]);
        wire.extend_from_slice(body);
        for cut in 0..wire.len() {
            let mut seen = Seen::default();
            let used = websocket(&wire[..cut], &mut seen);
            let used = used + websocket(&wire[used..], &mut seen);
            assert_eq!(used, wire.len());
            assert_eq!((seen.sent.as_slice(), seen.pings), (&[42, 42][..], 1), "cut at {cut}");
        }
    }

    #[test]
    fn plain_messages_keep_their_remainder() {
        let mut wire = 7u64.to_le_bytes().to_vec();
        wire.extend_from_slice(&[0; 8]);
        wire.extend_from_slice(&[1, 2, 3]);
        let mut seen = Seen::default();
        assert_eq!(plain(&wire, &mut seen), 16);
        assert_eq!(seen.sent, [7]);
    }
}
