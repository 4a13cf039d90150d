//! Graceful shutdown: close frames with 1001, in-flight upstream calls finish.
use crate::common;
use common::*;
use lhttp_server::{Config, Server, CLOSE_GOING_AWAY};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn shutdown_closes_connections_and_waits_for_upstream_calls() {
    // A backend that answers after 500 ms and counts finished answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        d.fetch_add(1, Ordering::SeqCst);
    });
    let cfg = Config {
        upstream_allow: vec![base.clone()],
        ..Config::default()
    };
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let server = Server::build(cfg).await.unwrap();
    let handle = server.handle();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(tcp, async {
        let _ = rx.await;
    }));
    let mut c = Client::connect_url(&format!("ws://{addr}/")).await;
    c.request("chat", &[("upstream", &format!("POST {base}/x"))], "payload", "u")
        .await;
    tx.send(()).unwrap();
    match c.event().await {
        Event::Closed(code) => assert_eq!(code, Some(CLOSE_GOING_AWAY)),
        Event::Message(m) => panic!("expected close, got {m:?}"),
    }
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert_eq!(
        done.load(Ordering::SeqCst),
        1,
        "run() returned only after the upstream call finished"
    );
    assert_eq!(handle.connection_count(), 0);
    // No longer accepting.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
