//! `GET /metrics` from a real server after real traffic: error replies by name,
//! closes by code, deliveries by namespace, the histograms of outbox depth and
//! upstream call time, and a refused upstream call not counted as one started.
use crate::common;
use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lhttp_server::{Config, Namespace, PublishRule};
use std::time::Duration;

/// A real HTTP backend on 127.0.0.1:0 answering 200 `saved` to everything.
async fn backend() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let svc = service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("saved"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// A namespace `chat` of its own, a namespace `notice` nobody publishes to, one
/// allowed upstream URL, and 3 messages per connection (a rate of one per 100 s).
fn config(base: &str) -> Config {
    let mut c = Config {
        upstream_allow: vec![format!("{base}/record")],
        upstream_timeout: Duration::from_secs(5),
        upstream_reply: true,
        ..Config::default()
    };
    c.namespaces.insert("chat".into(), Namespace::default());
    c.namespaces.insert(
        "notice".into(),
        Namespace {
            publish: PublishRule::Nobody,
            ..Namespace::default()
        },
    );
    (c.limits.message_rate, c.limits.message_burst) = (0.01, 3);
    c
}

/// The lines of `page` that start with `name` followed by a label set or a space.
fn samples<'a>(page: &'a str, name: &str) -> Vec<&'a str> {
    page.lines()
        .filter(|l| l.strip_prefix(name).is_some_and(|r| r.starts_with(['{', ' '])))
        .collect()
}

/// The value of the sample line that starts with `sample` (name and labels).
fn value(page: &str, sample: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_carry_labels_and_histograms_and_refusals_are_no_calls() {
    let base = backend().await;
    let s = start_with(config(&base)).await;

    // A delivery in the `chat` namespace and one in the default namespace.
    let mut sub = Client::connect(&s).await;
    sub.subscribe("chat:room").await;
    sub.subscribe("room").await;
    let mut publisher = Client::connect(&s).await;
    publisher.request("chat", &[("publish", "chat:room")], "hi", "1").await;
    publisher.request("chat", &[("publish", "room")], "hello", "2").await;
    assert_eq!(sub.recv().await.text(), "hi");
    assert_eq!(sub.recv().await.text(), "hello");

    // An error reply by name: nobody publishes to `notice`.
    let mut refused = Client::connect(&s).await;
    refused
        .send("LHTTP/1.0 chat\r\npublish:notice:x\r\nid:1\r\n\r\nno")
        .await;
    assert_eq!(refused.expect_error().await.header("code"), Some("Forbidden"));

    // An upstream call that goes out, and one refused before it does.
    let mut caller = Client::connect(&s).await;
    caller
        .send(&format!(
            "LHTTP/1.0 chat\r\nupstream:POST {base}/record\r\nid:1\r\n\r\nsave"
        ))
        .await;
    // Its ack, then the backend's answer.
    let mut reply = caller.recv().await;
    if reply.header("upstream-status").is_none() {
        reply = caller.recv().await;
    }
    assert_eq!((reply.header("upstream-status"), reply.text()), (Some("200"), "saved"));
    caller
        .send(&format!(
            "LHTTP/1.0 chat\r\nupstream:POST {base}/elsewhere\r\nid:2\r\n\r\nsave"
        ))
        .await;
    assert_eq!(caller.expect_error().await.header("code"), Some("UpstreamRefused"));

    // A close by code: a flood past the message rate is closed with 1008.
    let mut flood = Client::connect(&s).await;
    for id in 1..=8 {
        flood.send(&format!("LHTTP/1.0 chat\r\nid:{id}\r\n\r\n")).await;
    }
    loop {
        match flood.event().await {
            Event::Closed(code) => {
                assert_eq!(code, Some(1008));
                break;
            }
            Event::Message(_) => {}
        }
    }

    let (status, page) = http(&s.http(), "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    for (sample, want) in [
        ("lhttp_errors_total{code=\"Forbidden\"}", 1.0),
        ("lhttp_errors_total{code=\"UpstreamRefused\"}", 1.0),
        ("lhttp_closes_total{code=\"1008\"}", 1.0),
        ("lhttp_deliveries_total{namespace=\"chat\"}", 1.0),
        ("lhttp_deliveries_total{namespace=\"\"}", 1.0),
        ("lhttp_drops_total{namespace=\"chat\"}", 0.0),
        ("lhttp_drops_total{namespace=\"\"}", 0.0),
        // The refused call is no call started, but a refusal and a failure.
        ("lhttp_upstream_calls_total", 1.0),
        ("lhttp_upstream_refused_total", 1.0),
        ("lhttp_upstream_failures_total", 1.0),
        ("lhttp_upstream_seconds_count", 1.0),
        ("lhttp_upstream_seconds_bucket{le=\"+Inf\"}", 1.0),
        ("lhttp_upstream_seconds_bucket{le=\"10.0\"}", 1.0),
        ("lhttp_rate_limit_closes_total", 1.0),
    ] {
        assert_eq!(value(&page, sample), Some(want), "{sample} in\n{page}");
    }
    assert!(
        value(&page, "lhttp_errors_total{code=\"RateLimited\"}").unwrap_or(0.0) >= 1.0,
        "{page}"
    );
    // The notice namespace has its own table: its counters exist, at zero.
    assert_eq!(
        value(&page, "lhttp_deliveries_total{namespace=\"notice\"}"),
        Some(0.0),
        "{page}"
    );
    // Unlabelled families keep their one unlabelled line.
    assert_eq!(samples(&page, "lhttp_messages_in_total").len(), 1, "{page}");
    // The histograms: a bucket per bound and +Inf, a sum and a count. Outbox
    // depth is sampled (one push in 64 per thread, the first included).
    assert_eq!(samples(&page, "lhttp_upstream_seconds_bucket").len(), 12, "{page}");
    assert!(
        value(&page, "lhttp_upstream_seconds_sum").is_some_and(|v| v > 0.0 && v < 5.0),
        "{page}"
    );
    assert_eq!(samples(&page, "lhttp_outbox_depth_bucket").len(), 9, "{page}");
    let depth = value(&page, "lhttp_outbox_depth_count").unwrap();
    assert!((0.0..=2.0).contains(&depth), "{page}");
    assert!(page.contains("# TYPE lhttp_upstream_seconds histogram\n"), "{page}");
    assert!(page.ends_with("# EOF\n"), "{page}");
    s.stop().await;
}
