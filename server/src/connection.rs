//! One WebSocket connection's tasks: the reader feeds messages to the pipeline,
//! the writer drains its outbound queue in batches, pings when idle, closes on shutdown, and
//! cleans up every subscription when it ends.
//!
//! The socket is split in two. tungstenite only reads (and decodes client frames);
//! the writer writes the outbox's frames, already encoded once per message for
//! every subscriber, straight to the socket. The few frames tungstenite itself
//! writes (pong and close replies) go through the outbox too, so one task owns
//! the write side and frames never interleave.

use crate::conn::Conn;
use crate::context::Handshake;
use crate::frame::Frame;
use crate::handle::Handle;
use crate::outbox::{CloseRequest, CLOSE_SLOW_CONSUMER};
use crate::pipeline::Pipeline;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use lhttp_core::CloseCode;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Close code sent when the server shuts down or a connection was idle too long (1001).
pub const CLOSE_GOING_AWAY: u16 = CloseCode::GoingAway.code();
/// Close code sent when a filter refuses a connection (1008).
pub const CLOSE_POLICY: u16 = CloseCode::Policy.code();

/// Serves one upgraded connection until it closes.
///
/// Reading and writing run as two tasks: the reader is polled only when its
/// socket is readable, the writer only when its queue, its ping timer or
/// shutdown wakes it. (Polling the read side on every delivery would cost a
/// buffer reset and a readiness check per message.)
///
/// Everything held while the writer waits is in its task's state for the
/// connection's whole life, so the rare paths (closing, shutdown) are boxed
/// futures, allocated only when taken, and only the two durations it needs are
/// kept from the limits.
pub(crate) async fn run<S>(handle: Handle, pipeline: Arc<Pipeline>, io: S, handshake: Box<Handshake>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = &handle.config().limits;
    let (ping_interval, idle_timeout) = (limits.ping_interval, limits.idle_timeout);
    let ws_config = crate::http::ws_config(limits);
    let (read, mut sink) = tokio::io::split(io);
    let conn = handle.register();
    if let Err(r) = pipeline.open(&handle, &conn, &handshake) {
        handle.metrics().close(CLOSE_POLICY);
        let _ = send(
            &mut sink,
            &Frame::close(CLOSE_POLICY, &format!("{}: {}", r.code, r.detail)),
        )
        .await;
        handle.deregister(&conn);
        return;
    }
    drop(handshake);
    tracing::debug!(client = %conn.client_id(), "connection opened");

    let stream = ReadSide {
        read,
        conn: conn.clone(),
    };
    let stream = WebSocketStream::from_raw_socket(stream, Role::Server, Some(ws_config)).await;
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
    let mut shutdown = handle.shutdown_signal();
    // Made once, not on every wake-up.
    let shutdown = async move { shutdown.recv().await };
    tokio::pin!(shutdown);
    let mut batch = Vec::new();
    let ping = tokio::time::sleep(ping_interval);
    tokio::pin!(ping);
    // How the writer ended: wait for the reader (the client's close reply) or not.
    let mut wait_for_reader = true;
    loop {
        // In a fixed order, cheapest and most urgent first: no random start per wake-up,
        // and the queue is served before the reader's and the timer's futures are polled.
        tokio::select! {
            biased;
            _ = &mut shutdown => {
                Box::pin(shutting_down(&mut sink, &handle, &conn, &mut batch)).await;
                break;
            }
            _ = conn.outbox().woken() => {
                if let Some(ending) = flush(&mut sink, &conn, &mut batch).await {
                    wait_for_reader = Box::pin(outbox_ended(&mut sink, &handle, &conn, ending)).await;
                    break;
                }
            }
            end = &mut reader => {
                Box::pin(reader_ended(&mut sink, &handle, &conn, &mut batch, end.ok())).await;
                wait_for_reader = false;
                break;
            }
            _ = &mut ping => {
                let idle = epoch.elapsed().saturating_sub(Duration::from_millis(last_seen.load(Ordering::Relaxed)));
                if idle >= idle_timeout {
                    handle.metrics().close(CLOSE_GOING_AWAY);
                    let _ = Box::pin(send(&mut sink, &Frame::close(CLOSE_GOING_AWAY, &going_away("idle timeout")))).await;
                    break;
                }
                if send(&mut sink, &Frame::ping()).await.is_err() {
                    wait_for_reader = false;
                    break;
                }
                ping.as_mut().reset(Instant::now() + ping_interval.min(idle_timeout));
            }
        }
    }
    conn.outbox().close(CLOSE_GOING_AWAY, CloseCode::GoingAway.reason());
    if wait_for_reader {
        // The reader ends when the client answers the close frame (or the socket dies).
        if tokio::time::timeout(CLOSE_WAIT, &mut reader).await.is_err() {
            reader.abort();
        }
    } else {
        reader.abort();
    }
    ended(&handle, &pipeline, &conn);
    tracing::debug!(client = %conn.client_id(), "connection closed");
}

