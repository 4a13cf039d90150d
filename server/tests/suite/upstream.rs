//! The `upstream` header against a real local HTTP backend, plain and behind TLS.
use crate::common;
use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lhttp_server::Config;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_rustls::TlsAcceptor;

/// What the backend received: method, path and query, a header, body.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>, String)>>>;

/// A real HTTP backend on 127.0.0.1:0; `/slow` answers after 3 s, `/fail` with 500.
async fn backend() -> (String, Seen) {
    backend_with(None).await
}

/// A TLS acceptor with a certificate made for 127.0.0.1, and that certificate (PEM).
fn tls() -> (TlsAcceptor, String) {
    let (config, ca) = lhttp_tls::testing::self_signed(&["127.0.0.1"]);
    (TlsAcceptor::from(config), ca)
}

/// The backend of [`backend`], serving HTTPS with `tls` when given.
async fn backend_with(tls: Option<TlsAcceptor>) -> (String, Seen) {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = log.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        let method = req.method().to_string();
                        let target = req.uri().to_string();
                        let header = req
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .map(String::from);
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        log.lock().unwrap().push((
                            method,
                            target.clone(),
                            header,
                            String::from_utf8_lossy(&body).into(),
                        ));
                        if target == "/slow" {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                        }
                        let status = if target == "/fail" { 500 } else { 200 };
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::from("saved")))
                                .unwrap(),
                        )
                    }
                });
                let http = hyper::server::conn::http1::Builder::new();
                match tls {
                    // A handshake the caller refuses just ends this connection.
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(stream).await {
                            let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                        }
                    }
                    None => {
                        let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
            });
        }
    });
    (format!("{scheme}://{addr}"), seen)
}

fn config(allow: &str) -> Config {
    Config {
        upstream_allow: vec![allow.to_string()],
        upstream_timeout: Duration::from_secs(1),
        upstream_reply: true,
        ..Config::default()
    }
}

#[tokio::test]
async fn post_forwards_the_body_and_headers_and_publish_still_happens() {
    let (base, seen) = backend().await;
    let s = start_with(config(&format!("{base}/record"))).await;
    let mut mike = Client::connect(&s).await;
    mike.subscribe("channel_mike").await;
    let mut jack = Client::connect(&s).await;
    jack.send(&format!("LHTTP/1.0 chat\r\nupstream:POST {base}/record\r\npublish:channel_mike\r\ncontent-type:text/plain\r\n\r\nhello mike,I am jack")).await;
    assert_eq!(mike.recv().await.text(), "hello mike,I am jack");
    let reply = jack.recv().await;
    assert_eq!(
        (reply.command.as_str(), reply.header("upstream-status"), reply.text()),
        ("chat", Some("200"), "saved")
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![(
            "POST".into(),
            "/record".into(),
            Some("text/plain".into()),
            "hello mike,I am jack".into()
        )]
    );
    s.stop().await;
}

