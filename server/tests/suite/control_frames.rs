//! WebSocket control frames from the client: the server answers pings with
//! pongs and echoes a client's close, in order with its other frames (the
//! server writes pre-encoded frames itself; tungstenite only reads).
use crate::common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Frame;

/// The next frame of any kind, or panics after [`WAIT`].
async fn next_frame(c: &mut Client) -> Option<Frame> {
    tokio::time::timeout(WAIT, c.ws.next())
        .await
        .expect("timed out waiting for the server")
        .and_then(Result::ok)
}

#[tokio::test]
async fn a_client_ping_gets_a_pong_with_its_payload_and_messages_still_flow() {
    let s = start_with(lhttp_server::Config::default()).await;
    let mut c = Client::connect(&s).await;
    c.subscribe("room").await;
    c.ws.send(Frame::Ping(b"are you there".to_vec().into()))
        .await
        .expect("ping");
    match next_frame(&mut c).await {
        Some(Frame::Pong(p)) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
    c.send("LHTTP/1.0 chat\r\npublish:room\r\n\r\nafter the pong").await;
    assert_eq!(c.recv().await.body, b"after the pong");
    s.stop().await;
}

#[tokio::test]
async fn a_client_close_is_echoed_with_its_code() {
    let s = start_with(lhttp_server::Config::default()).await;
    let mut c = Client::connect(&s).await;
    c.ws.send(Frame::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    })))
    .await
    .expect("close");
    match next_frame(&mut c).await {
        Some(Frame::Close(Some(f))) => assert_eq!(f.code, CloseCode::Normal),
        other => panic!("expected the close echo, got {other:?}"),
    }
    assert!(
        next_frame(&mut c).await.is_none(),
        "the server ends the connection after the close"
    );
    s.stop().await;
}
