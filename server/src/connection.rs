//! One WebSocket connection's tasks: the reader feeds messages to the pipeline,
//! the writer drains its outbound queue in batches, pings when idle, closes on shutdown, and
//! cleans up every subscription when it ends.

use crate::conn::Conn;
use crate::context::Handshake;
use crate::handle::Handle;
use crate::outbox::CloseRequest;
use crate::pipeline::Pipeline;
use futures_util::stream::SplitStream;
use futures_util::{Sink, SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
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
///
/// Reading and writing run as two tasks: the reader is polled only when its
/// socket is readable, the writer only when its queue, its ping timer or
/// shutdown wakes it. (Polling the read side on every delivery would cost a
/// buffer reset and a readiness check per message.)
pub(crate) async fn run<S>(handle: Handle, pipeline: Arc<Pipeline>, mut ws: WebSocketStream<S>, handshake: Handshake)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
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

    let (mut sink, stream) = ws.split();
    let epoch = Instant::now();
    let last_seen = Arc::new(AtomicU64::new(0));
    let mut reader = tokio::spawn(read_loop(
        stream,
        handle.clone(),
        pipeline.clone(),
        conn.clone(),
        last_seen.clone(),
        epoch,
    ));
    let mut shutdown = handle.shared.shutdown.subscribe();
    let mut batch = Vec::new();
    let ping = tokio::time::sleep(limits.ping_interval);
    tokio::pin!(ping);
    // How the writer ended: wait for the reader (the client's close reply) or not.
    let mut wait_for_reader = true;
    loop {
        tokio::select! {
            end = &mut reader => {
                if let Ok(ReadEnd::TooBig) = end {
                    let _ = sink.send(close_frame(1009, "message too big")).await;
                }
                wait_for_reader = false;
                break;
            }
            _ = conn.outbox.woken() => {
                if let Some(ending) = flush(&mut sink, &conn, &mut batch).await {
                    match ending {
                        Some(c) => { let _ = sink.send(close_frame(c.code, &c.reason)).await; }
                        // The socket failed, or the consumer is too slow to take even a close frame.
                        None => wait_for_reader = false,
                    }
                    break;
                }
            }
            _ = &mut ping => {
                let idle = epoch.elapsed().saturating_sub(Duration::from_millis(last_seen.load(Ordering::Relaxed)));
                if idle >= limits.idle_timeout {
                    let _ = sink.send(close_frame(CLOSE_GOING_AWAY, "idle timeout")).await;
                    break;
                }
                if sink.send(Frame::Ping(Default::default())).await.is_err() {
                    wait_for_reader = false;
                    break;
                }
                ping.as_mut().reset(Instant::now() + limits.ping_interval.min(limits.idle_timeout));
            }
            _ = async { let _ = shutdown.wait_for(|down| *down).await; } => {
                let _ = flush(&mut sink, &conn, &mut batch).await;
                let _ = sink.send(close_frame(CLOSE_GOING_AWAY, "server shutting down")).await;
                break;
            }
        }
    }
    conn.outbox.close(CLOSE_GOING_AWAY, "closed");
    if wait_for_reader {
        // The reader ends when the client answers the close frame (or the socket dies).
        if tokio::time::timeout(CLOSE_WAIT, &mut reader).await.is_err() {
            reader.abort();
        }
    } else {
        reader.abort();
    }
    pipeline.close(&handle, &conn);
    handle.unsubscribe_all(&conn);
    handle.deregister(id);
    tracing::debug!(client = %conn.client_id, "connection closed");
}

/// Why the reader stopped.
enum ReadEnd {
    /// The client closed, or the socket ended or failed.
    Closed,
    /// A message beyond the hard size limit: the connection closes with 1009.
    TooBig,
}

/// Reads messages into the pipeline until the client closes.
async fn read_loop<S>(
    mut stream: SplitStream<WebSocketStream<S>>,
    handle: Handle,
    pipeline: Arc<Pipeline>,
    conn: Arc<Conn>,
    last_seen: Arc<AtomicU64>,
    epoch: Instant,
) -> ReadEnd
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let seen = || last_seen.store(epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    loop {
        match stream.next().await {
            Some(Ok(Frame::Text(t))) => {
                seen();
                pipeline.message(&handle, &conn, t.as_bytes());
            }
            Some(Ok(Frame::Binary(b))) => {
                seen();
                pipeline.message(&handle, &conn, &b);
            }
            Some(Ok(Frame::Ping(_) | Frame::Pong(_) | Frame::Frame(_))) => seen(),
            Some(Ok(Frame::Close(_))) | None => return ReadEnd::Closed,
            Some(Err(e)) => {
                tracing::debug!(client = %conn.client_id, error = %e, "read failed");
                if let tokio_tungstenite::tungstenite::Error::Capacity(_) = e {
                    return ReadEnd::TooBig;
                }
                return ReadEnd::Closed;
            }
        }
    }
}

/// Writes everything queued, in batches with one flush each. Returns
/// `Some(close)` when the connection must end: `Some(Some(req))` to send a close
/// frame first, `Some(None)` when the socket failed or the write was abandoned
/// because the consumer is too slow.
async fn flush<Si>(ws: &mut Si, conn: &Conn, batch: &mut Vec<Frame>) -> Option<Option<CloseRequest>>
where
    Si: Sink<Frame> + Unpin,
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

/// How long a closing connection waits for the client's close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn close_frame(code: u16, reason: &str) -> Frame {
    Frame::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
}
