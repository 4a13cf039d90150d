//! The client as a driver of `lhttp_session` against a real lhttpd: many channels
//! restored after a restart, refused channel names, messages waiting for the
//! reader (and the socket not read meanwhile), refused restores reaching `recv`,
//! and refused handshakes as `Error::Connect` with their status.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{eventually, TestServer};
use lhttp_client::{Client, Config, Error, Message, DEFAULT_COMMAND};

async fn connect(server: &TestServer) -> Client {
    Client::connect(&server.ws_url()).await.expect("connect")
}

async fn next(client: &Client) -> Message {
    client.recv().await.expect("a message").expect("not an error")
}

/// A reconnecting client that comes back quickly.
fn reconnecting(url: String) -> Config {
    let mut config = Config::new(url);
    config.reconnect = true;
    config.initial_backoff = Duration::from_millis(50);
    config.max_backoff = Duration::from_millis(200);
    config
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_and_fifty_channels_come_back_after_a_restart() {
    let first = TestServer::start().await;
    let addr = first.addr;
    let client = Client::connect_with(reconnecting(first.ws_url())).await.unwrap();
    let channels: Vec<String> = (0..150).map(|i| format!("many-{i:03}")).collect();
    for ten in channels.chunks(10) {
        client.subscribe(&refs(ten)).await.unwrap();
    }

    first.stop().await;
    // The server takes at most 64 channels per message: the restore goes in
    // batches within the limit the server announces (or the session's 32).
    let second = TestServer::start_with(lhttp_server::Config::default(), addr).await;
    let publisher = connect(&second).await;
    for channel in &channels {
        eventually("every channel is subscribed again", || async {
            publisher
                .publish_counted(&[channel], DEFAULT_COMMAND, &[], channel.as_bytes())
                .await
                .unwrap()
                == 1
        })
        .await;
    }
    let mut seen = BTreeSet::new();
    for _ in 0..channels.len() {
        let msg = next(&client).await;
        assert_eq!(msg.command(), DEFAULT_COMMAND);
        assert_eq!(
            msg.header("publish"),
            msg.body_text(),
            "each reached on its own channel"
        );
        seen.insert(msg.body_text().unwrap().to_owned());
    }
    assert_eq!(seen.len(), 150);
    assert!(client.try_recv().unwrap().is_none(), "nothing twice");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_with_a_space_is_refused_and_nothing_is_subscribed() {
    let server = TestServer::start().await;
    let client = connect(&server).await;
    let publisher = connect(&server).await;
    for bad in [&["a b"][..], &["fine", "a b"], &["tab\there"], &[""], &[]] {
        let err = client.subscribe(bad).await.unwrap_err();
        assert_eq!(err, Error::Protocol(lhttp_core::Error::Channel), "{bad:?}");
        assert_eq!(err.name(), "Channel");
    }
    for channel in ["fine", "a", "b", "a b"] {
        let n = publisher
            .publish_counted(&["fine"], "chat", &[], channel.as_bytes())
            .await;
        assert_eq!(n, Ok(0), "{channel}: nobody is subscribed");
    }
    let err = publisher.publish(&["a b"], "chat", &[], b"x").await.unwrap_err();
    assert_eq!(err.name(), "Channel");
    // The client is still usable.
    client.subscribe(&["fine"]).await.unwrap();
    assert_eq!(publisher.publish_counted(&["fine"], "chat", &[], b"").await, Ok(1));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_waits_for_the_reader() {
    let server = TestServer::start().await;
    let client = connect(&server).await;
    client.subscribe(&["self"]).await.unwrap();
    assert_eq!(client.publish_counted(&["self"], "chat", &[], b"to me").await, Ok(1));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let msg = next(&client).await;
    assert_eq!((msg.command(), msg.body()), ("chat", &b"to me"[..]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unread_buffer_stops_reading_instead_of_dropping() {
    let server = TestServer::start().await;
    let mut config = Config::new(server.ws_url());
    config.max_buffered = 4;
    let slow = Client::connect_with(config).await.unwrap();
    slow.subscribe(&["flood"]).await.unwrap();
    let publisher = connect(&server).await;
    for i in 0..40 {
        publisher
            .publish(&["flood"], "n", &[], i.to_string().as_bytes())
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..40 {
        assert_eq!(next(&slow).await.body_text(), Some(i.to_string().as_str()));
    }
    // Reading made room: acks flow again.
    slow.subscribe(&["more"]).await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_the_new_server_refuses_reach_recv() {
    let first = TestServer::start().await;
    let addr = first.addr;
    let client = Client::connect_with(reconnecting(first.ws_url())).await.unwrap();
    let channels: Vec<String> = (0..8).map(|i| format!("limited-{i}")).collect();
    client.subscribe(&refs(&channels)).await.unwrap();
    first.stop().await;
    let mut config = lhttp_server::Config::default();
    config.limits.max_subscriptions = 5;
    let second = TestServer::start_with(config, addr).await;

    let mut refused = BTreeSet::new();
    for _ in 0..3 {
        match client.recv().await {
            Some(Err(Error::Server { code, detail, .. })) => {
                assert_eq!(code, "RestoreRefused");
                assert!(detail.contains("TooManySubscriptions"), "{detail}");
                refused.insert(detail.split(' ').next().unwrap().to_owned());
            }
            other => panic!("expected RestoreRefused, got {other:?}"),
        }
    }
    assert_eq!(refused.len(), 3);
    let publisher = connect(&second).await;
    let mut reached = 0;
    for channel in &channels {
        reached += publisher.publish_counted(&[channel], "chat", &[], b"").await.unwrap();
    }
    assert_eq!(reached, 5, "the five the server took are subscribed");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_refused_for_its_origin_is_a_connect_error() {
    let server = TestServer::start().await;
    for reconnect in [false, true] {
        let mut config = Config::new(server.ws_url());
        config.reconnect = reconnect;
        config.origin = Some("https://elsewhere.example".into());
        let started = Instant::now();
        match Client::connect_with(config).await {
            Err(Error::Connect {
                status: Some(403),
                reason,
            }) => assert!(reason.starts_with("OriginNotAllowed: "), "{reason}"),
            Err(other) => panic!("expected a 403 Connect error, got {other:?}"),
            Ok(_) => panic!("a foreign origin was let in"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused at once, not timed out"
        );
    }
    // The server's own origin is welcome.
    let mut config = Config::new(server.ws_url());
    config.origin = Some(format!("http://{}", server.addr));
    Client::connect_with(config).await.expect("same origin");
    server.stop().await;
}