/// Shutdown: what is queued (bounded: a client that does not read must not
/// hold shutdown up), then a 1001 close.
async fn shutting_down<W: AsyncWrite + Unpin>(sink: &mut W, handle: &Handle, conn: &Conn, batch: &mut Vec<Frame>) {
    let _ = tokio::time::timeout(CLOSE_WAIT, flush(sink, conn, batch)).await;
    handle.metrics().close(CLOSE_GOING_AWAY);
    let close = Frame::close(CLOSE_GOING_AWAY, &going_away("server shutting down"));
    let _ = tokio::time::timeout(CLOSE_WAIT, send(sink, &close)).await;
}

/// The outbox asked for the end (`ending`, from [`flush`]): sends its close
/// frame if there is one. Returns whether to wait for the client's close reply.
async fn outbox_ended<W: AsyncWrite + Unpin>(
    sink: &mut W,
    handle: &Handle,
    conn: &Conn,
    ending: Option<CloseRequest>,
) -> bool {
    match ending {
        // A slow consumer gets its 1013 once it reads again, if it does soon.
        Some(c) => {
            handle.metrics().close(c.code);
            let _ = tokio::time::timeout(CLOSE_WAIT, send(sink, &Frame::close(c.code, &c.reason))).await;
            true
        }
        // The socket failed, or the consumer is too slow to take even a close frame
        // (still a slow-consumer close, though its frame could not be sent).
        None => {
            if conn.outbox().is_slow() {
                handle.metrics().close(CLOSE_SLOW_CONSUMER);
            }
            false
        }
    }
}

/// The reader ended: a broken client gets its close frame; after the client's
/// own close, tungstenite's answer waits in the outbox and is written.
async fn reader_ended<W: AsyncWrite + Unpin>(
    sink: &mut W,
    handle: &Handle,
    conn: &Conn,
    batch: &mut Vec<Frame>,
    end: Option<ReadEnd>,
) {
    if let Some(ReadEnd::Broken(code, why)) = end {
        let reason = format!("{}: {why}", code.reason());
        handle.metrics().close(code.code());
        let _ = tokio::time::timeout(CLOSE_WAIT, send(sink, &Frame::close(code.code(), &reason))).await;
    } else {
        let _ = tokio::time::timeout(CLOSE_WAIT, flush(sink, conn, batch)).await;
    }
}

/// What the server does once a connection has ended: the filters' and
/// processors' `on_close`, every subscription ended, then it is no longer open.
pub(crate) fn ended(handle: &Handle, pipeline: &Pipeline, conn: &Arc<Conn>) {
    pipeline.close(handle, conn);
    handle.unsubscribe_all(conn);
    handle.deregister(conn);
}

/// The reason of a 1001 close: core's, and why.
fn going_away(why: &str) -> String {
    format!("{}: {why}", CloseCode::GoingAway.reason())
}

/// Writes one frame and flushes.
async fn send<W: AsyncWrite + Unpin>(sink: &mut W, frame: &Frame) -> io::Result<()> {
    sink.write_all(frame.as_bytes()).await?;
    sink.flush().await
}

/// The read half as tungstenite sees it: reads come from the socket, and what
/// tungstenite writes (its pong and close replies, whole frames) is queued in
/// the connection's outbox for the writer.
struct ReadSide<S> {
    read: ReadHalf<S>,
    conn: Arc<Conn>,
}

