//! Promises of the spec that no other test held the server to: what a
//! publication leaves out (9.2), what an upstream call forwards and adds and
//! that it answers nothing by default (9.6), and `/healthz` while the server
//! stops (10.2). Each test fails when its promise breaks.
use crate::common;
use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lhttp_server::Config;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const QUIET: Duration = Duration::from_millis(500);

/// The headers of each request a real HTTP backend on 127.0.0.1:0 received.
type Calls = Arc<Mutex<Vec<Vec<(String, String)>>>>;

async fn backend() -> (String, Calls) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls: Calls = Arc::default();
    let log = calls.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        let _ = req.into_body().collect().await;
                        log.lock().unwrap().push(headers);
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("answer"))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), calls)
}

#[tokio::test]
async fn a_publication_goes_out_without_the_instructions_it_carried() {
    let (base, calls) = backend().await;
    let config = Config {
        upstream_allow: vec![base.clone()],
        ..Config::default()
    };
    let s = start_with(config).await;
    let mut sub = Client::connect(&s).await;
    sub.subscribe("room").await;
    let mut publisher = Client::connect(&s).await;
    publisher
        .send(&format!(
            "LHTTP/1.0 chat\r\npublish:room\r\nsubscribe:other\r\nunsubscribe:gone\r\nupstream:POST {base}/hook\r\n\
             since:other a:1\r\nid:7\r\nfrom:ann\r\n\r\nhello"
        ))
        .await;
    let m = sub.recv().await;
    assert_eq!(
        (m.command.as_str(), m.text(), m.header("from")),
        ("chat", "hello", Some("ann"))
    );
    for instruction in ["subscribe", "unsubscribe", "upstream", "since", "id"] {
        assert_eq!(m.header(instruction), None, "{instruction} is not published: {m:?}");
    }
    assert_eq!(m.header("publish"), Some("room"), "the channel list stays");
    until(|| !calls.lock().unwrap().is_empty()).await;
    s.stop().await;
}

#[tokio::test]
async fn an_upstream_call_forwards_the_messages_headers_adds_its_own_and_by_default_answers_nothing() {
    let (base, calls) = backend().await;
    let config = Config {
        upstream_allow: vec![base.clone()],
        ..Config::default()
    };
    assert!(!config.upstream_reply, "reply mode is off by default");
    let s = start_with(config).await;
    let mut c = Client::connect(&s).await;
    let ack = c
        .request(
            "order",
            &[
                ("upstream", &format!("POST {base}/orders")),
                ("x-user", "ann"),
                ("authorization", "Bearer secret"),
                ("unsubscribe", "orders"),
            ],
            "1 pizza",
            "9",
        )
        .await;
    assert_eq!(ack.command, "ack");
    until(|| !calls.lock().unwrap().is_empty()).await;
    let headers = calls.lock().unwrap()[0].clone();
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("x-user"), Some("ann"), "{headers:?}");
    assert_eq!(get("lhttp-command"), Some("order"));
    assert_eq!(get("lhttp-client-id"), Some(c.client_id.as_str()));
    // (`token` is kept back too: tokens.rs checks it on a server that verifies tokens.)
    for never in ["authorization", "unsubscribe", "upstream", "id", "publish", "multipart"] {
        assert_eq!(get(never), None, "{never} is not forwarded: {headers:?}");
    }
    // The backend answered 200 "answer": without reply mode the client hears nothing of it.
    assert!(
        c.try_recv(QUIET).await.is_none(),
        "no upstream answer without reply mode"
    );
    s.stop().await;
}

#[tokio::test]
async fn healthz_says_stopping_with_503_while_the_server_shuts_down() {
    let mut config = Config::default();
    config.limits.shutdown_grace = Duration::from_secs(3);
    let s = start_with(config).await;
    // A WebSocket client that never answers the close frame keeps the server in its grace.
    let _lingering = Client::connect(&s).await;
    let mut http = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let ask = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
    let before = healthz(&mut http, &ask).await;
    assert!(
        before.starts_with("HTTP/1.1 200") && before.contains(r#""status":"ok""#),
        "{before}"
    );
    s.handle.shutdown();
    until(|| s.handle.is_shutting_down()).await;
    let during = healthz(&mut http, &ask).await;
    assert!(
        during.starts_with("HTTP/1.1 503") && during.contains(r#""status":"stopping""#),
        "{during}"
    );
    let _ = tokio::time::timeout(WAIT, s.task).await;
}

/// Sends `ask` on a kept-alive HTTP connection and reads the answer.
async fn healthz(http: &mut tokio::net::TcpStream, ask: &str) -> String {
    http.write_all(ask.as_bytes()).await.unwrap();
    let mut buf = vec![0; 2048];
    let n = tokio::time::timeout(WAIT, http.read(&mut buf)).await.unwrap().unwrap();
    String::from_utf8_lossy(&buf[..n]).to_string()
}
