//! Every limit: a clear error reply (or a documented close code), and the
//! connection, the server and the other clients carry on.
use crate::common;
use common::*;
use lhttp_server::{Config, Limits, CLOSE_GOING_AWAY, CLOSE_SLOW_CONSUMER};
use std::time::Duration;

fn limits(f: impl FnOnce(&mut Limits)) -> Config {
    let mut c = Config::default();
    f(&mut c.limits);
    c
}

#[tokio::test]
async fn oversize_messages_get_an_error_reply_and_huge_ones_close_with_1009() {
    let s = start_with(limits(|l| l.max_message_size = 100)).await;
    let mut c = Client::connect(&s).await;
    c.send(&format!("LHTTP/1.0 chat\r\n\r\n{}", "x".repeat(200))).await;
    assert_eq!(c.expect_error().await.header("code"), Some("MessageTooLarge"));
    c.request("chat", &[], "still open", "1").await;
    c.send(&format!("LHTTP/1.0 chat\r\n\r\n{}", "x".repeat(5000))).await;
    match c.event().await {
        Event::Closed(code) => assert_eq!(code, Some(1009)),
        Event::Message(m) => panic!("expected close, got {m:?}"),
    }
    s.stop().await;
}

#[tokio::test]
async fn too_many_headers_channels_and_subscriptions_are_refused() {
    let s = start_with(limits(|l| {
        l.max_headers = 3;
        l.max_channels = 2;
        l.max_subscriptions = 3;
    }))
    .await;
    let mut c = Client::connect(&s).await;
    c.send("LHTTP/1.0 chat\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\n\r\n").await;
    assert_eq!(c.expect_error().await.header("code"), Some("TooManyHeaders"));
    c.send("LHTTP/1.0 chat\r\nsubscribe:a b c\r\nid:x\r\n\r\n").await;
    let e = c.expect_error().await;
    assert_eq!((e.header("code"), e.header("id")), (Some("TooManyChannels"), Some("x")));
    assert_eq!(s.handle.channels().len(), 0, "nothing half-done");
    c.subscribe("a b").await;
    c.subscribe("c").await;
    c.send("LHTTP/1.0 chat\r\nsubscribe:d\r\n\r\n").await;
    assert_eq!(c.expect_error().await.header("code"), Some("TooManySubscriptions"));
    c.subscribe("a").await; // already subscribed: not a new subscription
    assert_eq!(s.handle.channels().len(), 3);
    s.stop().await;
}

#[tokio::test]
async fn the_greeting_announces_the_limits() {
    use futures_util::StreamExt;
    let s = start_with(limits(|l| {
        l.max_channels = 2;
        l.max_subscriptions = 3;
        l.max_message_size = 100;
        l.max_headers = 9;
    }))
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(s.url()).await.unwrap();
    let hello = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    let hello = hello.into_data();
    let id = Msg::parse(&hello).header("client-id").unwrap().to_string();
    let want = format!(
        "LHTTP/1.0 connected\r\nclient-id:{id}\r\nmax-channels:2\r\nmax-subscriptions:3\r\nmax-message-size:100\r\nmax-headers:9\r\n\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&hello), want);
    s.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_get_http_503() {
    let s = start_with(limits(|l| l.max_connections = 2)).await;
    let _a = Client::connect(&s).await;
    let _b = Client::connect(&s).await;
    let err = tokio_tungstenite::connect_async(s.url()).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    s.stop().await;
}

#[tokio::test]
async fn silent_connections_are_closed_and_live_ones_kept_by_ping_pong() {
    let s = start_with(limits(|l| {
        l.ping_interval = Duration::from_millis(100);
        l.idle_timeout = Duration::from_millis(400);
    }))
    .await;
    let mut live = Client::connect(&s).await;
    let mut silent = Client::connect(&s).await;
    // `live` keeps reading, so its WebSocket library answers the pings.
    assert!(live.try_recv(Duration::from_millis(1200)).await.is_none());
    live.request("chat", &[], "", "alive").await;
    // `silent` read nothing all that time: the server gave up on it.
    match silent.event().await {
        Event::Closed(code) => assert_eq!(code, Some(CLOSE_GOING_AWAY)),
        Event::Message(m) => panic!("expected the idle close, got {m:?}"),
    }
    s.stop().await;
}

#[tokio::test]
async fn a_slow_consumer_is_disconnected_while_the_others_keep_receiving() {
    let s = start_with(limits(|l| l.max_queue = 16)).await;
    let mut slow = Client::connect(&s).await;
    slow.subscribe("firehose").await;
    let mut fast = Client::connect(&s).await;
    fast.subscribe("firehose").await;
    let mut p = Client::connect(&s).await;
    let body = "y".repeat(60_000);
    let total = 400;
    let reader = tokio::spawn(async move {
        let mut got = 0;
        while got < total {
            let m = fast.recv().await;
            assert_eq!(m.body.len(), 60_000);
            got += 1;
        }
        got
    });
    // `slow` never reads while the publisher floods.
    for _ in 0..total {
        p.send(&format!("LHTTP/1.0 chat\r\npublish:firehose\r\n\r\n{body}"))
            .await;
    }
    assert_eq!(reader.await.unwrap(), total, "the fast subscriber got everything");
    let h = s.handle.clone();
    until(|| h.metrics().slow_consumers.get() == 1).await;
    until(|| h.subscriber_count("firehose") == 1).await;
    // What the slow one finally reads ends with the slow-consumer close (or a reset).
    loop {
        match slow.event().await {
            Event::Message(_) => continue,
            Event::Closed(code) => {
                assert!(
                    code.is_none() || code == Some(CLOSE_SLOW_CONSUMER),
                    "close code {code:?}"
                );
                break;
            }
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn http_connections_that_never_finish_a_request_are_closed_and_websockets_are_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start_with(limits(|l| l.header_timeout = Duration::from_millis(300))).await;
    let mut chat = Client::connect(&s).await;
    // One connection sends half a request head, another nothing at all.
    let mut half = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut silent = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    for conn in [&mut half, &mut silent] {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(WAIT, conn.read_to_end(&mut rest)).await;
        assert!(
            closed.is_ok(),
            "the server keeps a connection that sent no whole request"
        );
        assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "nothing was served");
    }
    // The WebSocket outlived the header timeout several times over and still works,
    // and so does a request that arrives whole.
    tokio::time::sleep(Duration::from_millis(900)).await;
    chat.request("chat", &[], "still here", "1").await;
    assert_eq!(http(s.http(), "GET", "/healthz", &[], "").await.0, 200);
    s.stop().await;
}
