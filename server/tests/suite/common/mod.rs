//! Test support: a real server on 127.0.0.1 port 0, real WebSocket clients,
//! and a raw HTTP/1.1 caller. No part of lhttp is mocked.
//!
//! The server (`running`), the WebSocket below `Client` (`websocket`) and the HTTP
//! caller (`http`) are shared with `cluster_support`, which includes those files.
#![allow(dead_code)]

mod http;
mod process;
mod running;
mod websocket;

// Each test uses some of these, like the rest of the harness (hence `dead_code` above).
#[allow(unused_imports)]
pub use self::{
    http::http,
    process::{address, lhttpd, stop},
    running::{start, start_with, Running},
    websocket::{request as websocket_request, Msg},
};

use futures_util::SinkExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Frame;
use websocket::{Incoming, Stream};

/// How long a test waits for something that should happen (generous: shared machines).
pub const WAIT: Duration = Duration::from_secs(10);

/// What a read produced.
#[derive(Debug)]
pub enum Event {
    Message(Msg),
    Closed(Option<u16>),
}

/// A WebSocket client speaking raw LHTTP.
pub struct Client {
    pub ws: Stream,
    pub client_id: String,
}

impl Client {
    /// Connects and reads the `connected` message.
    pub async fn connect(r: &Running) -> Client {
        Self::connect_url(&r.url()).await
    }

    pub async fn connect_url(url: &str) -> Client {
        let (ws, client_id) = websocket::connect(url).await;
        Client { ws, client_id }
    }

    pub async fn send(&mut self, raw: &str) {
        websocket::send(&mut self.ws, raw).await;
    }

    pub async fn send_bytes(&mut self, raw: &[u8]) {
        self.ws.send(Frame::binary(raw.to_vec())).await.expect("send");
    }

    /// The next event, or panics after [`WAIT`].
    pub async fn event(&mut self) -> Event {
        match websocket::next(&mut self.ws).await {
            Incoming::Message(bytes) => Event::Message(Msg::parse(&bytes)),
            Incoming::Close(code) => Event::Closed(code),
            Incoming::Ended => Event::Closed(None),
        }
    }

    /// The next message (panics on close).
    pub async fn recv(&mut self) -> Msg {
        match self.event().await {
            Event::Message(m) => m,
            Event::Closed(c) => panic!("connection closed ({c:?}) while a message was expected"),
        }
    }

    /// Whether a message arrives within `d` (for asserting that nothing does).
    /// A connection that closes meanwhile fails the test: "nothing came" must
    /// not pass for a client that was dropped.
    pub async fn try_recv(&mut self, d: Duration) -> Option<Msg> {
        match tokio::time::timeout(d, self.event()).await {
            Ok(Event::Message(m)) => Some(m),
            Ok(Event::Closed(c)) => panic!("the connection closed ({c:?}) while waiting for nothing to arrive"),
            Err(_) => None,
        }
    }

    /// Sends `raw` with an added `id` header and waits for its ack (returning it),
    /// failing on an error reply.
    pub async fn request(&mut self, command: &str, headers: &[(&str, &str)], body: &str, id: &str) -> Msg {
        let m = Msg::parse(&websocket::request(&mut self.ws, command, headers, body, id).await);
        assert_eq!(m.command, "ack", "expected an ack, got {m:?}");
        m
    }

    pub async fn subscribe(&mut self, channels: &str) {
        self.request("chat", &[("subscribe", channels)], "", "sub").await;
    }

    /// Reads until an error reply comes, returning it.
    pub async fn expect_error(&mut self) -> Msg {
        let m = self.recv().await;
        assert_eq!(m.command, "error", "expected an error reply, got {m:?}");
        m
    }
}

/// Waits until `f` holds (polling), panicking after [`WAIT`].
pub async fn until(mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "condition not reached in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
