//! Connection and subscription tokens against a real lhttpd (spec 14): HS256,
//! RS256, ES256 and EdDSA tokens signed here with the same crate; refusals of the
//! expired, the not yet valid, the badly signed, `alg: none` and an HS token made
//! with an RSA key; audience and issuer; refresh and expiry; `--require-token`;
//! private and personal channels, publish rules, the `channels` claim, and the
//! uid and info in the directory.

use crate::common;

use common::{http, start_with, Client, Event, WAIT};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use lhttp_server::{Config, Namespace, PublishRule, SubscribeRule};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

const SECRET: &str = "test-secret-of-the-backend";

fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/keys").join(name)
}

fn key(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn hs(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn signed(alg: Algorithm, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&key("rsa.key")).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&key("ec.key")).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&key("ed.key")).unwrap(),
        _ => EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    };
    encode(&Header::new(alg), claims, &key).unwrap()
}

/// A server with every kind of key, a private `priv` namespace, a `notice`
/// namespace nobody publishes to, and `tweak` applied.
fn config(tweak: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config::default();
    c.token.hmac_secret = Some(SECRET.into());
    c.token.public_keys = vec![key_path("rsa.pub"), key_path("ec.pub"), key_path("ed.pub")];
    c.namespaces.insert(
        "priv".into(),
        Namespace {
            subscribe: SubscribeRule::Token,
            ..Namespace::default()
        },
    );
    c.namespaces.insert(
        "notice".into(),
        Namespace {
            publish: PublishRule::Nobody,
            ..Namespace::default()
        },
    );
    tweak(&mut c);
    c
}

async fn connect_with(c: &mut Client, token: &str) -> common::Msg {
    raw_request(c, "connect", &[("token", token)], "c1").await
}

/// Sends a request and returns its `ack` or `error` reply.
async fn raw_request(c: &mut Client, command: &str, headers: &[(&str, &str)], id: &str) -> common::Msg {
    common::Msg::parse(&common::websocket_request(&mut c.ws, command, headers, "", id).await)
}

/// Reads until the connection closes, returning its close code.
async fn closed(c: &mut Client) -> Option<u16> {
    loop {
        match c.event().await {
            Event::Closed(code) => return code,
            Event::Message(_) => {}
        }
    }
}

async fn api(addr: &str, call: &str, body: Value) -> Value {
    let (status, text) = http(addr, "POST", &format!("/api/{call}"), &[], body.to_string()).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["result"].clone()
}

#[tokio::test]
async fn hs_rs_es_and_eddsa_tokens_connect_and_bind_their_uid_and_info() {
    let r = start_with(config(|_| {})).await;
    for (i, alg) in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]
        .into_iter()
        .enumerate()
    {
        let uid = format!("user{i}");
        let token = signed(
            alg,
            &json!({"sub": uid, "exp": now() + 600, "info": {"name": "Ann", "level": 3}}),
        );
        let mut c = Client::connect(&r).await;
        let ack = connect_with(&mut c, &token).await;
        assert_eq!(ack.command, "ack", "{alg:?}: {ack:?}");
        let left: u64 = ack.header("expires-in").unwrap().parse().unwrap();
        assert!((590..=600).contains(&left), "{left}");
        let client = c.client_id.clone();
        assert_eq!(
            api(&r.http(), "uid_of_client", json!({"client": client})).await,
            json!(uid)
        );
        assert_eq!(
            api(&r.http(), "get_info", json!({"client": client})).await,
            json!({"name": "Ann", "level": "3"})
        );
        // Still usable: the connection is open.
        c.subscribe("room").await;
    }
    r.stop().await;
}

