//! The client session engine fed any server bytes, close codes, socket events,
//! times and application calls: it never panics, every frame it asks to write
//! is valid LHTTP, every request it returns an id for gets at most one outcome
//! (and exactly one once the session is closed), its buffer stays within
//! `max_buffered` and its subscriptions are valid channel names.
//!
//! Input: NUL-separated steps, each a letter and its argument (fuzz/README.md);
//! a step with no known letter is bytes received from the server.
#![no_main]

use lhttp_core::{channel, parse, EMPTY_HEADER};
use lhttp_session::{Config, Error, Event, OwnedMessage, RequestId, Session, State, Transmit};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

/// The settings a `K` step picks: reconnecting or not, with pings or not, tiny
/// buffers and timeouts so that every limit is reached.
fn config(variant: u8) -> Config {
    Config {
        reconnect: variant & 1 == 0,
        ping_interval: (variant & 2 != 0).then_some(1_000),
        request_timeout: 500,
        connect_timeout: 700,
        backoff_initial: 10,
        backoff_max: 100,
        max_attempts: (variant & 4 != 0).then_some(3),
        max_buffered: 4,
        seed: u64::from(variant),
        ..Config::default()
    }
}

/// What the harness knows of the requests the session took.
#[derive(Default)]
struct Outcomes(BTreeMap<RequestId, u32>);

impl Outcomes {
    fn took(&mut self, r: Result<RequestId, Error>) {
        if let Ok(id) = r {
            assert!(self.0.insert(id, 0).is_none(), "request id {id:?} given twice");
        }
    }

    fn outcome(&mut self, id: RequestId) {
        let n = self
            .0
            .get_mut(&id)
            .unwrap_or_else(|| panic!("outcome for unknown request {id:?}"));
        *n += 1;
        assert_eq!(*n, 1, "request {id:?} got two outcomes");
    }
}

fn number(arg: &[u8]) -> u64 {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn text(arg: &[u8]) -> &str {
    std::str::from_utf8(arg).unwrap_or("")
}

fn drain(s: &mut Session, outcomes: &mut Outcomes) {
    while let Some(t) = s.poll_transmit() {
        if let Transmit::Frame(bytes) = t {
            // Room for what the application may give (core's MAX_HEADERS) and the session's `id`.
            let mut headers = vec![EMPTY_HEADER; lhttp_core::owned::MAX_HEADERS + 1];
            if let Err(e) = parse(&bytes, &mut headers) {
                panic!("the session wrote {e:?}: {:?}", String::from_utf8_lossy(&bytes));
            }
        }
    }
    while let Some(e) = s.poll_event() {
        match e {
            Event::Acked { id, .. } | Event::Failed { id, .. } => outcomes.outcome(id),
            Event::GaveUp { .. } => assert_eq!(s.state(), State::Ended),
            _ => {}
        }
    }
    assert!(s.buffered() <= s.config().max_buffered);
    for c in s.subscriptions() {
        assert!(channel::check(c).is_ok(), "subscribed to {c:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut steps = data.split(|&b| b == 0).peekable();
    let variant = match steps.peek() {
        Some([b'K', v, ..]) => {
            let v = *v;
            steps.next();
            v
        }
        _ => 0,
    };
    let mut s = Session::new(config(variant));
    let mut outcomes = Outcomes::default();
    let mut now = 0u64;
    s.start(now);
    for step in steps {
        let (op, arg) = step.split_first().map_or((0, &[][..]), |(o, a)| (*o, a));
        match op {
            b'O' => s.socket_opened(now),
            b'F' => s.connect_failed(now, Error::Io("refused".into())),
            b'f' => s.connect_failed(
                now,
                Error::Connect {
                    status: Some(number(arg) as u16),
                    reason: "refused".into(),
                },
            ),
            b'C' => s.socket_closed(now, Some(number(arg) as u16), text(arg)),
            b'c' => s.socket_closed(now, None, ""),
            b'A' => s.activity(now),
            b'T' => {
                now = now.saturating_add(number(arg));
                s.tick(now);
            }
            b'D' => {
                if let Some(d) = s.next_deadline() {
                    now = now.max(d);
                }
                s.tick(now);
            }
            b'S' => outcomes.took(s.subscribe(now, &text(arg).split(' ').collect::<Vec<_>>())),
            b'U' => outcomes.took(s.unsubscribe(now, &text(arg).split(' ').collect::<Vec<_>>())),
            b'P' => {
                let channels: Vec<&str> = text(arg).split(' ').collect();
                outcomes.took(s.publish(now, &channels, "chat", &[], b"hi"));
            }
            b'H' => {
                let (ch, since) = text(arg).split_once(' ').unwrap_or((text(arg), ""));
                let since = lhttp_session::Position::parse(since).ok();
                outcomes.took(s.history(now, ch, Some(2), since, false));
            }
            b'Q' => {
                if let Ok(msg) = OwnedMessage::parse(arg) {
                    outcomes.took(s.request(now, msg));
                }
            }
            b'M' => {
                if let Ok(msg) = OwnedMessage::parse(arg) {
                    let _ = s.send(now, &msg);
                }
            }
            b'r' => {
                for _ in 0..number(arg).min(16) {
                    let Some(m) = s.poll_message() else { break };
                    assert!(m.encode().is_ok(), "a buffered message does not encode: {m:?}");
                }
            }
            b'X' => s.close(now, number(arg) as u16, "bye"),
            b'R' => s.received(now, arg),
            _ => s.received(now, step),
        }
        drain(&mut s, &mut outcomes);
    }
    // Closed for good: every request has its one outcome.
    s.close(now, 1000, "");
    drain(&mut s, &mut outcomes);
    assert!(s.is_ended());
    for (id, n) in &outcomes.0 {
        assert_eq!(*n, 1, "request {id:?} has no outcome after close");
    }
});
