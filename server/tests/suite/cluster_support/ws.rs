//! A WebSocket client speaking LHTTP to a node (on common's shared WebSocket), the
//! messages it receives, and waiting until the cluster routes a channel between nodes.

use super::websocket::{self, Incoming, Stream};
use super::WAIT;
use std::net::SocketAddr;
use std::time::Duration;

/// A WebSocket client speaking LHTTP.
pub struct Ws {
    /// The client id from the `connected` message.
    pub id: String,
    stream: Stream,
    acks: u64,
}

/// A received message: its command, headers block and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The whole message as text.
    pub raw: String,
}

impl Received {
    /// A message as received (a binary one read as text, lossily).
    fn from_bytes(bytes: &[u8]) -> Received {
        Received {
            raw: String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    /// The command of the start line.
    pub fn command(&self) -> &str {
        self.raw
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("LHTTP/1.0 ")
            .trim()
    }

    /// The body (after the blank line).
    pub fn body(&self) -> &str {
        self.raw.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }

    /// The first header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.raw.split_once("\r\n\r\n").map_or(self.raw.as_str(), |(h, _)| h);
        head.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

impl Ws {
    /// Connects to `addr` with a path and query (e.g. `/?key=1`) and reads the `connected` message.
    pub async fn connect_path(addr: SocketAddr, path: &str) -> Ws {
        let (stream, id) = websocket::connect(&format!("ws://{addr}{path}")).await;
        Ws { id, stream, acks: 0 }
    }

    /// Connects to `addr` at `/`.
    pub async fn connect(addr: SocketAddr) -> Ws {
        Ws::connect_path(addr, "/").await
    }

    /// Sends a text message.
    pub async fn send(&mut self, text: &str) {
        websocket::send(&mut self.stream, text).await;
    }

    /// Sends `command` with `headers` plus an `id`, waits for its ack, returns it
    /// (or the error reply).
    pub async fn request(&mut self, command: &str, headers: &[(&str, &str)], body: &str) -> Received {
        self.acks += 1;
        let id = format!("t{}", self.acks);
        Received::from_bytes(&websocket::request(&mut self.stream, command, headers, body, &id).await)
    }

    /// Subscribes to channels (space-separated) and waits for the ack.
    pub async fn subscribe(&mut self, channels: &str) {
        let r = self.request("sub", &[("subscribe", channels)], "").await;
        assert_eq!(r.command(), "ack", "{r:?}");
    }

    /// Unsubscribes and waits for the ack.
    pub async fn unsubscribe(&mut self, channels: &str) {
        let r = self.request("unsub", &[("unsubscribe", channels)], "").await;
        assert_eq!(r.command(), "ack", "{r:?}");
    }

    /// Publishes `body` to channels with command `chat` and waits for the ack.
    pub async fn publish(&mut self, channels: &str, body: &str) {
        let r = self.request("chat", &[("publish", channels)], body).await;
        assert_eq!(r.command(), "ack", "{r:?}");
    }

    /// The next message of any kind (fails after [`WAIT`] or on close).
    pub async fn recv_any(&mut self) -> Received {
        match websocket::next(&mut self.stream).await {
            Incoming::Message(bytes) => Received::from_bytes(&bytes),
            Incoming::Close(code) => panic!("closed: {code:?}"),
            Incoming::Ended => panic!("connection ended"),
        }
    }

    /// The next delivered message, skipping acks and probe messages (bodies starting with `probe`).
    pub async fn recv(&mut self) -> Received {
        loop {
            let m = self.recv_any().await;
            if m.command() == "ack" || m.body().starts_with("probe") {
                continue;
            }
            return m;
        }
    }

    /// Reads until the close frame and returns its code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match websocket::next(&mut self.stream).await {
                Incoming::Close(code) => return code.unwrap_or(1005),
                Incoming::Message(_) => continue,
                Incoming::Ended => return 1006,
            }
        }
    }
}

/// Publishes probes from `from` on `channel` until `to` (subscribed there) receives
/// one: the cluster now carries that channel between the two nodes. Probes are
/// skipped by [`Ws::recv`].
pub async fn wait_route(from: &mut Ws, to: &mut Ws, channel: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    for i in 0.. {
        assert!(tokio::time::Instant::now() < deadline, "{channel} never crossed nodes");
        from.publish(channel, &format!("probe {i}")).await;
        let got = tokio::time::timeout(Duration::from_millis(100), async {
            loop {
                let m = to.recv_any().await;
                if m.body().starts_with("probe") {
                    return;
                }
            }
        })
        .await;
        if got.is_ok() {
            return;
        }
    }
}