#[tokio::test]
async fn get_sends_no_body_and_keeps_the_query() {
    let (base, seen) = backend().await;
    let s = start_with(config(&base)).await;
    let mut c = Client::connect(&s).await;
    c.send(&format!(
        "LHTTP/1.0 chat\r\nupstream:GET {base}/users?user=user_a&age=26\r\n\r\nignored body"
    ))
    .await;
    assert_eq!(c.recv().await.header("upstream-status"), Some("200"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        (seen[0].0.as_str(), seen[0].1.as_str(), seen[0].3.as_str()),
        ("GET", "/users?user=user_a&age=26", "")
    );
    s.stop().await;
}

#[tokio::test]
async fn urls_outside_the_allow_list_are_refused_without_any_request() {
    let (base, seen) = backend().await;
    let s = start_with(config(&format!("{base}/api"))).await;
    let mut c = Client::connect(&s).await;
    for url in [
        "http://169.254.169.254/latest/meta-data".to_string(),
        format!("{base}/apix"),
        format!("{base}/api/../admin"),
        format!("{}/api", base.replace("http://", "http://user@")),
        "file:///etc/passwd".to_string(),
    ] {
        c.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {url}\r\nid:r\r\n\r\n"))
            .await;
        let e = c.expect_error().await;
        assert_eq!(e.header("code"), Some("UpstreamRefused"), "{url}");
        assert_eq!(e.header("id"), Some("r"));
    }
    // With no allow-list at all, everything is refused.
    let open = start_with(Config::default()).await;
    let mut c2 = Client::connect(&open).await;
    c2.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {base}/api\r\n\r\n"))
        .await;
    assert_eq!(c2.expect_error().await.header("code"), Some("UpstreamRefused"));
    assert!(seen.lock().unwrap().is_empty());
    // Allowed and under the prefix works.
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {base}/api/ok\r\n\r\n"))
        .await;
    assert_eq!(c.recv().await.header("upstream-status"), Some("200"));
    s.stop().await;
    open.stop().await;
}

#[tokio::test]
async fn timeouts_failures_and_dead_backends_get_error_replies_without_blocking_the_connection() {
    let (base, _) = backend().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let s = start_with(Config {
        upstream_allow: vec![base.clone(), dead.clone()],
        ..config(&base)
    })
    .await;
    let mut c = Client::connect(&s).await;
    c.send(&format!(
        "LHTTP/1.0 chat\r\nupstream:GET {base}/slow\r\nid:slow\r\n\r\n"
    ))
    .await;
    // The read loop is not blocked by the slow call: this is answered first.
    let ack = c.recv().await;
    assert_eq!((ack.command.as_str(), ack.header("id")), ("ack", Some("slow")));
    c.request("chat", &[], "", "meanwhile").await;
    let e = c.expect_error().await;
    assert_eq!(
        (e.header("code"), e.header("id")),
        (Some("UpstreamTimeout"), Some("slow"))
    );
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:POST {base}/fail\r\n\r\n"))
        .await;
    assert_eq!(c.expect_error().await.header("code"), Some("UpstreamFailed"));
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:POST {dead}/x\r\n\r\n"))
        .await;
    assert_eq!(c.expect_error().await.header("code"), Some("UpstreamFailed"));
    c.send("LHTTP/1.0 chat\r\nupstream:POST\r\n\r\n").await;
    assert_eq!(c.expect_error().await.header("code"), Some("Upstream"));
    s.stop().await;
}

#[tokio::test]
async fn concurrency_limit_refuses_calls_beyond_it() {
    let (base, _) = backend().await;
    let s = start_with(Config {
        upstream_concurrency: 1,
        upstream_timeout: Duration::from_secs(5),
        ..config(&base)
    })
    .await;
    let mut c = Client::connect(&s).await;
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {base}/slow\r\n\r\n"))
        .await;
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {base}/slow\r\nid:2\r\n\r\n"))
        .await;
    let e = c.expect_error().await;
    assert_eq!((e.header("code"), e.header("id")), (Some("UpstreamFailed"), Some("2")));
    assert!(e.header("detail").unwrap().contains("too many"));
    s.stop().await;
}

#[tokio::test]
async fn https_backends_are_reached_with_the_configured_ca_and_refused_cleanly_without_it() {
    let (acceptor, ca) = tls();
    let (base, seen) = backend_with(Some(acceptor)).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let ca_file = std::env::temp_dir().join(format!("lhttp-upstream-ca-{}-{port}.pem", std::process::id()));
    std::fs::write(&ca_file, &ca).unwrap();
    let trusted = Config {
        upstream_ca: Some(ca_file.clone()),
        ..config(&base)
    };
    lhttp_server::Server::build(trusted.clone())
        .await
        .expect("a readable CA file is accepted");
    let s = start_with(trusted).await;
    let mut c = Client::connect(&s).await;
    c.send(&format!(
        "LHTTP/1.0 chat\r\nupstream:POST {base}/record\r\n\r\nover tls"
    ))
    .await;
    let reply = c.recv().await;
    assert_eq!((reply.header("upstream-status"), reply.text()), (Some("200"), "saved"));
    assert_eq!(seen.lock().unwrap()[0].3, "over tls");
    s.stop().await;

    // Without the CA the backend's certificate is unknown: an error reply, nothing sent.
    let s = start_with(config(&base)).await;
    let mut c = Client::connect(&s).await;
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {base}/x\r\nid:t\r\n\r\n"))
        .await;
    // The message is acked at once; the call's failure follows.
    assert_eq!(c.recv().await.command, "ack");
    let e = c.expect_error().await;
    assert_eq!((e.header("code"), e.header("id")), (Some("UpstreamFailed"), Some("t")));
    let detail = e.header("detail").unwrap_or_default();
    // e.g. "TLS with backend: invalid peer certificate: UnknownIssuer"
    assert!(detail.contains("TLS"), "{detail}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    s.stop().await;

    // An https:// prefix may not be reached over http://, nor the other way round.
    let plain = base.replacen("https://", "http://", 1);
    let s = start_with(config(&base)).await;
    let mut c = Client::connect(&s).await;
    c.send(&format!("LHTTP/1.0 chat\r\nupstream:GET {plain}/x\r\n\r\n"))
        .await;
    assert_eq!(c.expect_error().await.header("code"), Some("UpstreamRefused"));
    s.stop().await;

    // A server refuses to be built with a CA file it cannot read or use (lhttpd
    // builds it before it listens).
    let missing = Config {
        upstream_ca: Some(ca_file.with_extension("missing")),
        ..config(&base)
    };
    assert!(refused_start(missing).await.contains("upstream CA"));
    std::fs::write(&ca_file, "not a certificate").unwrap();
    let bad = Config {
        upstream_ca: Some(ca_file.clone()),
        ..config(&base)
    };
    assert!(refused_start(bad).await.contains("TLS for https:// upstream"));
    std::fs::remove_file(&ca_file).unwrap();
}

/// Why a server with `config` refused to start (it must refuse).
async fn refused_start(config: Config) -> String {
    let build = lhttp_server::Server::build(config);
    let err = tokio::time::timeout(Duration::from_secs(10), build)
        .await
        .expect("the server refuses at once")
        .err()
        .expect("a CA file it cannot use is refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    err.to_string()
}
