//! The client against a real lhttpd: publish/subscribe between two clients, acks,
//! server error replies, refused connections, the server closing, reconnecting with
//! restored subscriptions, and HTTP publish.

use crate::common;

use std::time::Duration;

use common::{eventually, TestServer};
use lhttp_client::{http_publish, Client, Config, Error, Message};

async fn connect(server: &TestServer) -> Client {
    Client::connect(&server.ws_url()).await.expect("connect")
}

async fn next(client: &Client) -> Message {
    client.recv().await.expect("a message").expect("not an error")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_publish_and_receive() {
    let server = TestServer::start().await;
    let alice = connect(&server).await;
    let bob = connect(&server).await;
    let (a_id, b_id) = (alice.client_id().expect("greeting"), bob.client_id().expect("greeting"));
    assert_ne!(a_id, b_id);

    alice.subscribe(&["room", "other"]).await.unwrap();
    let headers = [("x-from".to_string(), "bob".to_string())];
    let n = bob
        .publish_counted(&["room"], "chat", &headers, b"hello alice")
        .await
        .unwrap();
    assert_eq!(n, 1);

    let msg = next(&alice).await;
    assert_eq!(msg.command(), "chat");
    assert_eq!(msg.header("x-from"), Some("bob"));
    assert_eq!(msg.header("publish"), Some("room"));
    assert_eq!(msg.header("id"), None, "the server strips the request id");
    assert_eq!(msg.body(), b"hello alice");

    // Unsubscribed: nobody is reached any more.
    alice.unsubscribe(&["room"]).await.unwrap();
    assert_eq!(bob.publish_counted(&["room"], "chat", &[], b"gone").await.unwrap(), 0);

    // A publisher subscribed to the channel receives its own message.
    bob.subscribe(&["echo"]).await.unwrap();
    bob.publish(&["echo"], "chat", &[], b"me").await.unwrap();
    assert_eq!(next(&bob).await.body(), b"me");
    assert!(alice.try_recv().unwrap().is_none());

    alice.close().await.unwrap();
    assert!(alice.recv().await.is_none(), "recv ends after close");
    assert!(matches!(
        alice.publish(&["room"], "chat", &[], b"x").await,
        Err(Error::Closed { .. })
    ));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_named() {
    let server = TestServer::start().await;
    let client = connect(&server).await;

    // An awaited call refused by the server fails with the server's code.
    let err = client.publish(&["room"], "ack", &[], b"x").await.unwrap_err();
    assert_eq!(err.name(), "ReservedCommand");
    assert!(matches!(err, Error::Server { .. }));

    // A bad message not tied to a call comes back as an `error` message.
    client.send_raw(b"HTTP/1.1 GET /\r\n\r\n").await.unwrap();
    let reply = next(&client).await;
    assert_eq!(reply.command(), "error");
    assert_eq!(reply.header("code"), Some("Version"));

    // An invalid outgoing message is refused before it is sent, with the core name.
    let bad = Message::new("chat").with_header("bad name", "v");
    assert_eq!(client.send(&bad).await.unwrap_err().name(), "HeaderName");
    server.stop().await;
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = Client::connect(&format!("ws://{addr}/")).await.unwrap_err();
    assert!(matches!(err, Error::Connect { status: None, .. }), "{err:?}");
    assert_eq!(err.name(), "Connect");
    let err = Client::connect("http://127.0.0.1:1/").await.unwrap_err();
    assert!(err.to_string().contains("unsupported URL scheme"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_closes_with_a_code() {
    let server = TestServer::start().await;
    let client = connect(&server).await;
    server.stop().await;
    match client.recv().await {
        Some(Err(Error::Closed { code, .. })) => assert_eq!(code, Some(lhttp_server::CLOSE_GOING_AWAY)),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert!(client.recv().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_restores_subscriptions() {
    let first = TestServer::start().await;
    let addr = first.addr;
    let mut config = Config::new(first.ws_url());
    config.reconnect = true;
    config.max_backoff = Duration::from_millis(200);
    let listener = Client::connect_with(config).await.unwrap();
    listener.subscribe(&["news"]).await.unwrap();
    let first_id = listener.client_id().unwrap();

    first.stop().await;
    let second = TestServer::start_with(lhttp_server::Config::default(), addr).await;
    let publisher = connect(&second).await;
    // Once the client is back and re-subscribed, a publish reaches it.
    eventually("the client re-subscribes after the restart", || async {
        publisher
            .publish_counted(&["news"], "flash", &[], b"back")
            .await
            .unwrap()
            == 1
    })
    .await;
    let msg = next(&listener).await;
    assert_eq!((msg.command(), msg.body()), ("flash", &b"back"[..]));
    assert_ne!(listener.client_id().unwrap(), first_id, "a new connection has a new id");

    // The restored client still makes awaited calls.
    listener.subscribe(&["more"]).await.unwrap();
    assert_eq!(publisher.publish_counted(&["more"], "m", &[], b"").await.unwrap(), 1);
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_publish_reaches_subscribers() {
    let config = lhttp_server::Config {
        publish_token: Some("s3cret".into()),
        ..Default::default()
    };
    let server = TestServer::start_with(config, "127.0.0.1:0".parse().unwrap()).await;
    let client = connect(&server).await;
    client.subscribe(&["alerts"]).await.unwrap();

    let headers = [("level".to_string(), "high".to_string())];
    let n = http_publish(
        &server.http_url(),
        &["alerts"],
        "alert",
        &headers,
        b"disk full",
        Some("s3cret"),
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let msg = next(&client).await;
    assert_eq!(msg.command(), "alert");
    assert_eq!(msg.header("level"), Some("high"));
    assert_eq!(msg.body(), b"disk full");

    let err = http_publish(&server.http_url(), &["alerts"], "alert", &[], b"x", None)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Unauthorized");
    // No channel at all: a 400 answer, named by the server.
    let err = http_publish(&server.http_url(), &[], "alert", &[], b"x", Some("s3cret"))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "NoChannel");
    server.stop().await;
}
