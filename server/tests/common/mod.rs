//! Test support: a real server on 127.0.0.1 port 0, real WebSocket clients,
//! and a raw HTTP/1.1 caller. No part of lhttp is mocked.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use lhttp_server::{Config, Handle, Server};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something that should happen (generous: shared machines).
pub const WAIT: Duration = Duration::from_secs(10);

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub handle: Handle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
    pub fn http(&self) -> String {
        format!("{}", self.addr)
    }
    /// Stops the server and waits for it to finish.
    pub async fn stop(self) {
        self.handle.shutdown();
        let _ = tokio::time::timeout(WAIT, self.task).await;
    }
}

/// Starts `server` on a fresh port.
pub async fn start(server: Server) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.run(listener, std::future::pending()));
    Running { addr, handle, task }
}

/// Starts a plain server (built-in headers only) with `config`.
pub async fn start_with(config: Config) -> Running {
    start(Server::new(config)).await
}

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

/// What a read produced.
#[derive(Debug)]
pub enum Event {
    Message(Msg),
    Closed(Option<u16>),
}

/// A WebSocket client speaking raw LHTTP.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub client_id: String,
}

impl Client {
    /// Connects and reads the `connected` message.
    pub async fn connect(r: &Running) -> Client {
        Self::connect_url(&r.url()).await
    }

    pub async fn connect_url(url: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let mut c = Client {
            ws,
            client_id: String::new(),
        };
        let hello = c.recv().await;
        assert_eq!(hello.command, "connected");
        c.client_id = hello.header("client-id").expect("client-id").to_string();
        c
    }

    pub async fn send(&mut self, raw: &str) {
        self.ws.send(Frame::text(raw)).await.expect("send");
    }

    pub async fn send_bytes(&mut self, raw: &[u8]) {
        self.ws.send(Frame::binary(raw.to_vec())).await.expect("send");
    }

    /// The next event, or panics after [`WAIT`].
    pub async fn event(&mut self) -> Event {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for the server");
            match next {
                Some(Ok(Frame::Text(t))) => return Event::Message(Msg::parse(t.as_bytes())),
                Some(Ok(Frame::Binary(b))) => return Event::Message(Msg::parse(&b)),
                Some(Ok(Frame::Close(c))) => return Event::Closed(c.map(|c| u16::from(c.code))),
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return Event::Closed(None),
            }
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
    pub async fn try_recv(&mut self, d: Duration) -> Option<Msg> {
        match tokio::time::timeout(d, self.event()).await {
            Ok(Event::Message(m)) => Some(m),
            _ => None,
        }
    }

    /// Sends `raw` with an added `id` header and waits for its ack (returning it),
    /// failing on an error reply.
    pub async fn request(&mut self, command: &str, headers: &[(&str, &str)], body: &str, id: &str) -> Msg {
        let mut raw = format!("LHTTP/1.0 {command}\r\n");
        for (n, v) in headers {
            raw.push_str(&format!("{n}:{v}\r\n"));
        }
        raw.push_str(&format!("id:{id}\r\n\r\n{body}"));
        self.send(&raw).await;
        loop {
            let m = self.recv().await;
            if m.header("id") == Some(id) && (m.command == "ack" || m.command == "error") {
                assert_eq!(m.command, "ack", "expected an ack, got {m:?}");
                return m;
            }
        }
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

/// A raw HTTP/1.1 request; returns (status, body).
pub async fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Waits until `f` holds (polling), panicking after [`WAIT`].
pub async fn until(mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "condition not reached in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
