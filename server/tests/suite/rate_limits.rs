//! The rate limits (spec 10.3): a connection's messages over its rate get a
//! `RateLimited` error reply and are not processed, a burst of refusals in a
//! row closes it with 1008, an address's WebSocket upgrades over the connection
//! rate get HTTP 429; each refusal is counted in `/metrics`, and the other
//! connections and addresses carry on. Rates of one per 100 s make every test
//! independent of the machine's speed.
use crate::common;
use common::*;
use lhttp_server::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn rates(message: (f64, usize), connection: (f64, usize)) -> Config {
    let mut c = Config::default();
    (c.limits.message_rate, c.limits.message_burst) = message;
    (c.limits.connection_rate, c.limits.connection_burst) = connection;
    c
}

/// The value of the `/metrics` line `name`.
async fn metric(s: &Running, name: &str) -> u64 {
    let (status, body) = http(s.http(), "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{body}"))
}

#[tokio::test]
async fn messages_over_the_rate_are_refused_unprocessed_and_a_flood_is_closed_with_1008() {
    let s = start_with(rates((0.01, 3), (0.0, 0))).await;
    let mut reader = Client::connect(&s).await;
    reader.subscribe("room").await;
    let mut c = Client::connect(&s).await;
    for id in ["1", "2", "3"] {
        c.request("chat", &[("publish", "room")], "in the burst", id).await;
    }
    c.send("LHTTP/1.0 chat\r\npublish:room\r\nid:4\r\n\r\nover the rate")
        .await;
    let e = c.expect_error().await;
    assert_eq!(
        (e.header("code"), e.header("id"), e.header("command")),
        (Some("RateLimited"), Some("4"), Some("chat"))
    );
    let detail = e.header("detail").unwrap();
    assert!(
        detail.contains("0.01 messages per second") && detail.contains("bursts of 3"),
        "{detail}"
    );
    for _ in 0..3 {
        assert_eq!(reader.recv().await.text(), "in the burst");
    }
    assert_eq!(s.handle.metrics().deliveries(), 3, "the refused one was not published");
    // Garbage counts too; the third refusal in a row closes the connection.
    c.send("not lhttp").await;
    let e = c.expect_error().await;
    assert_eq!((e.header("code"), e.header("id")), (Some("RateLimited"), None));
    // Sent before anything is read: those after the cut change nothing.
    for id in 6..10 {
        c.send(&format!("LHTTP/1.0 chat\r\nid:{id}\r\n\r\n")).await;
    }
    assert_eq!(c.expect_error().await.header("id"), Some("6"));
    match c.event().await {
        Event::Closed(code) => assert_eq!(code, Some(1008)),
        Event::Message(m) => panic!("expected the 1008 close, got {m:?}"),
    }
    // Another connection has its own bucket.
    reader.request("chat", &[], "mine", "r1").await;
    assert!(metric(&s, "lhttp_rate_limited_messages_total").await >= 3);
    assert_eq!(metric(&s, "lhttp_rate_limit_closes_total").await, 1);
    assert_eq!(metric(&s, "lhttp_rate_limited_connections_total").await, 0);
    s.stop().await;
}

/// The status, headers and body of the answer to a WebSocket upgrade sent from `from`.
async fn upgrade_from(from: &str, s: &Running) -> (u16, String, String) {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut tcp: TcpStream = sock.connect(s.addr).await.unwrap();
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        s.addr
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let (head, body) = loop {
        let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "closed without an answer: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")?
                        .trim()
                        .parse()
                        .ok()
                })
                .unwrap_or(0);
            if body.len() >= len {
                break (head.to_string(), body.to_string());
            }
        }
    };
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head, body)
}

#[tokio::test]
async fn upgrades_over_an_addresss_connection_rate_get_429_and_other_addresses_connect() {
    let s = start_with(rates((0.0, 0), (0.01, 2))).await;
    let _a = Client::connect(&s).await;
    let _b = Client::connect(&s).await;
    let (status, head, body) = upgrade_from("127.0.0.1", &s).await;
    assert_eq!(status, 429, "{head}");
    let retry: u64 = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("retry-after:")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {head}"));
    assert_eq!(retry, 100, "a token every 100 s");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "RateLimited");
    let detail = json["detail"].as_str().unwrap();
    assert!(
        detail.contains("0.01 new connections per second") && detail.contains("bursts of 2"),
        "{detail}"
    );
    // Another address has its own bucket; plain HTTP requests are not counted.
    let (status, head, _) = upgrade_from("127.0.0.2", &s).await;
    assert_eq!(status, 101, "{head}");
    assert_eq!(http(s.http(), "GET", "/healthz", &[], "").await.0, 200);
    assert_eq!(metric(&s, "lhttp_rate_limited_connections_total").await, 1);
    s.stop().await;
}

#[tokio::test]
async fn without_rate_settings_a_burst_of_messages_and_connections_passes() {
    let s = start_with(Config::default()).await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(Client::connect(&s).await);
    }
    let c = &mut clients[0];
    for i in 0..300 {
        c.send(&format!("LHTTP/1.0 chat\r\nid:{i}\r\n\r\n")).await;
    }
    for i in 0..300 {
        let m = c.recv().await;
        assert_eq!(
            (m.command.as_str(), m.header("id")),
            ("ack", Some(i.to_string().as_str()))
        );
    }
    assert_eq!(metric(&s, "lhttp_rate_limited_messages_total").await, 0);
    s.stop().await;
}
