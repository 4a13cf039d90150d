//! The built-in subscribe / publish / unsubscribe headers, end to end.
use crate::common;
use common::*;
use lhttp_server::Config;
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn fan_out_reaches_every_subscriber_of_every_channel() {
    let s = start_with(Config::default()).await;
    let mut subs = Vec::new();
    for _ in 0..3 {
        let mut c = Client::connect(&s).await;
        c.subscribe("news").await;
        subs.push(c);
    }
    let mut sports = Client::connect(&s).await;
    sports.subscribe("sports").await;
    let mut publisher = Client::connect(&s).await;
    let ack = publisher
        .request("chat", &[("publish", "news sports")], "hello", "p1")
        .await;
    assert_eq!(ack.header("deliveries"), Some("4"));
    for c in subs.iter_mut().chain([&mut sports]) {
        let m = c.recv().await;
        assert_eq!(m.command, "chat");
        assert_eq!(m.text(), "hello");
        assert_eq!(m.header("publish"), Some("news sports"));
        assert_eq!(m.header("id"), None, "the publisher's request id is not published");
    }
    s.stop().await;
}

#[tokio::test]
async fn one_header_subscribes_to_several_channels_and_each_delivers_once() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("c1 c2  c3").await;
    assert_eq!(s.handle.subscriber_count("c2"), 1);
    let mut p = Client::connect(&s).await;
    for ch in ["c1", "c2", "c3"] {
        p.send(&format!("LHTTP/1.0 chat\r\npublish:{ch}\r\n\r\nto {ch}")).await;
        assert_eq!(a.recv().await.text(), format!("to {ch}"));
    }
    // Published to two channels it is in: delivered once.
    p.send("LHTTP/1.0 chat\r\npublish:c1 c2\r\n\r\nboth").await;
    assert_eq!(a.recv().await.text(), "both");
    assert!(a.try_recv(QUIET).await.is_none(), "no duplicate delivery");
    s.stop().await;
}

#[tokio::test]
async fn subscribing_twice_is_idempotent() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("room").await;
    a.subscribe("room").await;
    assert_eq!(s.handle.subscriber_count("room"), 1);
    let mut p = Client::connect(&s).await;
    p.send("LHTTP/1.0 chat\r\npublish:room\r\n\r\nonce").await;
    assert_eq!(a.recv().await.text(), "once");
    assert!(
        a.try_recv(QUIET).await.is_none(),
        "the original delivered duplicates; we must not"
    );
    s.stop().await;
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("room other").await;
    a.request("chat", &[("unsubscribe", "room")], "", "u").await;
    assert_eq!(s.handle.subscriber_count("room"), 0);
    let mut p = Client::connect(&s).await;
    p.send("LHTTP/1.0 chat\r\npublish:room\r\n\r\ngone").await;
    p.send("LHTTP/1.0 chat\r\npublish:other\r\n\r\nstill here").await;
    assert_eq!(a.recv().await.text(), "still here");
    s.stop().await;
}

#[tokio::test]
async fn closing_a_connection_ends_all_its_subscriptions() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("x y z").await;
    assert_eq!(s.handle.channels().len(), 3);
    drop(a);
    let h = s.handle.clone();
    until(|| h.channels().is_empty() && h.connection_count() == 0).await;
    s.stop().await;
}

#[tokio::test]
async fn a_subscribed_publisher_receives_its_own_message() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    // The original chat client's message: subscribe and publish in one.
    a.send("LHTTP/1.0 chat\r\nsubscribe:chatroom\r\npublish:chatroom\r\n\r\nhello")
        .await;
    let m = a.recv().await;
    assert_eq!((m.command.as_str(), m.text()), ("chat", "hello"));
    assert_eq!(
        m.header("subscribe"),
        None,
        "instructions to the server are not published"
    );
    s.stop().await;
}

#[tokio::test]
async fn binary_frames_and_non_utf8_bodies_are_delivered_as_binary() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("bin").await;
    let mut p = Client::connect(&s).await;
    let mut raw = b"LHTTP/1.0 blob\r\npublish:bin\r\n\r\n".to_vec();
    raw.extend_from_slice(&[0xff, 0x00, 0xfe]);
    p.send_bytes(&raw).await;
    let m = a.recv().await;
    assert_eq!(m.body, vec![0xff, 0x00, 0xfe]);
    s.stop().await;
}