#[tokio::test]
async fn refused_tokens_close_with_4003_and_expired_ones_with_4004() {
    let r = start_with(config(|_| {})).await;
    let wrong_secret = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "ann"}),
        &EncodingKey::from_secret(b"another secret").unwrap(),
    )
    .unwrap();
    // alg none: header {"alg":"none","typ":"JWT"}, claims {"sub":"ann"}, no signature.
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbm4ifQ.";
    let future = hs(&json!({"sub": "ann", "nbf": now() + 600}));
    let sub_token = hs(&json!({"sub": "ann", "channel": "priv:x"}));
    for (token, why) in [
        (wrong_secret.as_str(), "signature"),
        (none, "well-formed"),
        (future.as_str(), "not valid yet"),
        (sub_token.as_str(), "subscription token"),
        ("not a jwt", "well-formed"),
    ] {
        let mut c = Client::connect(&r).await;
        let m = connect_with(&mut c, token).await;
        assert_eq!(m.command, "error");
        assert_eq!(m.header("code"), Some("Unauthorized"), "{why}");
        let detail = m.header("detail").unwrap();
        assert!(detail.contains(why), "{why}: {detail}");
        assert!(!detail.contains(token), "a token is never echoed");
        assert_eq!(closed(&mut c).await, Some(4003), "{why}");
    }
    let expired = hs(&json!({"sub": "ann", "exp": now() - 120}));
    let mut c = Client::connect(&r).await;
    let m = connect_with(&mut c, &expired).await;
    assert_eq!(m.header("code"), Some("TokenExpired"));
    assert_eq!(closed(&mut c).await, Some(4004));
    r.stop().await;
}

#[tokio::test]
async fn an_hs_token_made_with_the_rsa_public_key_is_refused() {
    // Only an RSA key: the classic confusion signs HS256 with the public key's bytes.
    let r = start_with(config(|c| {
        c.token.hmac_secret = None;
        c.token.public_keys = vec![key_path("rsa.pub")];
    }))
    .await;
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "admin"}),
        &EncodingKey::from_secret(&key("rsa.pub")).unwrap(),
    )
    .unwrap();
    let mut c = Client::connect(&r).await;
    let m = connect_with(&mut c, &forged).await;
    assert_eq!(m.header("code"), Some("Unauthorized"));
    assert!(m.header("detail").unwrap().contains("algorithm"), "{m:?}");
    assert_eq!(closed(&mut c).await, Some(4003));
    let mut c = Client::connect(&r).await;
    let good = signed(Algorithm::RS256, &json!({"sub": "admin"}));
    assert_eq!(connect_with(&mut c, &good).await.command, "ack");
    r.stop().await;
}

#[tokio::test]
async fn audience_and_issuer_are_checked_when_configured() {
    let r = start_with(config(|c| {
        c.token.audience = Some("chat".into());
        c.token.issuer = Some("backend".into());
    }))
    .await;
    for (claims, ok) in [
        (json!({"sub": "a", "aud": "chat", "iss": "backend"}), true),
        (json!({"sub": "a", "aud": "other", "iss": "backend"}), false),
        (json!({"sub": "a", "aud": "chat", "iss": "someone"}), false),
        (json!({"sub": "a", "iss": "backend"}), false),
    ] {
        let mut c = Client::connect(&r).await;
        let m = connect_with(&mut c, &hs(&claims)).await;
        assert_eq!(m.command == "ack", ok, "{claims}: {m:?}");
    }
    r.stop().await;
}

#[tokio::test]
async fn a_refresh_keeps_the_connection_and_none_closes_it_after_the_grace() {
    let r = start_with(config(|c| c.token.grace = Some(Duration::ZERO))).await;
    let short = hs(&json!({"sub": "ann", "exp": now() + 1}));
    let mut kept = Client::connect(&r).await;
    let mut dropped = Client::connect(&r).await;
    assert_eq!(connect_with(&mut kept, &short).await.command, "ack");
    assert_eq!(connect_with(&mut dropped, &short).await.command, "ack");
    // Another uid is refused, and changes nothing.
    let other = hs(&json!({"sub": "bob", "exp": now() + 3600}));
    let m = raw_request(&mut kept, "refresh", &[("token", &other)], "r0").await;
    assert_eq!(m.header("code"), Some("Unauthorized"));
    let long = hs(&json!({"sub": "ann", "exp": now() + 3600}));
    let m = raw_request(&mut kept, "refresh", &[("token", &long)], "r1").await;
    assert_eq!(m.command, "ack", "{m:?}");
    assert!(m.header("expires-in").unwrap().parse::<u64>().unwrap() > 3000);
    // The one that did not refresh is closed once its token is past (same deadline as
    // the other's first token) ...
    assert_eq!(closed(&mut dropped).await, Some(4004));
    // ... and the refreshed one still answers.
    kept.subscribe("room").await;
    r.stop().await;
}

