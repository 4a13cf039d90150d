//! The fuzz targets' way into the request pipeline (`fuzz/`, target `pipeline`):
//! a server built by [`Server::build`] exactly as `lhttpd` builds it, whose
//! connections are registered and fed messages through the same `Pipeline`
//! their tasks use, with no socket, listener or task of its own; what each
//! connection's task would write is read back from its outbox. A real
//! connection costs a TCP handshake and two tasks per input, a thousand times
//! what a message costs, and the network adds nothing the pipeline decides.
//! Behind the `fuzzing` feature and hidden from the docs: not an API.

use crate::conn::Conn;
use crate::context::Handshake;
use crate::frame::Frame;
use crate::handle::Handle;
use crate::pipeline::Pipeline;
use crate::{Config, Server};
use std::io;
use std::sync::Arc;

/// One server and its connections, driven by hand.
pub struct Harness {
    /// Where the pipeline's few spawned tasks would run (none are polled: a
    /// harness with upstream calls or a shared history store would need them).
    runtime: tokio::runtime::Runtime,
    handle: Handle,
    pipeline: Pipeline,
    /// Open connections by the harness's index; `None` once closed.
    conns: Vec<Option<Arc<Conn>>>,
}

/// What a connection's task would write next: every queued frame, decoded,
/// then the close it was asked for.
#[derive(Debug, Default)]
pub struct Written {
    /// Each frame's opcode (1 text, 2 binary, 8 close, 9 ping) and payload.
    pub frames: Vec<(u8, Vec<u8>)>,
    /// The close code and reason the connection is to close with.
    pub close: Option<(u16, String)>,
}

impl Harness {
    /// A server with `config` and no processors, as `lhttpd` runs it; `config`
    /// must not name NATS (the harness runs no tasks).
    pub fn new(config: Config) -> io::Result<Harness> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (handle, pipeline) = runtime.block_on(Server::build(config))?.into_pipeline()?;
        Ok(Harness {
            runtime,
            handle,
            pipeline,
            conns: Vec::new(),
        })
    }

    /// The server's handle (its metrics, channels, connections).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Opens a connection as an upgrade to `/` from a program (no `Origin`)
    /// would; `Err` with the refusal's code when a filter refuses it.
    pub fn open(&mut self) -> Result<usize, String> {
        let _inside = self.runtime.enter();
        let conn = self.handle.register();
        let handshake = Handshake {
            uri: http::Uri::from_static("/"),
            headers: http::HeaderMap::new(),
            peer: std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
            verified: None,
        };
        if let Err(r) = self.pipeline.open(&self.handle, &conn, &handshake) {
            self.handle.deregister(&conn);
            return Err(r.code.into_owned());
        }
        self.conns.push(Some(conn));
        Ok(self.conns.len() - 1)
    }

    /// How many connections were opened (closed ones included).
    pub fn opened(&self) -> usize {
        self.conns.len()
    }

    /// Whether connection `i` is open (a slow consumer's close counts as closing, not closed).
    pub fn is_open(&self, i: usize) -> bool {
        self.conn(i).is_some()
    }

    /// Connection `i` received the WebSocket message `data`; `false` if it is closed.
    pub fn message(&self, i: usize, data: &[u8]) -> bool {
        let Some(conn) = self.conn(i) else { return false };
        let _inside = self.runtime.enter();
        self.pipeline.message(&self.handle, conn, data);
        true
    }

    /// Takes what connection `i`'s task would write; `Err` names a frame that is
    /// not a valid server frame (RFC 6455 5.2: final, unmasked, known opcode,
    /// its length in the shortest form that holds it).
    pub fn take(&self, i: usize) -> Result<Written, String> {
        let Some(conn) = self.conn(i) else {
            return Ok(Written::default());
        };
        let mut batch = std::collections::VecDeque::new();
        let close = conn.outbox().drain(&mut batch).close;
        let frames = batch.iter().map(decode).collect::<Result<_, _>>()?;
        Ok(Written {
            frames,
            close: close.map(|c| (c.code, c.reason)),
        })
    }

    /// Connection `i` ended: what its task does last (filters' `on_close`,
    /// subscriptions ended, deregistered).
    pub fn close(&mut self, i: usize) {
        if let Some(conn) = self.conns.get_mut(i).and_then(Option::take) {
            let _inside = self.runtime.enter();
            crate::connection::ended(&self.handle, &self.pipeline, &conn);
        }
    }

    fn conn(&self, i: usize) -> Option<&Arc<Conn>> {
        self.conns.get(i).and_then(Option::as_ref)
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for i in 0..self.conns.len() {
            self.close(i);
        }
    }
}