impl<S: AsyncRead> AsyncRead for ReadSide<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl<S> AsyncWrite for ReadSide<S> {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // A closing connection drops the reply, as a closed socket would.
        let _ = self.conn.outbox().push(Frame::encoded(Bytes::copy_from_slice(buf)));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Why the reader stopped.
enum ReadEnd {
    /// The client closed, or the socket ended or failed.
    Closed,
    /// The client broke a WebSocket rule: the connection closes with this code
    /// (1009 for a message beyond the hard size limit, 1007 for a text frame that
    /// is not UTF-8, 1002 for the rest) and why.
    Broken(CloseCode, String),
}

/// What a read error says about the client, for its close frame; `None` when
/// the socket itself ended or failed (nobody to tell).
fn broken(e: &tokio_tungstenite::tungstenite::Error) -> Option<ReadEnd> {
    use tokio_tungstenite::tungstenite::error::{Error, ProtocolError};
    let code = match e {
        Error::Capacity(_) => CloseCode::TooBig,
        Error::Utf8(_) => CloseCode::InvalidData,
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => return None,
        Error::Protocol(_) => CloseCode::ProtocolError,
        _ => return None,
    };
    Some(ReadEnd::Broken(code, e.to_string()))
}

/// Reads messages into the pipeline until the client closes.
async fn read_loop<S>(
    mut stream: WebSocketStream<ReadSide<S>>,
    handle: Handle,
    pipeline: Arc<Pipeline>,
    conn: Arc<Conn>,
    last_seen: Arc<AtomicU64>,
    epoch: Instant,
) -> ReadEnd
where
    S: AsyncRead,
{
    let seen = || last_seen.store(epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => {
                seen();
                handle_message(&handle, &pipeline, &conn, t.as_bytes()).await;
            }
            Some(Ok(Message::Binary(b))) => {
                seen();
                handle_message(&handle, &pipeline, &conn, &b).await;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => seen(),
            Some(Ok(Message::Close(_))) => {
                // Has tungstenite write its close reply (into the outbox, for the writer).
                let _ = stream.flush().await;
                return ReadEnd::Closed;
            }
            None => return ReadEnd::Closed,
            Some(Err(e)) => {
                tracing::debug!(client = %conn.client_id(), error = %e, "read failed");
                return broken(&e).unwrap_or(ReadEnd::Closed);
            }
        }
    }
}

/// Hands one message to the pipeline; when it has to wait for a token's key set,
/// waits here (reading nothing else, so messages keep their order), then runs it again.
async fn handle_message(handle: &Handle, pipeline: &Pipeline, conn: &Arc<Conn>, data: &[u8]) {
    if let Some(wait) = pipeline.message(handle, conn, data) {
        // Boxed: rare, and the reader's task state stays small while idle.
        Box::pin(wait).await;
        pipeline.message_again(handle, conn, data);
    }
}

/// Writes everything queued, in batches with one write each. Returns
/// `Some(close)` when the connection must end: `Some(Some(req))` to send a close
/// frame first, `Some(None)` when the socket failed or a slow consumer did not
/// take what was queued within [`SLOW_CONSUMER_GRACE`].
///
/// A consumer found slow still gets what was queued before it was, within
/// [`SLOW_CONSUMER_GRACE`]: the frames on the wire end whole and its 1013 close frame can
/// follow them, so a reader that was only behind reads on, learns why it was cut,
/// and misses only what came after.
async fn flush<W>(sink: &mut W, conn: &Conn, batch: &mut Vec<Frame>) -> Option<Option<CloseRequest>>
where
    W: AsyncWrite + Unpin,
{
    // Set once the consumer is found slow: what is left to write must be written by then.
    let mut cut_at: Option<Instant> = None;
    loop {
        let close = conn.outbox().drain(batch);
        if cut_at.is_none() && conn.outbox().is_slow() {
            cut_at = Some(Instant::now() + SLOW_CONSUMER_GRACE);
        }
        if batch.is_empty() {
            return close.map(Some);
        }
        {
            let frames = batch.as_slice();
            let sink = &mut *sink;
            let write = async move {
                if let [one] = frames {
                    sink.write_all(one.as_bytes()).await?;
                } else {
                    // One copy into one buffer: one write for the whole batch.
                    let mut buf = Vec::with_capacity(frames.iter().map(|f| f.as_bytes().len()).sum());
                    frames.iter().for_each(|f| buf.extend_from_slice(f.as_bytes()));
                    sink.write_all(&buf).await?;
                }
                sink.flush().await
            };
            tokio::pin!(write);
            loop {
                let give_up = async {
                    match cut_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    r = &mut write => {
                        if r.is_err() {
                            return Some(None);
                        }
                        break;
                    }
                    // A push while writing: only a slow consumer's matters.
                    _ = conn.outbox().woken(), if cut_at.is_none() => {
                        if conn.outbox().is_slow() {
                            cut_at = Some(Instant::now() + SLOW_CONSUMER_GRACE);
                        }
                    }
                    _ = give_up => return Some(None),
                }
            }
        }
        batch.clear();
        if close.is_some() {
            return close.map(Some);
        }
    }
}

/// How long a slow consumer has to take what was queued before it was cut (at
/// most `max_queue_bytes`), before its socket is dropped without a close frame.
const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(5);

/// How long a closing connection waits for the client's close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
