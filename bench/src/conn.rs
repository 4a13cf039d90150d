//! Client connections as an LHTTP client makes them: connect, read the
//! server's `connected` message, subscribe and wait for the ack. Every message
//! is written and read with lhttp-core.

use crate::Result;
use futures_util::{SinkExt, StreamExt};
use lhttp_core::{encode, encoded_len, parse, Header, Message, EMPTY_HEADER};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};

/// A benchmark client connection.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The command of every message the benchmark sends.
pub const COMMAND: &str = "chat";

/// How long the server may take to answer a handshake or a subscribe.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// Handshakes in flight at once when opening many connections (stays well
/// under the servers' listen backlogs).
const CONNECT_PARALLELISM: usize = 64;

/// Opens a connection and waits for the server's `connected` message.
/// `read_buffer` is tungstenite's read buffer size (small for idle clients);
/// `write_buffer` is how much is gathered before a write (0: write each frame).
pub async fn open(url: &str, read_buffer: usize, write_buffer: usize) -> Result<Ws> {
    let config = WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(write_buffer);
    let (mut ws, _) = tokio::time::timeout(ANSWER_TIMEOUT, connect_async_with_config(url, Some(config), true))
        .await
        .map_err(|_| "connect timed out")??;
    expect(&mut ws, "connected", |m| m.command == "connected").await?;
    Ok(ws)
}

/// Subscribes `ws` to `channel` with an `id` and waits for the server's ack.
pub async fn subscribe(ws: &mut Ws, channel: &str, id: &str) -> Result<()> {
    let headers = [
        Header {
            name: lhttp_core::names::SUBSCRIBE,
            value: channel,
        },
        Header { name: "id", value: id },
    ];
    ws.send(message(&headers, b"")?).await?;
    expect(ws, "ack", |m| m.command == "ack" && m.header("id") == Some(id)).await
}

/// Opens `count` connections, each subscribed to `channel_of(i)`, at most
/// [`CONNECT_PARALLELISM`] handshakes at a time. Returned in index order.
pub async fn open_subscribed(
    url: &str,
    count: usize,
    read_buffer: usize,
    channel_of: impl Fn(usize) -> String,
) -> Result<Vec<Ws>> {
    let gate = Arc::new(Semaphore::new(CONNECT_PARALLELISM));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let (url, gate, channel) = (url.to_string(), gate.clone(), channel_of(i));
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let mut ws = open(&url, read_buffer, 0).await?;
            subscribe(&mut ws, &channel, &i.to_string()).await?;
            Ok::<_, crate::Error>(ws)
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// An LHTTP `chat` message with `headers` and `body`, as a WebSocket text
/// frame when it is UTF-8 (as browsers send it), else binary.
pub fn message(headers: &[Header<'_>], body: &[u8]) -> Result<Frame> {
    let mut out = vec![0; encoded_len(COMMAND, headers, body)];
    let n = encode(COMMAND, headers, body, &mut out)?;
    out.truncate(n);
    Ok(match String::from_utf8(out) {
        Ok(text) => Frame::text(text),
        Err(e) => Frame::binary(e.into_bytes()),
    })
}

/// A publish of `body` to `channel`.
pub fn publish(channel: &str, body: &[u8]) -> Result<Frame> {
    let headers = [Header {
        name: lhttp_core::names::PUBLISH,
        value: channel,
    }];
    message(&headers, body)
}

/// The socket under an open connection, for the latency reader's epoll loop.
/// Nothing may be pending in tungstenite's buffers (no message follows the ack).
pub fn into_socket(ws: Ws) -> Result<mio::net::TcpStream> {
    match ws.into_inner() {
        MaybeTlsStream::Plain(tcp) => Ok(mio::net::TcpStream::from_std(tcp.into_std()?)),
        _ => Err("the latency reader needs plain ws:// connections".into()),
    }
}

/// The payload of a text or binary frame; `None` for control frames.
pub fn payload(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::Text(t) => Some(t.as_bytes()),
        Frame::Binary(b) => Some(b),
        _ => None,
    }
}

/// Reads messages until one satisfies `ok`; an error reply or a close fails.
async fn expect(ws: &mut Ws, what: &str, ok: impl Fn(&Message<'_, '_>) -> bool) -> Result<()> {
    let wait = async {
        while let Some(frame) = ws.next().await {
            let frame = frame?;
            if frame.is_close() {
                return Err(format!("closed while waiting for {what}: {frame}").into());
            }
            let Some(bytes) = payload(&frame) else { continue };
            let mut headers = [EMPTY_HEADER; 16];
            let msg = parse(bytes, &mut headers)?;
            if ok(&msg) {
                return Ok(());
            }
            if msg.command == "error" {
                return Err(format!(
                    "error reply while waiting for {what}: {}",
                    String::from_utf8_lossy(bytes)
                )
                .into());
            }
        }
        Err(format!("connection ended while waiting for {what}").into())
    };
    tokio::time::timeout(ANSWER_TIMEOUT, wait)
        .await
        .map_err(|_| format!("no {what} within {ANSWER_TIMEOUT:?}"))?
}