#[tokio::test]
async fn require_token_refuses_messages_and_closes_a_silent_connection() {
    let r = start_with(config(|c| {
        c.token.require = true;
        c.token.connect_timeout = Some(Duration::from_millis(300));
    }))
    .await;
    let mut silent = Client::connect(&r).await;
    let m =
        common::Msg::parse(&common::websocket_request(&mut silent.ws, "chat", &[("subscribe", "room")], "", "1").await);
    assert_eq!(m.header("code"), Some("Unauthorized"));
    assert_eq!(closed(&mut silent).await, Some(4005));
    // One that authenticates stays past the timeout.
    let mut ok = Client::connect(&r).await;
    assert_eq!(connect_with(&mut ok, &hs(&json!({"sub": "ann"}))).await.command, "ack");
    let mut late = Client::connect(&r).await;
    assert_eq!(
        closed(&mut late).await,
        Some(4005),
        "a third, silent, is closed after the timeout"
    );
    ok.subscribe("room").await;
    r.stop().await;
}

#[tokio::test]
async fn private_channels_need_their_subscription_token() {
    let r = start_with(config(|_| {})).await;
    let mut c = Client::connect(&r).await;
    assert_eq!(connect_with(&mut c, &hs(&json!({"sub": "ann"}))).await.command, "ack");
    let m = common::Msg::parse(
        &common::websocket_request(&mut c.ws, "subscribe", &[("subscribe", "priv:x")], "", "1").await,
    );
    assert_eq!(
        (m.header("code"), m.header("channel")),
        (Some("Forbidden"), Some("priv:x"))
    );
    let wrong = hs(&json!({"sub": "ann", "channel": "priv:y"}));
    let m = common::Msg::parse(
        &common::websocket_request(
            &mut c.ws,
            "subscribe",
            &[("subscribe", "priv:x"), ("token", &wrong)],
            "",
            "2",
        )
        .await,
    );
    assert_eq!(m.header("code"), Some("Unauthorized"), "{m:?}");
    let bobs = hs(&json!({"sub": "bob", "channel": "priv:x"}));
    let m = common::Msg::parse(
        &common::websocket_request(
            &mut c.ws,
            "subscribe",
            &[("subscribe", "priv:x"), ("token", &bobs)],
            "",
            "3",
        )
        .await,
    );
    assert_eq!(m.header("code"), Some("Unauthorized"), "another uid's token: {m:?}");
    let good = hs(&json!({"sub": "ann", "channel": "priv:x", "exp": now() + 600}));
    let ack = c
        .request("subscribe", &[("subscribe", "priv:x"), ("token", &good)], "", "4")
        .await;
    assert!(ack.header("expires-in").is_some(), "{ack:?}");
    // The token is an instruction: a publish carrying one never shows it.
    c.send(&format!(
        "LHTTP/1.0 chat\r\nsubscribe:priv:x\r\npublish:priv:x\r\ntoken:{good}\r\n\r\nhi"
    ))
    .await;
    let got = c.recv().await;
    assert_eq!(got.text(), "hi");
    assert!(got.header("token").is_none());
    r.stop().await;
}

