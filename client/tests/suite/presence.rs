//! Presence end to end through the Rust client (spec 15) against a real lhttpd: a
//! subscriber sees join, then the member's publication, then its leave, in order; a
//! presence query lists the members with the uid and info they declared on the
//! upgrade URL (`--client-identity`); the counts take two connections of one uid as
//! one user; a namespace without presence answers `NoPresence`; the blocking client
//! asks the same.

use crate::common;

use std::time::Duration;

use common::{eventually, TestServer};
use lhttp_client::{BlockingClient, Client, Message, MessageExt, PresenceEvent, PresenceKind, PresenceStats};
use lhttp_server::{Config as ServerConfig, Namespace};

const ROOM: &str = "room";
/// A namespace with a table of its own and no presence.
const QUIET: &str = "quiet:room";

/// Presence and join/leave for the default namespace, no grace (a closed connection
/// leaves at once), self-declared identity; `quiet` keeps none.
fn with_presence() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.namespace.presence = true;
    config.namespace.join_leave = true;
    config.presence.grace = Duration::ZERO;
    config.presence.client_identity = true;
    config.namespaces.insert("quiet".into(), Namespace::default());
    config
}

/// The server's URL with a self-declared uid and info (`{"name": <name>}`), URL-encoded.
fn as_user(server: &TestServer, uid: &str, name: &str) -> String {
    let mut url = url::Url::parse(&server.ws_url()).unwrap();
    let info = serde_json::json!({ "name": name }).to_string();
    url.query_pairs_mut().append_pair("uid", uid).append_pair("info", &info);
    url.into()
}

async fn connect(url: &str) -> Client {
    Client::connect(url).await.expect("connects")
}

/// The next received message (not an error).
async fn next(client: &Client) -> Message {
    let got = tokio::time::timeout(Duration::from_secs(10), client.recv()).await;
    got.expect("a message within 10 s")
        .expect("not ended")
        .expect("a message, not an error")
}

/// The next received message, which must be a presence event.
async fn next_event(client: &Client) -> PresenceEvent {
    let msg = next(client).await;
    match msg.presence_event() {
        Some(event) => event.expect("a readable event"),
        None => panic!("a join or leave, not {msg:?}"),
    }
}

