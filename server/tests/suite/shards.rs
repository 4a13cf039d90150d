//! Connections run on shard threads (`shards`): a publish reaches the
//! subscribers of every shard, in order and once, from a WebSocket publisher
//! (on a shard) and from `POST /publish` (on the server's runtime); a closed
//! connection leaves the hub; shutdown closes them all with 1001.
use crate::common;
use common::*;
use lhttp_server::{Config, CLOSE_GOING_AWAY};

fn sharded() -> Config {
    Config {
        shards: 2,
        ..Config::default()
    }
}

/// `n` clients subscribed to `channel`, placed on the shards in turn.
async fn subscribed(s: &Running, n: usize, channel: &str) -> Vec<Client> {
    let mut clients = Vec::new();
    for _ in 0..n {
        let mut c = Client::connect(s).await;
        c.subscribe(channel).await;
        clients.push(c);
    }
    clients
}

#[tokio::test]
async fn publishes_reach_the_subscribers_of_every_shard_in_order() {
    let s = start_with(sharded()).await;
    // Three subscribers on each shard.
    let mut subs = subscribed(&s, 6, "room").await;
    let mut publisher = Client::connect(&s).await;
    let ack = publisher.request("chat", &[("publish", "room")], "first", "p1").await;
    assert_eq!(ack.header("deliveries"), Some("6"));
    for i in 0..50 {
        publisher
            .send(&format!("LHTTP/1.0 chat\r\npublish:room\r\n\r\nm{i}"))
            .await;
    }
    // Acked once the 50 before it are published: the HTTP publish comes after them.
    publisher.request("chat", &[("publish", "room")], "m50", "p50").await;
    let (status, _) = http(
        &s.http(),
        "POST",
        "/publish",
        &[],
        b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nby http",
    )
    .await;
    assert_eq!(status, 200);
    for c in &mut subs {
        assert_eq!(c.recv().await.text(), "first");
        for i in 0..=50 {
            assert_eq!(c.recv().await.text(), format!("m{i}"));
        }
        assert_eq!(c.recv().await.text(), "by http");
    }
    // A subscriber that goes away leaves the hub, wherever it ran.
    drop(subs.pop());
    drop(subs.pop());
    until(|| s.handle.subscriber_count("room") == 4).await;
    let ack = publisher.request("chat", &[("publish", "room")], "last", "p2").await;
    assert_eq!(ack.header("deliveries"), Some("4"));
    for c in &mut subs {
        assert_eq!(c.recv().await.text(), "last");
    }
    s.stop().await;
}

#[tokio::test]
async fn shutdown_closes_the_connections_of_every_shard_with_1001() {
    let s = start_with(sharded()).await;
    let mut clients = subscribed(&s, 4, "news").await;
    let handle = s.handle.clone();
    s.stop().await;
    for c in &mut clients {
        match c.event().await {
            Event::Closed(code) => assert_eq!(code, Some(CLOSE_GOING_AWAY)),
            Event::Message(m) => panic!("expected the 1001 close, got {m:?}"),
        }
    }
    assert_eq!(handle.connection_count(), 0);
}
