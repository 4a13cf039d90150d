//! History and recovery end to end through the Rust client (spec 13): a client that
//! reconnects gets exactly what it missed, once and in order, and a `Recovered`
//! notice; after a server restart (a new epoch) or a history trimmed while away it
//! is told `Unrecovered`; a server reading few headers gets restores it can read;
//! `history()` reads the channel back.

use crate::common;

use std::time::Duration;

use common::{eventually, TestServer};
use lhttp_client::{Client, Config, Message, Recovery, DEFAULT_COMMAND};
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

/// The next recovery notice.
async fn notice(client: &Client) -> Recovery {
    let got = tokio::time::timeout(Duration::from_secs(10), client.recovery()).await;
    got.expect("a recovery notice within 10 s").expect("not ended")
}

/// Drops `client`'s connection from the server side (1001: it reconnects) and waits
/// until the server has let it go, so what is published next is missed.
async fn drop_connection(server: &TestServer, client: &Client, others: usize) -> String {
    let id = client.client_id().unwrap();
    assert!(server.handle.close_client(&id, 1001, "test: reconnect"));
    let h = server.handle.clone();
    eventually("the client's connection is gone", || {
        let h = h.clone();
        async move { h.connection_count() == others }
    })
    .await;
    id
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
    assert_eq!(
        client.try_recovery().unwrap(),
        None,
        "a first subscribe reports nothing"
    );
    let id = drop_connection(&server, &client, 1).await;
    publish(&publisher, 6..=8).await;

    // Exactly the three it missed, in order, then nothing more (no repeat, no Unrecovered).
    for n in 6..=8 {
        let msg = next(&client).await;
        assert_eq!((offset(&msg), msg.body_text()), (n, Some(format!("m{n}").as_str())));
    }
    assert_ne!(client.client_id().unwrap(), id, "it is a new connection");
    assert_eq!(
        notice(&client).await,
        Recovery {
            channel: ROOM.into(),
            recovered: true
        }
    );
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
    assert_eq!(
        notice(&client).await,
        Recovery {
            channel: ROOM.into(),
            recovered: false
        },
        "the notice names the channel too"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_trimmed_while_away_is_unrecovered() {
    let mut config = with_history();
    config.namespace.history_size = 3;
    let server = TestServer::start_with(config, "127.0.0.1:0".parse().unwrap()).await;
    let url = server.ws_url();
    let client = reconnecting(&url).await;
    client.subscribe(&[ROOM]).await.unwrap();
    let publisher = Client::connect(&url).await.unwrap();
    publish(&publisher, 1..=1).await;
    assert_eq!(offset(&next(&client).await), 1);

    // Five while away, with room for three: the one after the client's position is gone.
    drop_connection(&server, &client, 1).await;
    publish(&publisher, 2..=6).await;
    let got = tokio::time::timeout(Duration::from_secs(10), client.recv()).await;
    let error = got.expect("within 10 s").expect("not ended").expect_err("Unrecovered");
    assert_eq!(error.name(), "Unrecovered", "{error}");
    assert_eq!(
        notice(&client).await,
        Recovery {
            channel: ROOM.into(),
            recovered: false
        }
    );
    assert_eq!(
        client.position(ROOM).unwrap().offset,
        6,
        "it goes on from the stream's position"
    );
    publish(&publisher, 7..=7).await;
    assert_eq!(
        offset(&next(&client).await),
        7,
        "none of the old ones, then the live one"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reading_few_headers_gets_restores_it_can_read() {
    // 8 headers per message: a restore carries at most 6 since headers (with its
    // subscribe and id), so 20 channels go out in 4 messages, not 1 the server refuses.
    const CHANNELS: usize = 20;
    let mut config = with_history();
    config.limits.max_headers = 8;
    let server = TestServer::start_with(config, "127.0.0.1:0".parse().unwrap()).await;
    let url = server.ws_url();
    let client = reconnecting(&url).await;
    let names: Vec<String> = (0..CHANNELS).map(|i| format!("chat:c{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    client.subscribe(&refs).await.unwrap();
    let publisher = Client::connect(&url).await.unwrap();

    let first = drop_connection(&server, &client, 1).await;
    for name in &refs {
        publisher
            .publish(&[name], DEFAULT_COMMAND, &[], b"missed")
            .await
            .unwrap();
    }
    let mut recovered = Vec::new();
    for _ in 0..CHANNELS {
        let r = notice(&client).await;
        assert!(r.recovered, "{} was not recovered", r.channel);
        recovered.push(r.channel);
    }
    recovered.sort();
    assert_eq!(recovered, names, "every channel, each once");
    let mut missed = Vec::new();
    for _ in 0..CHANNELS {
        let msg = next(&client).await;
        assert_eq!((offset(&msg), msg.body_text()), (1, Some("missed")));
        missed.push(msg.header("channel").unwrap().to_owned());
    }
    missed.sort();
    assert_eq!(missed, names, "each channel's missed publication, once");

    // One reconnect, then it stays: a live publication reaches the same connection.
    let second = client.client_id().unwrap();
    assert_ne!(second, first);
    publisher
        .publish(&[refs[0]], DEFAULT_COMMAND, &[], b"live")
        .await
        .unwrap();
    assert_eq!(next(&client).await.body_text(), Some("live"));
    assert_eq!(client.client_id().unwrap(), second, "no reconnect loop");
    assert_eq!(client.try_recovery().unwrap(), None, "nothing more to report");
    server.stop().await;
}
