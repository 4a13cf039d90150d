//! Cross-site WebSocket hijacking is refused: a browser page from another
//! origin gets 403 `OriginNotAllowed` instead of a connection, unless the
//! operator lists its origin; pages from the server itself and clients that
//! send no `Origin` connect as before, and a refusal harms no one else.
use crate::common;
use common::*;
use lhttp_server::Config;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;

/// Opens a WebSocket to `r` as a page of `origin` would: the status the server
/// answered (101 when it upgraded) and, when it refused, its body.
async fn upgrade_from(r: &Running, origin: &str) -> (u16, String) {
    let mut request = r.url().into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    let connect = tokio_tungstenite::connect_async(request);
    match tokio::time::timeout(WAIT, connect).await.expect("an answer in time") {
        Ok((_, response)) => (response.status().as_u16(), String::new()),
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (response.status().as_u16(), String::from_utf8_lossy(&body).into_owned())
        }
        Err(e) => panic!("upgrade failed otherwise: {e}"),
    }
}

#[tokio::test]
async fn pages_of_other_origins_are_refused_and_nobody_else_is_harmed() {
    let s = start_with(Config::default()).await;
    // A program (no Origin) and a page served by this server connect.
    let mut program = Client::connect(&s).await;
    program.subscribe("room").await;
    assert_eq!(upgrade_from(&s, &format!("http://{}", s.addr)).await.0, 101);

    // Any other page is refused before the upgrade, with a reason.
    for foreign in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let (status, body) = upgrade_from(&s, foreign).await;
        assert_eq!(status, 403, "{foreign}");
        assert!(body.contains(r#""error":"OriginNotAllowed""#), "{body}");
        assert!(body.contains("--allowed-origin"), "{body}");
    }

    // The connected client still works, and the refusals opened no connection.
    let msg = b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nstill here";
    let (status, answer) = http(s.http(), "POST", "/publish", &[], msg).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"deliveries":1}"#));
    assert_eq!(program.recv().await.text(), "still here");
    let (_, metrics) = http(s.http(), "GET", "/metrics", &[], "").await;
    // Two upgrades were accepted (the program and the same-origin page), none of the refused.
    assert!(metrics.contains("lhttp_connections_total 2\n"), "{metrics}");
    s.stop().await;
}

#[tokio::test]
async fn listed_origins_and_the_wildcard_are_let_in() {
    let listed = Config {
        allowed_origins: vec!["https://app.example".into(), "null".into()],
        ..Config::default()
    };
    lhttp_server::Server::build(listed.clone())
        .await
        .expect("origins are valid");
    let s = start_with(listed).await;
    assert_eq!(upgrade_from(&s, "https://APP.example").await.0, 101);
    assert_eq!(upgrade_from(&s, "null").await.0, 101);
    assert_eq!(upgrade_from(&s, "http://app.example").await.0, 403, "the scheme counts");
    s.stop().await;

    let any = Config {
        allowed_origins: vec!["*".into()],
        ..Config::default()
    };
    let s = start_with(any).await;
    assert_eq!(upgrade_from(&s, "https://anyone.example").await.0, 101);
    s.stop().await;

    // An entry that is a URL, not an origin, is refused at start-up.
    let bad = Config {
        allowed_origins: vec!["https://app.example/chat".into()],
        ..Config::default()
    };
    let err = lhttp_server::Server::build(bad)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("scheme://host[:port]"));
}
