//! The slow-consumer limit in bytes (spec 9.7, 10.3): a burst that a reader
//! falls behind on passes whole; a reader that stops is cut, still gets what
//! was queued for it and then the 1013 close frame, while the others get
//! everything; with history it recovers exactly what came after.
use crate::common;
use common::*;
use lhttp_server::{Config, Namespace, CLOSE_SLOW_CONSUMER};
use std::time::Duration;

/// The number a test publication carries at the start of its body.
fn number(m: &Msg) -> u64 {
    m.text().split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_burst_of_3000_to_100_subscribers_that_read_only_afterwards_passes_whole() {
    // The case (100 subscribers, 3,000 messages of 64 bytes as fast as
    // they can go) with the default limits, the readers as far behind as they
    // can be: the test and the server share one thread, and the publishes go
    // in without a pause, so no writer runs before all 3,000 wait in every
    // queue (about 300 KB each; the queue used to hold 1,024 messages).
    const N: u64 = 3000;
    let s = start_with(Config::default()).await;
    let mut readers = Vec::new();
    for _ in 0..100 {
        let mut c = Client::connect(&s).await;
        c.subscribe("room").await;
        readers.push(c);
    }
    for i in 1..=N {
        let sent = s.handle.publish(
            &["room"],
            format!("LHTTP/1.0 chat\r\npublish:room\r\n\r\n{i:064}").into(),
        );
        assert_eq!(sent, 100, "publication {i} queued to every reader");
    }
    assert_eq!(s.handle.metrics().slow_consumers.get(), 0);
    let tasks: Vec<_> = readers
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                for i in 1..=N {
                    let m = c.recv().await;
                    assert_eq!(m.text().parse::<u64>().unwrap(), i, "in order, none missing");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let m = s.handle.metrics();
    assert_eq!((m.slow_consumers.get(), m.drops()), (0, 0));
    s.stop().await;
}

/// A server whose connections hold at most 256 KiB, every channel with history.
fn small_queues() -> Config {
    let mut c = Config::default();
    c.limits.max_queue_bytes = 256 << 10;
    c.namespace = Namespace {
        history_size: 100_000,
        history_ttl: Duration::from_secs(600),
        recover_max: 100_000,
        ..Namespace::default()
    };
    c
}

/// A publication numbered `i` to `room` with a 16 KiB body.
fn publication(i: u64) -> bytes::Bytes {
    format!("LHTTP/1.0 chat\r\npublish:room\r\n\r\n{i} {}", "x".repeat(16 << 10)).into()
}

#[tokio::test]
async fn a_reader_that_stops_is_cut_gets_what_was_queued_then_1013_and_recovers_what_came_after() {
    let s = start_with(small_queues()).await;
    let mut slow = Client::connect(&s).await;
    let (_, ack) = subscribe_since(&mut slow, None).await;
    let epoch = ack_epoch(&ack);
    let mut fast = Client::connect(&s).await;
    fast.subscribe("room").await;
    // `slow` reads nothing: its socket's buffers fill, then its queue, then it is cut.
    let mut published = 0;
    while s.handle.metrics().slow_consumers.get() == 0 {
        published += 1;
        assert!(published < 100_000, "never cut");
        s.handle.publish(&["room"], publication(published));
        assert_eq!(number(&fast.recv().await), published, "the other reader gets each one");
    }
    // What comes while it is away, for it to recover.
    let cut_at = published;
    for _ in 0..8 {
        published += 1;
        s.handle.publish(&["room"], publication(published));
        assert_eq!(number(&fast.recv().await), published);
    }
    // Reading again: everything queued before the cut, in order, then its 1013.
    let mut last = 0;
    loop {
        match slow.event().await {
            Event::Message(m) => {
                last += 1;
                assert_eq!(number(&m), last, "in order, none missing");
            }
            Event::Closed(code) => {
                assert_eq!(code, Some(CLOSE_SLOW_CONSUMER), "the cut reader is told why");
                break;
            }
        }
    }
    assert!(
        last < cut_at,
        "the publication that filled the queue was not sent ({last}, {cut_at})"
    );
    let m = s.handle.metrics();
    assert_eq!(m.slow_consumers.get(), 1, "only the one that stopped reading");
    // Back, from the position of the last one it got: exactly the rest.
    let mut back = Client::connect(&s).await;
    let (missed, ack) = subscribe_since(&mut back, Some(format!("room {epoch}:{last}"))).await;
    assert_eq!(ack.header("recovered"), Some("room"), "{ack:?}");
    let numbers: Vec<u64> = missed.iter().map(number).collect();
    assert_eq!(numbers, ((last + 1)..=published).collect::<Vec<_>>());
    s.stop().await;
}

/// Subscribes to `room` (recovering after `since`): what came before the ack, and the ack.
async fn subscribe_since(c: &mut Client, since: Option<String>) -> (Vec<Msg>, Msg) {
    let mut raw = "LHTTP/1.0 chat\r\nsubscribe:room\r\n".to_string();
    if let Some(since) = since {
        raw.push_str(&format!("since:{since}\r\n"));
    }
    raw.push_str("id:sub\r\n\r\n");
    c.send(&raw).await;
    let mut before = Vec::new();
    loop {
        let m = c.recv().await;
        if m.header("id") == Some("sub") {
            assert_eq!(m.command, "ack", "{m:?}");
            return (before, m);
        }
        before.push(m);
    }
}

/// The epoch of `room`'s position in a subscribe's ack.
fn ack_epoch(ack: &Msg) -> String {
    let value = ack.header("position").expect("a position");
    let (_, p) = lhttp_core::position::parse_channel(value).unwrap();
    p.epoch.to_string()
}
