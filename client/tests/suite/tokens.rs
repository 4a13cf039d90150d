//! The Rust client's connection and subscription tokens against a live lhttpd
//! (spec 12, 14): a fixed token and a token callback that is called on connect and
//! again before the token expires (the connection outlives its first token, while
//! a client without a callback is closed), and a subscription-token callback for a
//! private namespace.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, TestServer};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use lhttp_client::{Client, Config, SubscriptionTokenCallback, TokenCallback, DEFAULT_COMMAND};
use lhttp_server::cluster::HandleExt;
use lhttp_server::{Config as ServerConfig, Namespace, SubscribeRule};
use serde_json::{json, Value};

const SECRET: &str = "client-test-secret";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn server_config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.token.hmac_secret = Some(SECRET.into());
    c.token.grace = Some(Duration::ZERO);
    c.namespaces.insert(
        "priv".into(),
        Namespace {
            subscribe: SubscribeRule::Token,
            ..Namespace::default()
        },
    );
    c
}

#[tokio::test]
async fn a_fixed_token_authenticates_and_binds_the_uid() {
    let server = TestServer::start_with(server_config(), "127.0.0.1:0".parse().unwrap()).await;
    let mut config = Config::new(server.ws_url());
    config.token = Some(sign(&json!({"sub": "ann", "exp": now() + 600})).into());
    assert!(!format!("{config:?}").contains("eyJ"), "Debug never shows the token");
    let client = Client::connect_with(config).await.expect("connects with its token");
    let id = client.client_id().unwrap();
    assert_eq!(
        server.handle.directory().uid_of_client(&id).await.as_deref(),
        Some("ann")
    );
    // A refused token is the connection's error, and final.
    let mut bad = Config::new(server.ws_url());
    bad.token = Some("not.a.token".into());
    let err = Client::connect_with(bad).await.unwrap_err();
    assert_eq!(err.name(), "Unauthorized", "{err}");
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn the_token_callback_refreshes_before_expiry() {
    let server = TestServer::start_with(server_config(), "127.0.0.1:0".parse().unwrap()).await;
    // Each token lives 2 s: the session asks again 1 s before it expires.
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let mut config = Config::new(server.ws_url());
    config.token_callback = Some(TokenCallback::new(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(sign(&json!({"sub": "ann", "exp": now() + 2})))
        }
    }));
    let refreshing = Client::connect_with(config)
        .await
        .expect("connects with the callback's token");
    // The same kind of token, fixed: nothing refreshes it.
    let mut fixed = Config::new(server.ws_url());
    fixed.token = Some(sign(&json!({"sub": "bob", "exp": now() + 2})).into());
    let fixed = Client::connect_with(fixed).await.expect("connects");
    // The fixed one is closed with 4004 once its token is past ...
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(item) = fixed.recv().await {
            if let Err(e) = item {
                return Some(e);
            }
        }
        None
    })
    .await
    .expect("the fixed-token client ends");
    let end = end.expect("with an error");
    assert!(end.to_string().contains("4004"), "{end}");
    // ... while the other was refreshed and still works.
    assert!(calls.load(Ordering::SeqCst) >= 2, "the callback was called again");
    refreshing.subscribe(&["room"]).await.expect("still connected");
    server.stop().await;
}

#[tokio::test]
async fn the_subscription_token_callback_opens_private_channels() {
    let server = TestServer::start_with(server_config(), "127.0.0.1:0".parse().unwrap()).await;
    let mut config = Config::new(server.ws_url());
    config.token = Some(sign(&json!({"sub": "ann"})).into());
    config.subscription_token_callback = Some(SubscriptionTokenCallback::new(|channel: String| async move {
        Ok(channel
            .starts_with("priv:")
            .then(|| sign(&json!({"sub": "ann", "channel": channel, "exp": now() + 600}))))
    }));
    let client = Client::connect_with(config).await.expect("connects");
    client
        .subscribe(&["priv:inbox", "room"])
        .await
        .expect("subscribed with its token");
    client
        .publish(&["priv:inbox"], DEFAULT_COMMAND, &[], b"hello")
        .await
        .expect("published");
    let msg = client.recv().await.expect("a message").expect("not an error");
    assert_eq!(msg.body_text(), Some("hello"));
    // Without the callback the private channel is refused.
    let mut plain = Config::new(server.ws_url());
    plain.token = Some(sign(&json!({"sub": "ann"})).into());
    let plain = Client::connect_with(plain).await.expect("connects");
    let err = plain.subscribe(&["priv:inbox"]).await.unwrap_err();
    assert_eq!(err.name(), "Forbidden");
    eventually("both clients counted", || async {
        server.handle.directory().clients_of_uid("ann").await.len() == 2
    })
    .await;
    server.stop().await;
}
