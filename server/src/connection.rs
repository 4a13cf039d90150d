//! One WebSocket connection's task: reads messages into the pipeline, writes
//! its outbound queue in batches, pings when idle, closes on shutdown, and
//! cleans up every subscription when it ends.

use crate::conn::Conn;
use crate::context::Handshake;
use crate::handle::Handle;
use crate::outbox::CloseRequest;
use crate::pipeline::Pipeline;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::WebSocketStream;

/// Close code sent when the server shuts down.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code sent when a filter refuses a connection.
pub const CLOSE_POLICY: u16 = 1008;

/// Serves one upgraded connection until it closes.
pub(crate) async fn run<S>(handle: Handle, pipeline: Arc<Pipeline>, mut ws: WebSocketStream<S>, handshake: Handshake)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = handle.config().limits.clone();
    let (id, client_id) = handle.shared.ids.next();
    let conn = Arc::new(Conn::new(id, client_id, limits.max_queue));
    handle.register(conn.clone());
    if let Err(r) = pipeline.open(&handle, &conn, &handshake) {
        let _ = ws
            .send(close_frame(CLOSE_POLICY, &format!("{}: {}", r.code, r.detail)))
            .await;
        handle.deregister(id);
        return;
    }
    drop(handshake);
    tracing::debug!(client = %conn.client_id, "connection opened");

    let mut shutdown = handle.shared.shutdown.subscribe();
    let mut batch = Vec::new();
    let mut last_seen = Instant::now();
    let ping = tokio::time::sleep(limits.ping_interval);
    tokio::pin!(ping);
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Frame::Text(t))) => { last_seen = Instant::now(); pipeline.message(&handle, &conn, t.as_bytes()) }
                Some(Ok(Frame::Binary(b))) => { last_seen = Instant::now(); pipeline.message(&handle, &conn, &b) }
                Some(Ok(Frame::Ping(_) | Frame::Pong(_) | Frame::Frame(_))) => last_seen = Instant::now(),
                Some(Ok(Frame::Close(_))) | None => break,
                Some(Err(e)) => {
                    tracing::debug!(client = %conn.client_id, error = %e, "read failed");
                    if let tokio_tungstenite::tungstenite::Error::Capacity(_) = e {
                        close(&mut ws, close_frame(1009, "message too big")).await;
                    }
                    break;
                }
            },
            _ = conn.outbox.woken() => {
                if let Some(ending) = flush(&mut ws, &conn, &mut batch).await {
                    if let Some(c) = ending {
                        close(&mut ws, close_frame(c.code, &c.reason)).await;
                    }
                    break;
                }
            }
            _ = &mut ping => {
                if last_seen.elapsed() >= limits.idle_timeout {
                    close(&mut ws, close_frame(CLOSE_GOING_AWAY, "idle timeout")).await;
                    break;
                }
                if ws.send(Frame::Ping(Default::default())).await.is_err() {
                    break;
                }
                ping.as_mut().reset(Instant::now() + limits.ping_interval.min(limits.idle_timeout));
            }
            _ = async { let _ = shutdown.wait_for(|down| *down).await; } => {
                let _ = flush(&mut ws, &conn, &mut batch).await;
                close(&mut ws, close_frame(CLOSE_GOING_AWAY, "server shutting down")).await;
                break;
            }
        }
    }
    conn.outbox.close(CLOSE_GOING_AWAY, "closed");
    pipeline.close(&handle, &conn);
    handle.unsubscribe_all(&conn);
    handle.deregister(id);
    tracing::debug!(client = %conn.client_id, "connection closed");
}

/// Writes everything queued, in batches with one flush each. Returns
/// `Some(close)` when the connection must end: `Some(Some(req))` to send a close
/// frame first, `Some(None)` when the socket failed or the write was abandoned
/// because the consumer is too slow.
async fn flush<S>(ws: &mut WebSocketStream<S>, conn: &Conn, batch: &mut Vec<Frame>) -> Option<Option<CloseRequest>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let close = conn.outbox.drain(batch);
        if batch.is_empty() {
            return close.map(Some);
        }
        let frames = std::mem::take(batch);
        let sink = &mut *ws;
        let write = async move {
            for f in frames {
                sink.feed(f).await?;
            }
            sink.flush().await
        };
        tokio::pin!(write);
        loop {
            tokio::select! {
                r = &mut write => {
                    if r.is_err() {
                        return Some(None);
                    }
                    break;
                }
                // A push while writing: abandon the write only for a slow consumer.
                _ = conn.outbox.woken() => {
                    if conn.outbox.is_slow() {
                        return Some(None);
                    }
                }
            }
        }
        if close.is_some() {
            return close.map(Some);
        }
    }
}

/// Sends a close frame and waits briefly for the client's reply, so the close
/// code arrives instead of a reset.
async fn close<S>(ws: &mut WebSocketStream<S>, frame: Frame)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if ws.send(frame).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(f)) = ws.next().await {
            if f.is_close() {
                break;
            }
        }
    })
    .await;
}

/// How long a closing connection waits for the client's close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn close_frame(code: u16, reason: &str) -> Frame {
    Frame::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
}