fn id(client: &Client) -> String {
    client.client_id().expect("connected")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_sees_join_then_the_publication_then_leave() {
    let server = TestServer::start_with(with_presence(), "127.0.0.1:0".parse().unwrap()).await;
    let ann = connect(&as_user(&server, "ann", "Ann")).await;
    ann.subscribe(&[ROOM]).await.unwrap();
    // Its own join comes before the subscribe's ack, so it is already here.
    let own = next_event(&ann).await;
    assert_eq!((own.kind, own.channel.as_str()), (PresenceKind::Join, ROOM));
    assert_eq!((own.member.client, own.member.uid.as_str()), (id(&ann), "ann"));
    assert_eq!(own.member.info.get("name").map(String::as_str), Some("Ann"));

    // A connection without identity: no uid, no info.
    let bob = connect(&server.ws_url()).await;
    bob.subscribe(&[ROOM]).await.unwrap();
    let join = next_event(&ann).await;
    assert_eq!(join.kind, PresenceKind::Join);
    assert_eq!((join.member.client, join.member.uid.as_str()), (id(&bob), ""));
    assert!(join.member.info.is_empty(), "{:?}", join.member.info);
    assert_eq!(join.reason, "");

    bob.publish(&[ROOM], "chat", &[], b"hi").await.unwrap();
    bob.unsubscribe(&[ROOM]).await.unwrap();
    let hi = next(&ann).await;
    assert!(hi.presence_event().is_none(), "a publication is no event");
    assert_eq!((hi.command(), hi.body_text()), ("chat", Some("hi")));
    let leave = next_event(&ann).await;
    assert_eq!(
        (leave.kind, leave.member.client, leave.reason.as_str()),
        (PresenceKind::Leave, id(&bob), "unsubscribe")
    );

    // A connection with a uid that closes leaves at once without a grace, with its uid.
    let cy = connect(&as_user(&server, "cy", "Cy")).await;
    cy.subscribe(&[ROOM]).await.unwrap();
    let cy_id = id(&cy);
    assert_eq!(next_event(&ann).await.member.client, cy_id);
    cy.close().await.unwrap();
    let gone = next_event(&ann).await;
    assert_eq!(
        (
            gone.kind,
            gone.member.client,
            gone.member.uid.as_str(),
            gone.reason.as_str()
        ),
        (PresenceKind::Leave, cy_id, "cy", "disconnect")
    );
    assert_eq!(gone.member.info.get("name").map(String::as_str), Some("Cy"));
    assert!(ann.try_recv().unwrap().is_none(), "nothing else arrived");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_lists_members_with_their_identity_and_counts_users() {
    let server = TestServer::start_with(with_presence(), "127.0.0.1:0".parse().unwrap()).await;
    let ann = connect(&as_user(&server, "ann", "Ann")).await;
    let ann_again = connect(&as_user(&server, "ann", "Ann")).await;
    let bob = connect(&server.ws_url()).await;
    for c in [&ann, &ann_again, &bob] {
        c.subscribe(&[ROOM]).await.unwrap();
    }
    // Asking needs no subscription.
    let asker = connect(&server.ws_url()).await;
    let here = asker.presence(ROOM).await.unwrap();
    assert_eq!(
        here.stats,
        PresenceStats {
            connections: 3,
            users: 1
        }
    );
    assert!(!here.capped);
    let mut ids = vec![id(&ann), id(&ann_again), id(&bob)];
    ids.sort();
    let listed: Vec<&str> = here.members.iter().map(|m| m.client.as_str()).collect();
    assert_eq!(listed, ids, "every member, ordered by client id");
    for m in &here.members {
        if m.client == id(&bob) {
            assert_eq!((m.uid.as_str(), m.info.len()), ("", 0));
        } else {
            assert_eq!(
                (m.uid.as_str(), m.info.get("name").map(String::as_str)),
                ("ann", Some("Ann"))
            );
        }
    }
    assert_eq!(
        asker.presence_stats(ROOM).await.unwrap(),
        PresenceStats {
            connections: 3,
            users: 1
        }
    );

    // One of ann's two connections goes: still one user; then bob: no user without a uid.
    ann_again.close().await.unwrap();
    eventually("ann's second connection left", || async {
        asker.presence_stats(ROOM).await.unwrap().connections == 2
    })
    .await;
    assert_eq!(asker.presence_stats(ROOM).await.unwrap().users, 1);
    ann.close().await.unwrap();
    eventually("ann left", || async {
        asker.presence_stats(ROOM).await.unwrap().connections == 1
    })
    .await;
    let left = asker.presence(ROOM).await.unwrap();
    assert_eq!(left.stats.users, 0);
    assert_eq!(left.members.len(), 1);
    assert_eq!(left.members[0].client, id(&bob));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_longer_than_the_servers_cap_is_capped_with_complete_counts() {
    let mut config = with_presence();
    config.presence.max_members = 1;
    let server = TestServer::start_with(config, "127.0.0.1:0".parse().unwrap()).await;
    let a = connect(&server.ws_url()).await;
    let b = connect(&as_user(&server, "bea", "Bea")).await;
    a.subscribe(&[ROOM]).await.unwrap();
    b.subscribe(&[ROOM]).await.unwrap();
    let here = a.presence(ROOM).await.unwrap();
    assert!(here.capped);
    assert_eq!(here.members.len(), 1);
    assert_eq!((here.stats.connections, here.stats.users), (2, 1));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_without_presence_answers_no_presence() {
    let server = TestServer::start_with(with_presence(), "127.0.0.1:0".parse().unwrap()).await;
    let c = connect(&server.ws_url()).await;
    c.subscribe(&[QUIET]).await.unwrap();
    assert_eq!(c.presence(QUIET).await.unwrap_err().name(), "NoPresence");
    assert_eq!(c.presence_stats(QUIET).await.unwrap_err().name(), "NoPresence");
    // No join on such a channel either: the next message is the publication.
    c.publish(&[QUIET], "chat", &[], b"plain").await.unwrap();
    assert_eq!(next(&c).await.body_text(), Some("plain"));
    // A bad channel name is refused before anything is sent, as for every request.
    assert_eq!(c.presence("two words").await.unwrap_err().name(), "Channel");
    // The connection goes on after the refusals.
    assert_eq!(c.presence_stats(ROOM).await.unwrap(), PresenceStats::default());
    server.stop().await;
}

#[test]
fn the_blocking_client_asks_the_same() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start_with(with_presence(), "127.0.0.1:0".parse().unwrap()));
    let timeout = Duration::from_secs(10);
    let ann = BlockingClient::connect(&as_user(&server, "ann", "Ann"), timeout).unwrap();
    ann.subscribe(&[ROOM]).unwrap();
    let here = ann.presence(ROOM).unwrap();
    assert_eq!(here.members.len(), 1);
    assert_eq!(
        (here.members[0].client.clone(), here.members[0].uid.as_str()),
        (ann.client_id().unwrap(), "ann")
    );
    assert_eq!(
        ann.presence_stats(ROOM).unwrap(),
        PresenceStats {
            connections: 1,
            users: 1
        }
    );
    assert_eq!(ann.presence(QUIET).unwrap_err().name(), "NoPresence");
    let join = ann.recv_timeout(Some(timeout)).unwrap().expect("its own join");
    assert_eq!(join.presence_event().unwrap().unwrap().kind, PresenceKind::Join);
    drop(ann);
    runtime.block_on(server.stop());
}
