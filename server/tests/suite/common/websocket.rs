//! LHTTP over a real WebSocket, below both harnesses' clients: connecting and reading
//! the `connected` message, sending, reading the next frame, and a request with an `id`
//! answered by an `ack` or `error`. Shared: `common`'s `Client` and `cluster_support`'s
//! `Ws` (which includes this file) are built on it; reads wait at most the including
//! harness's `WAIT`.

use super::WAIT;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client's WebSocket to the server.
pub type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A received LHTTP message, owned, as core parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub command: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Msg {
    pub fn parse(bytes: &[u8]) -> Msg {
        let mut storage = [lhttp_core::EMPTY_HEADER; 64];
        let m = lhttp_core::parse(bytes, &mut storage).unwrap_or_else(|e| {
            panic!(
                "server sent an invalid message ({e:?}): {:?}",
                String::from_utf8_lossy(bytes)
            )
        });
        Msg {
            command: m.command.into(),
            headers: m.headers.iter().map(|h| (h.name.into(), h.value.into())).collect(),
            body: m.body.to_vec(),
        }
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// What the next frame brought (pings and pongs are skipped).
#[derive(Debug)]
pub enum Incoming {
    /// A text or binary message's bytes.
    Message(Vec<u8>),
    /// A close frame and its code, if it had one.
    Close(Option<u16>),
    /// The connection ended without a close frame.
    Ended,
}

/// The next message, close or end of `ws`, or panics after `WAIT`.
pub async fn next(ws: &mut Stream) -> Incoming {
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out waiting for the server");
        return match next {
            Some(Ok(Frame::Text(t))) => Incoming::Message(t.as_bytes().to_vec()),
            Some(Ok(Frame::Binary(b))) => Incoming::Message(b.to_vec()),
            Some(Ok(Frame::Close(c))) => Incoming::Close(c.map(|c| u16::from(c.code))),
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => Incoming::Ended,
        };
    }
}

/// The next message of `ws`; panics on a close or the end.
async fn next_message(ws: &mut Stream) -> Vec<u8> {
    match next(ws).await {
        Incoming::Message(bytes) => bytes,
        other => panic!("connection closed ({other:?}) while a message was expected"),
    }
}

/// Connects to `url` and reads the `connected` message; returns the socket and the
/// client id the server gave it.
pub async fn connect(url: &str) -> (Stream, String) {
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connect in time")
        .expect("connect");
    let hello = Msg::parse(&next_message(&mut ws).await);
    assert_eq!(hello.command, "connected");
    let client_id = hello.header("client-id").expect("client-id").to_string();
    (ws, client_id)
}

/// Sends `raw` as a text message.
pub async fn send(ws: &mut Stream, raw: &str) {
    ws.send(Frame::text(raw)).await.expect("send");
}

/// Sends `command` with `headers`, an added `id` header and `body`, then reads until
/// the `ack` or `error` reply carrying that id and returns it as received; what comes
/// before it is dropped.
pub async fn request(ws: &mut Stream, command: &str, headers: &[(&str, &str)], body: &str, id: &str) -> Vec<u8> {
    let mut raw = format!("LHTTP/1.0 {command}\r\n");
    for (n, v) in headers {
        raw.push_str(&format!("{n}:{v}\r\n"));
    }
    raw.push_str(&format!("id:{id}\r\n\r\n{body}"));
    send(ws, &raw).await;
    loop {
        let bytes = next_message(ws).await;
        let m = Msg::parse(&bytes);
        if m.header("id") == Some(id) && (m.command == "ack" || m.command == "error") {
            return bytes;
        }
    }
}
