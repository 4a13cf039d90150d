//! History and recovery end to end through the Rust client (spec 13): a client that
//! reconnects gets exactly what it missed, once and in order; after a server restart
//! (a new epoch) it is told `Unrecovered`; `history()` reads the channel back.

mod common;

use std::time::Duration;

use common::{eventually, TestServer};
use lhttp_client::{Client, Config, Message, DEFAULT_COMMAND};
use lhttp_server::Config as ServerConfig;

const ROOM: &str = "chat:room";

fn with_history() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.namespace.history_size = 100;
    config.namespace.history_ttl = Duration::from_secs(300);
    config
}

/// A reconnecting client whose first retry waits long enough for the test to
/// publish while it is away.
async fn reconnecting(url: &str) -> Client {
    let config = Config {
        reconnect: true,
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(1),
        ..Config::new(url)
    };
    Client::connect_with(config).await.expect("connects")
}

async fn publish(publisher: &Client, bodies: std::ops::RangeInclusive<u32>) {
    for n in bodies {
        publisher
            .publish(&[ROOM], DEFAULT_COMMAND, &[], format!("m{n}").as_bytes())
            .await
            .expect("published");
    }
}

/// The next received message, which must be a publication (not an error).
async fn next(client: &Client) -> Message {
    let got = tokio::time::timeout(Duration::from_secs(10), client.recv()).await;
    got.expect("a message within 10 s")
        .expect("not ended")
        .expect("a message, not an error")
}

fn offset(msg: &Message) -> u64 {
    msg.header("offset").expect("an offset").parse().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_client_gets_exactly_what_it_missed_then_unrecovered_after_a_restart() {
    let server = TestServer::start_with(with_history(), "127.0.0.1:0".parse().unwrap()).await;
    let url = server.ws_url();
    let client = reconnecting(&url).await;
    client.subscribe(&[ROOM]).await.unwrap();
    let first = client
        .position(ROOM)
        .expect("a history channel has a position after its ack");
    assert_eq!(first.offset, 0, "an empty history starts at 0");
    let publisher = Client::connect(&url).await.unwrap();

    publish(&publisher, 1..=5).await;
    for n in 1..=5 {
        let msg = next(&client).await;
        assert_eq!((offset(&msg), msg.body_text()), (n, Some(format!("m{n}").as_str())));
    }
    assert_eq!(client.position(ROOM).unwrap().offset, 5);

    // The server drops the client (1001: it reconnects); publish while it is away.
    let id = client.client_id().unwrap();
    assert!(server.handle.close_client(&id, 1001, "test: reconnect"));
    let h = server.handle.clone();
    eventually("the client's connection is gone", || {
        let h = h.clone();
        async move { h.connection_count() == 1 }
    })
    .await;
    publish(&publisher, 6..=8).await;

    // Exactly the three it missed, in order, then nothing more (no repeat, no Unrecovered).
    for n in 6..=8 {
        let msg = next(&client).await;
        assert_eq!((offset(&msg), msg.body_text()), (n, Some(format!("m{n}").as_str())));
    }
    assert_ne!(client.client_id().unwrap(), id, "it is a new connection");
    publish(&publisher, 9..=9).await;
    assert_eq!(
        offset(&next(&client).await),
        9,
        "the next one is live, with nothing repeated before it"
    );
    let epoch = client.position(ROOM).unwrap().epoch;

    // history(): the newest two, newest first.
    let last = client.history(ROOM, Some(2), None, true).await.unwrap();
    let offsets: Vec<u64> = last.publications.iter().map(offset).collect();
    assert_eq!((offsets, last.position.offset), (vec![9, 8], 9));

    // A restart loses the memory history: a new epoch, so the restore is Unrecovered.
    let addr = server.addr;
    drop(publisher);
    server.stop().await;
    let server = TestServer::start_with(with_history(), addr).await;
    let got = tokio::time::timeout(Duration::from_secs(10), client.recv()).await;
    let error = got
        .expect("within 10 s")
        .expect("not ended")
        .expect_err("Unrecovered, not a message");
    assert_eq!(error.name(), "Unrecovered", "{error}");
    assert!(error.to_string().contains(ROOM), "{error}");
    let now = client.position(ROOM).expect("the new stream's position");
    assert_ne!(now.epoch, epoch, "a restarted memory backend has a new epoch");

    let publisher = Client::connect(&server.ws_url()).await.unwrap();
    publish(&publisher, 10..=10).await;
    let msg = next(&client).await;
    assert_eq!((offset(&msg), msg.header("epoch")), (1, Some(now.epoch.as_str())));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_of_a_channel_without_history_is_no_history() {
    let server = TestServer::start_with(with_history(), "127.0.0.1:0".parse().unwrap()).await;
    let client = Client::connect(&server.ws_url()).await.unwrap();
    let plain = TestServer::start_with(ServerConfig::default(), "127.0.0.1:0".parse().unwrap()).await;
    let other = Client::connect(&plain.ws_url()).await.unwrap();
    let error = other.history("room", None, None, false).await.expect_err("no history");
    assert_eq!(error.name(), "NoHistory", "{error}");
    assert!(client
        .history("room", None, None, false)
        .await
        .unwrap()
        .publications
        .is_empty());
    server.stop().await;
    plain.stop().await;
}
