//! The server's request pipeline (as `lhttpd` builds it: limits, parsing, the
//! built-in filters for pub/sub, history, multipart and upstream) fed any
//! messages from several connections: it never panics; everything it queues
//! is a valid server frame carrying valid LHTTP; every `error` names a known
//! core or server error; a request gets at most one answer, exactly one when it
//! has a readable `id` and its connection is not being cut; only a message
//! with a `publish` header reaches other connections; and once every
//! connection has closed no connection or channel is left behind.
//!
//! Input: NUL-separated steps (fuzz/README.md): `0`..`3` then a message (sent
//! by that connection), `o` (open one more), `x0`..`x3` (that connection
//! closes), `p0`..`p3` (that connection stops reading, or reads again: what
//! waits for it is checked when it does); any other step is a message from
//! connection 0.
#![no_main]

use lhttp_core::reply::{ErrorCode, Reply};
use lhttp_core::{parse, ServerError, EMPTY_HEADER};
use lhttp_server::fuzzing::{Harness, Written};
use lhttp_server::{Config, Namespace};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

/// Small limits, so that every limit is reached (the message rate too); one
/// namespace with history.
fn config() -> Config {
    let mut c = Config::default();
    c.limits.max_message_size = 2048;
    c.limits.max_headers = 16;
    c.limits.max_channels = 4;
    c.limits.max_subscriptions = 6;
    c.limits.max_queue = 24;
    c.limits.max_queue_bytes = 4096;
    // A burst that long inputs use up, refilled too slowly to matter within one input.
    c.limits.message_rate = 0.001;
    c.limits.message_burst = 48;
    c.namespaces.insert(
        "h".into(),
        Namespace {
            history_size: 4,
            history_ttl: Duration::from_secs(60),
            recover_max: 3,
            ..Namespace::default()
        },
    );
    c.validate().expect("a valid configuration");
    c
}

/// The replies in what a connection was sent, after checking every frame: (kind, id).
fn replies(w: &Written) -> Vec<(&'static str, Option<String>)> {
    let mut out = Vec::new();
    for (opcode, payload) in &w.frames {
        assert!(matches!(opcode, 1 | 2), "a data frame, not {opcode}");
        let mut headers = [EMPTY_HEADER; 64];
        let msg = parse(payload, &mut headers)
            .unwrap_or_else(|e| panic!("the server sent {e:?}: {:?}", String::from_utf8_lossy(payload)));
        match Reply::read(&msg) {
            Some(Reply::Ack(a)) => out.push(("ack", a.id.map(str::to_string))),
            Some(Reply::Error(e)) => {
                assert_ne!(
                    e.error_code(),
                    ErrorCode::Server(ServerError::Unknown),
                    "an error name nobody knows: {:?}",
                    e.code
                );
                out.push(("error", e.id.map(str::to_string)));
            }
            Some(Reply::Connected(_)) => panic!("a second connected"),
            None => {}
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new(config()).expect("a server");
    let limits = h.handle().config().limits.clone();
    for _ in 0..3 {
        h.open().expect("open");
    }
    // Past `connected`, which every connection gets first.
    for i in 0..h.opened() {
        let w = h.take(i).expect("valid frames");
        assert_eq!(w.frames.len(), 1);
    }
    // Connections whose task is not writing: their queue fills.
    let mut paused = [false; 8];
    for step in data.split(|&b| b == 0) {
        let (from, msg) = match step {
            [b'o'] => {
                if h.opened() < 8 {
                    let i = h.open().expect("open");
                    assert_eq!(h.take(i).expect("valid frames").frames.len(), 1);
                }
                continue;
            }
            [b'x', n @ b'0'..=b'3'] => {
                h.close(usize::from(n - b'0'));
                continue;
            }
            [b'p', n @ b'0'..=b'3'] => {
                let i = usize::from(n - b'0');
                paused[i] = !paused[i];
                if !paused[i] {
                    // What waited: many messages' worth, checked frame by frame.
                    let w = h.take(i).unwrap_or_else(|e| panic!("connection {i}: {e}"));
                    replies(&w);
                    if w.close.is_some() {
                        h.close(i);
                    }
                }
                continue;
            }
            [n @ b'0'..=b'3', rest @ ..] => (usize::from(n - b'0'), rest),
            _ => (0, step),
        };
        if !h.message(from, msg) {
            continue;
        }
        let mut headers = vec![EMPTY_HEADER; limits.max_headers];
        let read = (msg.len() <= limits.max_message_size)
            .then(|| parse(msg, &mut headers).ok())
            .flatten();
        let id = read.as_ref().and_then(|m| m.header("id")).map(str::to_string);
        let publishes = read.as_ref().is_some_and(|m| m.header("publish").is_some());
        for i in 0..h.opened() {
            if paused[i] {
                continue;
            }
            let w = h.take(i).unwrap_or_else(|e| panic!("connection {i}: {e}"));
            let answers = replies(&w);
            if i != from {
                assert!(answers.is_empty(), "connection {i} got another's answer: {answers:?}");
                assert!(
                    publishes || w.frames.is_empty(),
                    "connection {i} got a message that publishes nothing"
                );
            } else {
                assert!(answers.len() <= 1, "two answers to one request: {answers:?}");
                if let (Some(id), None) = (&id, &w.close) {
                    assert_eq!(answers.len(), 1, "request {id:?} got no answer");
                    assert_eq!(answers[0].1.as_ref(), Some(id), "the answer's id");
                }
                if id.is_none() {
                    assert!(answers.iter().all(|(kind, _)| *kind == "error"), "an ack without id");
                }
            }
            if w.close.is_some() {
                // Cut (a slow consumer): its task writes the close and ends.
                h.close(i);
            }
        }
    }
    for i in 0..h.opened() {
        replies(&h.take(i).unwrap_or_else(|e| panic!("connection {i}: {e}")));
        h.close(i);
    }
    assert_eq!(h.handle().connection_count(), 0, "connections left open");
    assert_eq!(h.handle().channel_count(), 0, "channels left with subscribers");
});