#[tokio::test]
async fn an_expired_subscription_token_ends_the_subscription() {
    let r = start_with(config(|c| c.token.grace = Some(Duration::ZERO))).await;
    let mut c = Client::connect(&r).await;
    let token = hs(&json!({"channel": "priv:x", "exp": now() + 1}));
    c.request("subscribe", &[("subscribe", "priv:x"), ("token", &token)], "", "1")
        .await;
    let m = tokio::time::timeout(WAIT, c.expect_error()).await.unwrap();
    assert_eq!(
        (
            m.header("code"),
            m.header("channel"),
            m.header("command"),
            m.header("id")
        ),
        (Some("TokenExpired"), Some("priv:x"), Some("subscribe"), None)
    );
    assert_eq!(
        api(&r.http(), "subscriber_count", json!({"channel": "priv:x"})).await,
        json!(0)
    );
    r.stop().await;
}

#[tokio::test]
async fn personal_channels_are_their_uids_and_namespace_rules_refuse_publishes() {
    let r = start_with(config(|_| {})).await;
    let mut ann = Client::connect(&r).await;
    let mut bob = Client::connect(&r).await;
    let mut anon = Client::connect(&r).await;
    assert_eq!(connect_with(&mut ann, &hs(&json!({"sub": "ann"}))).await.command, "ack");
    assert_eq!(connect_with(&mut bob, &hs(&json!({"sub": "bob"}))).await.command, "ack");
    ann.subscribe("notice:#ann").await;
    for c in [&mut bob, &mut anon] {
        let m = common::Msg::parse(
            &common::websocket_request(&mut c.ws, "chat", &[("subscribe", "notice:#ann")], "", "1").await,
        );
        assert_eq!(
            (m.header("code"), m.header("channel")),
            (Some("Forbidden"), Some("notice:#ann"))
        );
    }
    let m = common::Msg::parse(
        &common::websocket_request(&mut ann.ws, "chat", &[("publish", "notice:#ann")], "x", "2").await,
    );
    assert_eq!(
        m.header("code"),
        Some("Forbidden"),
        "notice: nobody publishes from a connection"
    );
    // Backends still do, over HTTP.
    let (status, _) = http(
        &r.http(),
        "POST",
        "/publish",
        &[],
        "LHTTP/1.0 notice\r\npublish:notice:#ann\r\n\r\nmail",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ann.recv().await.text(), "mail");
    r.stop().await;
}

