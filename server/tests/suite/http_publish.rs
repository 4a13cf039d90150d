//! `POST /publish`, `/healthz`, `/metrics` and static files on the same port.
use crate::common;
use common::*;
use lhttp_server::Config;

#[tokio::test]
async fn http_publish_without_token_on_loopback_reaches_subscribers() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("channel_test").await;
    let (status, body) = http(
        &s.http(),
        "POST",
        "/publish",
        &[],
        b"LHTTP/1.0 chat\r\npublish:channel_test\r\n\r\nhello channel_test guys!",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"deliveries":1}"#));
    let m = a.recv().await;
    assert_eq!(m.text(), "hello channel_test guys!");
    s.stop().await;
}

#[tokio::test]
async fn http_publish_with_token_requires_it() {
    let s = start_with(Config {
        publish_token: Some("s3cret".into()),
        ..Config::default()
    })
    .await;
    let mut a = Client::connect(&s).await;
    a.subscribe("room").await;
    let msg = b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi";
    assert_eq!(http(&s.http(), "POST", "/publish", &[], msg).await.0, 401);
    assert_eq!(
        http(&s.http(), "POST", "/publish", &[("Authorization", "Bearer wrong")], msg)
            .await
            .0,
        401
    );
    assert!(a.try_recv(std::time::Duration::from_millis(200)).await.is_none());
    let (status, body) = http(
        &s.http(),
        "POST",
        "/publish",
        &[("Authorization", "Bearer s3cret")],
        msg,
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"deliveries":1}"#));
    assert_eq!(a.recv().await.text(), "hi");
    s.stop().await;
}

#[tokio::test]
async fn http_publish_bad_messages_get_400_with_the_core_error_name() {
    let s = start_with(Config::default()).await;
    for (msg, name) in [
        (&b"HTTP/1.1 chat\r\n\r\n"[..], "Version"),
        (b"LHTTP/1.0 chat\r\nno colon\r\n\r\n", "HeaderName"),
        (b"LHTTP/1.0 chat\r\n\r\nno publish header", "NoChannel"),
    ] {
        let (status, body) = http(&s.http(), "POST", "/publish", &[], msg).await;
        assert_eq!(status, 400);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], name);
    }
    s.stop().await;
}

#[test]
fn open_publish_on_a_public_address_is_refused_unless_insecure_is_explicit() {
    let public = Config {
        listen: "0.0.0.0:8081".parse().unwrap(),
        ..Config::default()
    };
    assert!(public.validate().unwrap_err().contains("--insecure-open-publish"));
    let with_token = Config {
        publish_token: Some("t".into()),
        ..public.clone()
    };
    assert!(with_token.validate().is_ok());
    let insecure = Config {
        insecure_open_publish: true,
        ..public
    };
    assert!(insecure.validate().is_ok());
}

#[tokio::test]
async fn healthz_metrics_and_the_demo_page() {
    let s = start_with(Config::default()).await;
    let mut a = Client::connect(&s).await;
    a.subscribe("room").await;
    let (status, body) = http(&s.http(), "GET", "/healthz", &[], b"").await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["status"].as_str(), v["broker"].as_str(), v["connections"].as_u64()),
        (Some("ok"), Some("embedded"), Some(1))
    );
    let (status, body) = http(&s.http(), "GET", "/metrics", &[], b"").await;
    assert_eq!(status, 200);
    for line in [
        "lhttp_connections 1",
        "lhttp_channels 1",
        "lhttp_messages_in_total 1",
        "lhttp_drops_total{namespace=\"\"} 0",
    ] {
        assert!(body.lines().any(|l| l == line), "missing {line:?} in\n{body}");
    }
    let (status, body) = http(&s.http(), "GET", "/", &[], b"").await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>lhttp chat</title>"));
    let (status, _) = http(&s.http(), "GET", "/../Cargo.toml", &[], b"").await;
    assert_eq!(status, 404);
    s.stop().await;
}

#[tokio::test]
async fn static_directory_and_mounts_are_served_without_escaping_them() {
    let dir = std::env::temp_dir().join(format!("lhttp-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sdk")).unwrap();
    std::fs::write(dir.join("index.html"), "<p>demo</p>").unwrap();
    std::fs::write(dir.join("sdk/lib.js"), "export {}").unwrap();
    let cfg = Config {
        static_dir: Some(dir.clone()),
        mounts: vec![("/js".into(), dir.join("sdk"))],
        ..Config::default()
    };
    let s = start_with(cfg).await;
    assert_eq!(http(&s.http(), "GET", "/", &[], b"").await, (200, "<p>demo</p>".into()));
    assert_eq!(
        http(&s.http(), "GET", "/js/lib.js", &[], b"").await,
        (200, "export {}".into())
    );
    assert_eq!(http(&s.http(), "GET", "/js/../index.html", &[], b"").await.0, 404);
    assert_eq!(http(&s.http(), "GET", "/missing.js", &[], b"").await.0, 404);
    s.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