/// One server frame read back strictly: (opcode, payload).
fn decode(frame: &Frame) -> Result<(u8, Vec<u8>), String> {
    let b = frame.as_bytes();
    let bad = |why: &str| Err(format!("{why}: {b:02x?}"));
    let [first, second, rest @ ..] = b else {
        return bad("shorter than a frame header");
    };
    if first & 0xf0 != 0x80 {
        return bad("not final, or reserved bits set");
    }
    let opcode = first & 0x0f;
    if ![1, 2, 8, 9, 10].contains(&opcode) {
        return bad("unknown opcode");
    }
    if second & 0x80 != 0 {
        return bad("masked (a server never masks)");
    }
    let (len, payload) = match second & 0x7f {
        126 if rest.len() >= 2 => (u16::from_be_bytes([rest[0], rest[1]]) as usize, &rest[2..]),
        127 if rest.len() >= 8 => {
            let n = u64::from_be_bytes(rest[..8].try_into().unwrap_or_default());
            (usize::try_from(n).unwrap_or(usize::MAX), &rest[8..])
        }
        126 | 127 => return bad("cut in its length"),
        n => (n as usize, rest),
    };
    let shortest = match len {
        0..=125 => second & 0x7f == len as u8,
        126..=65535 => second & 0x7f == 126,
        _ => second & 0x7f == 127,
    };
    if !shortest {
        return bad("length not in its shortest form");
    }
    if payload.len() != len {
        return bad("length differs from the payload");
    }
    if opcode >= 8 && len > 125 {
        return bad("control frame over 125 bytes");
    }
    if opcode == 1 && std::str::from_utf8(payload).is_err() {
        return bad("text frame that is not UTF-8");
    }
    Ok((opcode, payload.to_vec()))
}

/// What the connection's frame reader (`inbound`) made of some bytes: each
/// event, and how it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frames {
    /// `("message", payload)`, `("ping", payload)`, `("pong", [])`, `("close", code as two bytes)`.
    pub events: Vec<(&'static str, Vec<u8>)>,
    /// `Ok(true)` after a close, `Ok(false)` when it wants more bytes, `Err(code)` for a broken frame.
    pub end: Result<bool, u16>,
    /// Whether it still holds bytes (a cut frame or an unfinished message).
    pub holds: bool,
}

/// Feeds `bytes` to a connection's frame reader taking messages of at most
/// `max` bytes, in pieces ending at each of `cuts` (offsets, in order), as reads
/// of a socket would bring them.
pub fn read_frames(bytes: &[u8], cuts: &[usize], max: usize) -> Frames {
    use crate::inbound::{Event, Fed, Flow, Inbound};
    let mut inbound = Inbound::new(max);
    let mut events = Vec::new();
    let mut on = |e: Event<'_>| {
        events.push(match e {
            Event::Message(m) => ("message", m.to_vec()),
            Event::Ping(p) => ("ping", p.to_vec()),
            Event::Pong => ("pong", Vec::new()),
            Event::Close(c) => ("close", c.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default()),
        });
        Flow::Continue
    };
    let mut start = 0;
    let mut end = Ok(false);
    for &cut in cuts.iter().filter(|&&c| c <= bytes.len()).chain([&bytes.len()]) {
        if cut < start {
            continue;
        }
        let mut piece = bytes[start..cut].to_vec();
        start = cut;
        match inbound.feed(&mut piece, &mut on) {
            Ok(Fed::More | Fed::Paused) => {}
            Ok(Fed::Closed) => {
                end = Ok(true);
                break;
            }
            Err(b) => {
                end = Err(b.code.code());
                break;
            }
        }
    }
    Frames {
        events,
        end,
        holds: inbound.holds(),
    }
}