#[tokio::test]
async fn the_channels_claim_subscribes_on_connect_and_the_upgrade_header_authenticates() {
    let r = start_with(config(|_| {})).await;
    let token = hs(&json!({"sub": "ann", "channels": ["news", "priv:inbox"]}));
    let req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(r.url()).unwrap();
    let mut req = req;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let mut c = Client {
        ws,
        client_id: String::new(),
    };
    let hello = c.recv().await;
    c.client_id = hello.header("client-id").unwrap().to_string();
    assert_eq!(
        api(&r.http(), "uid_of_client", json!({"client": c.client_id})).await,
        json!("ann")
    );
    let (status, _) = http(
        &r.http(),
        "POST",
        "/publish",
        &[],
        "LHTTP/1.0 chat\r\npublish:priv:inbox\r\n\r\nfor ann",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(c.recv().await.text(), "for ann");
    // A second connect is refused; the connection stays.
    let m = connect_with(&mut c, &token).await;
    assert_eq!(m.header("code"), Some("BadRequest"));
    // A bad upgrade token is refused before any WebSocket opens.
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(r.url()).unwrap();
    req.headers_mut()
        .insert("authorization", "Bearer nope".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected a 401, got {:?}", other.map(|_| ())),
    }
    r.stop().await;
}

/// base64url without padding, as JWKs write key bytes.
fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A JSON Web Key Set holding one HMAC key `kid` with `secret`.
fn jwks(kid: &str, secret: &str) -> String {
    json!({"keys": [{"kty": "oct", "kid": kid, "alg": "HS256", "k": b64url(secret.as_bytes())}]}).to_string()
}

fn with_kid(kid: &str, secret: &str, claims: &Value) -> String {
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(kid.into());
    encode(&h, claims, &EncodingKey::from_secret(secret.as_bytes()).unwrap()).unwrap()
}

#[tokio::test]
async fn a_key_set_from_a_file_picks_the_key_by_kid() {
    let dir = std::env::temp_dir().join(format!("lhttp-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.json");
    std::fs::write(&file, jwks("k1", "first-secret")).unwrap();
    let mut c = Config::default();
    c.token.jwks = Some(file.display().to_string());
    let r = start_with(c).await;
    let mut ok = Client::connect(&r).await;
    let m = connect_with(&mut ok, &with_kid("k1", "first-secret", &json!({"sub": "ann"}))).await;
    assert_eq!(m.command, "ack", "{m:?}");
    // The right secret under a kid the set does not hold, and a wrong secret under k1.
    for token in [
        with_kid("k9", "first-secret", &json!({"sub": "ann"})),
        with_kid("k1", "other-secret", &json!({"sub": "ann"})),
    ] {
        let mut bad = Client::connect(&r).await;
        let m = connect_with(&mut bad, &token).await;
        assert_eq!(m.header("code"), Some("Unauthorized"), "{m:?}");
        assert!(!m.text().contains(&token), "no token in the error: {m:?}");
    }
    r.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_key_set_from_a_url_is_fetched_and_fetched_again_for_an_unknown_kid() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let served = std::sync::Arc::new(std::sync::Mutex::new(jwks("k1", "first-secret")));
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let (s, f) = (served.clone(), fetches.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0; 4096];
            let _ = sock.read(&mut buf).await;
            f.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = s.lock().unwrap().clone();
            let _ = sock
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    let mut c = Config::default();
    c.token.jwks = Some(url);
    let r = start_with(c).await;
    let mut ok = Client::connect(&r).await;
    let m = connect_with(&mut ok, &with_kid("k1", "first-secret", &json!({"sub": "ann"}))).await;
    assert_eq!(m.command, "ack", "{m:?}");
    let before = fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!(before >= 1);
    // The backend rotates to k2: a token naming it makes the server fetch the set
    // again (at most every 10 s, so it may take that long).
    *served.lock().unwrap() = jwks("k2", "second-secret");
    let token = with_kid("k2", "second-secret", &json!({"sub": "bob"}));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut c2 = Client::connect(&r).await;
        let m = connect_with(&mut c2, &token).await;
        if m.command == "ack" {
            break;
        }
        assert_eq!(m.header("code"), Some("Unauthorized"), "{m:?}");
        assert!(tokio::time::Instant::now() < deadline, "the new kid was never fetched");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(fetches.load(std::sync::atomic::Ordering::SeqCst) > before);
    r.stop().await;
}

#[tokio::test]
async fn no_token_or_authorization_reaches_an_upstream_backend() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut req = Vec::new();
            let mut buf = vec![0; 8192];
            // The request head and its small body arrive together or soon after.
            while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(300), sock.read(&mut buf)).await {
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
                if req.windows(5).any(|w| w == b"hello") {
                    break;
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&req).into_owned());
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    let r = start_with(config(|c| {
        c.upstream_allow = vec![format!("{base}/")];
        c.upstream_reply = true;
    }))
    .await;
    let token = hs(&json!({"sub": "ann"}));
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(r.url()).unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let mut c = Client {
        ws,
        client_id: String::new(),
    };
    c.recv().await;
    c.send(&format!(
        "LHTTP/1.0 chat\r\nupstream:POST {base}/hook\r\nauthorization:Bearer message-secret\r\nx-app:kept\r\n\r\nhello"
    ))
    .await;
    let seen = tokio::time::timeout(WAIT, rx.recv()).await.unwrap().unwrap();
    assert!(
        seen.contains("hello") && seen.to_ascii_lowercase().contains("x-app: kept"),
        "{seen}"
    );
    assert!(!seen.contains(&token), "the connection's token was forwarded: {seen}");
    assert!(
        !seen.contains("message-secret"),
        "an authorization header was forwarded: {seen}"
    );
    assert!(!seen.to_ascii_lowercase().contains("authorization"), "{seen}");
    r.stop().await;
}
