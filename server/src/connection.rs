//! One WebSocket connection's task: it writes its outbox to the socket, reads
//! the client's frames into the pipeline, closes on shutdown (and when the
//! node's keep-alive timer finds it silent),
//! and cleans up every subscription when it ends.
//!
//! One task per connection, polled by hand ([`Open`]) so that an idle
//! connection holds only its state: no read buffer (reads go to the worker
//! thread's buffer, [`inbound`](crate::inbound) keeps only a cut frame), no second
//! task, no split lock. A wake-up for a delivery drains the outbox and writes
//! everything queued with one vectored write; the read side is only a
//! readiness check then.

use crate::conn::Conn;
use crate::context::Handshake;
use crate::frame::Frame;
use crate::handle::Handle;
use crate::inbound::{Broken, Event, Fed, Flow, Inbound};
use crate::outbox::{advance, fill_slices, CloseRequest, CLOSE_SLOW_CONSUMER, MAX_SLICES};
use crate::pipeline::Pipeline;
use crate::shard;
use crate::token::KeyFetch;
use bytes::Bytes;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use lhttp_core::CloseCode;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Sleep;
use tokio_rustls::server::TlsStream;

/// Close code sent when the server shuts down or a connection was idle too long (1001).
pub const CLOSE_GOING_AWAY: u16 = CloseCode::GoingAway.code();
/// Close code sent when a filter refuses a connection (1008).
pub const CLOSE_POLICY: u16 = CloseCode::Policy.code();

/// How long a slow consumer has to take what was queued before it was cut (at
/// most `max_queue_bytes`), before its socket is dropped without a close frame.
const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(5);

/// How long a closing connection waits for the client's close frame (and to write its own).
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The most one read takes: also how many publishes a publisher's read can
/// carry, and so how many frames each subscriber's write can batch.
const READ_SIZE: usize = 32 * 1024;

/// Rounds of write, read and timers in one poll before the task yields to the
/// others on its worker.
const ROUNDS: usize = 16;

thread_local! {
    /// Every connection on this worker thread reads into this buffer, and
    /// hands over whole frames before its poll returns.
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_SIZE].into_boxed_slice());
}

/// Serves an upgraded connection on its own stream, out of hyper's wrapper when
/// it is one of the server's (plain TCP or TLS): a box and a dynamic call per
/// read and write fewer, and hyper's leftovers freed.
pub(crate) async fn run_upgraded(
    handle: Handle,
    pipeline: Arc<Pipeline>,
    upgraded: Upgraded,
    handshake: Box<Handshake>,
    permit: OwnedSemaphorePermit,
) {
    let upgraded = match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(p) => return run(handle, pipeline, p.io.into_inner(), p.read_buf, handshake, permit).await,
        Err(u) => u,
    };
    let upgraded = match upgraded.downcast::<TokioIo<TlsStream<TcpStream>>>() {
        Ok(p) => return run(handle, pipeline, p.io.into_inner(), p.read_buf, handshake, permit).await,
        Err(u) => u,
    };
    run(
        handle,
        pipeline,
        TokioIo::new(upgraded),
        Bytes::new(),
        handshake,
        permit,
    )
    .await;
}

/// Opens an upgraded connection (or refuses it, as a filter says) and serves it
/// until it closes, holding `permit` until then. `early` is what the client sent
/// after its upgrade request and hyper read with it.
///
/// The connection is served by a task of its own, spawned here (on a
/// [shard](crate::shard) when the stream is plain TCP and shards run), whose
/// future is [`Open`] and little else: the upgrade's and the handshake's state
/// stay in this one, which ends now.
async fn run<S: Served>(
    handle: Handle,
    pipeline: Arc<Pipeline>,
    io: S,
    early: Bytes,
    handshake: Box<Handshake>,
    permit: OwnedSemaphorePermit,
) {
    let conn = handle.register();
    if let Err(r) = pipeline.open(&handle, &conn, &handshake) {
        Box::pin(refuse(io, &handle, &conn, r)).await;
        return;
    }
    drop(handshake);
    if handle.is_shutting_down() {
        // Registered after the shutdown told every open connection.
        conn.outbox().shut_down();
    }
    tracing::debug!(client = %conn.client_id(), "connection opened");
    io.spawn_served(Opened {
        handle,
        pipeline,
        conn,
        early,
        permit,
    });
}

/// A stream a connection can be served on, and where its task runs.
trait Served: AsyncRead + AsyncWrite + Unpin + Send + Sized + 'static {
    /// Spawns the task that serves `opened` on this stream: on the server's
    /// runtime unless the stream says otherwise.
    fn spawn_served(self, opened: Opened) {
        tokio::spawn(opened.serve(self));
    }
}

impl Served for TlsStream<TcpStream> {}
impl Served for TokioIo<Upgraded> {}

impl Served for TcpStream {
    /// On a shard when shards run: the socket moves to the shard's runtime.
    fn spawn_served(self, opened: Opened) {
        let Some(shards) = opened.handle.shards().cloned() else {
            tokio::spawn(opened.serve(self));
            return;
        };
        let shard = shards.pick();
        let socket = match self.into_std() {
            Ok(socket) => socket,
            Err(e) => return opened.lost(&e),
        };
        opened.conn.set_shard(shard);
        let mut placing = Placing(Some(opened));
        // The shard's own thread registers the socket and spawns the task, so
        // the task's future is the connection's alone.
        shards.run(
            shard,
            Box::new(move || {
                let Some(opened) = placing.0.take() else {
                    return;
                };
                if shard::current() != Some(shard) {
                    // Run here because the shard has stopped.
                    return opened.lost(&"its shard has stopped");
                }
                match TcpStream::from_std(socket) {
                    Ok(io) => {
                        // The shard writes deliveries to it too (Outbox::flush).
                        let io = Arc::new(io);
                        opened.conn.outbox().attach(io.clone());
                        tokio::spawn(opened.serve(Shared(io)));
                    }
                    Err(e) => opened.lost(&e),
                }
            }),
        );
    }
}

/// A connection on its way to its shard. Should the shard stop before it runs
/// there (an upgrade that finishes while the server stops), the connection
/// ends as a lost one does instead of staying registered.
struct Placing(Option<Opened>);

impl Drop for Placing {
    fn drop(&mut self) {
        if let Some(opened) = self.0.take() {
            opened.lost(&"its shard has stopped");
        }
    }
}

/// An admitted connection, before its task runs.
struct Opened {
    handle: Handle,
    pipeline: Arc<Pipeline>,
    conn: Arc<Conn>,
    early: Bytes,
    permit: OwnedSemaphorePermit,
}

impl Opened {
    /// The task that serves the connection on `io` until it ends. Not an
    /// `async fn`: its arguments would stay in the future beside the state
    /// made of them, for the connection's whole life.
    fn serve<S: AsyncRead + AsyncWrite + Unpin>(self, io: S) -> impl Future<Output = ()> {
        let Opened {
            handle,
            pipeline,
            conn,
            early,
            permit,
        } = self;
        let mut open = Open::new(io, handle, pipeline, conn);
        // What came early, now (it may share hyper's whole read buffer, which
        // is not to be kept for the connection's life).
        let first = if early.is_empty() {
            None
        } else {
            let (inbound, mut on) = open.events();
            fed(inbound.feed(&mut early.to_vec(), &mut on)).err()
        };
        drop(early);
        async move {
            // `first`: it ended already, on what came early.
            let end = match first {
                Some(end) => end,
                None => (&mut open).await,
            };
            // Boxed: the closing paths' state is allocated only when one is taken.
            Box::pin(open.finish(end)).await;
            drop(permit);
        }
    }

    /// The socket could not be moved to its shard: the connection ends, as a
    /// dropped socket does (logged, no close frame).
    fn lost(self, why: &dyn std::fmt::Display) {
        tracing::warn!(client = %self.conn.client_id(), error = %why, "a connection's socket could not move to its shard; it is closed");
        ended(&self.handle, &self.pipeline, &self.conn);
    }
}

/// A filter refused the connection: a 1008 close with why, and it is gone.
async fn refuse<S: AsyncWrite + Unpin>(mut io: S, handle: &Handle, conn: &Arc<Conn>, r: crate::filter::Reject) {
    handle.metrics().close(CLOSE_POLICY);
    let close = Frame::close(CLOSE_POLICY, &format!("{}: {}", r.code, r.detail));
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        io.write_all(close.as_bytes()).await?;
        io.flush().await
    })
    .await;
    handle.deregister(conn);
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

/// Why the open connection ends.
enum End {
    /// The server shuts down: write what is queued, then close with 1001.
    Shutdown,
    /// The outbox asked for this close (a processor, the directory, a slow
    /// consumer), after what was queued before it.
    Close(CloseRequest),
    /// The socket failed, or a slow consumer did not take what was queued in time.
    Dropped,
    /// The client closed (its close frame answered), or its socket ended.
    ClientClosed,
    /// The client broke a WebSocket rule.
    Broken(Broken),
}

/// A message waiting for a token's key set (spec 14); nothing else is read
/// meanwhile, so messages keep their order.
struct Deferred {
    message: Vec<u8>,
    wait: KeyFetch,
}

/// The connection while it is open: everything it holds between wake-ups.
struct Open<S> {
    io: S,
    handle: Handle,
    pipeline: Arc<Pipeline>,
    conn: Arc<Conn>,
    inbound: Inbound,
    /// Frames being written (the first may be what is left of one cut short).
    out: VecDeque<Frame>,
    /// Everything was written but not yet flushed (TLS buffers).
    unflushed: bool,
    /// A close the outbox asked for, sent once what was queued before it is written.
    closing: Option<Box<CloseRequest>>,
    /// Set once the consumer is found slow: what is left must be written by then.
    cut: Option<Pin<Box<Sleep>>>,
    /// Boxed: rare, and the state of an idle connection stays small.
    deferred: Option<Box<Deferred>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Open<S> {
    fn new(io: S, handle: Handle, pipeline: Arc<Pipeline>, conn: Arc<Conn>) -> Self {
        let limits = &handle.config().limits;
        // Messages up to 4x the limit are read and answered with MessageTooLarge;
        // beyond that the connection is closed with 1009.
        let inbound = Inbound::new(limits.max_message_size.saturating_mul(4).max(1024));
        Open {
            io,
            handle,
            pipeline,
            conn,
            inbound,
            out: VecDeque::new(),
            unflushed: false,
            closing: None,
            cut: None,
            deferred: None,
        }
    }

    /// Writes what is queued (the outbox drained only once the last batch is
    /// written, so a consumer that does not read fills its outbox and is cut).
    /// `Err` with how the connection ends.
    fn write(&mut self, cx: &mut Context<'_>) -> Result<(), End> {
        loop {
            if self.out.is_empty() && self.closing.is_none() {
                let outbox = self.conn.outbox();
                outbox.register(cx.waker());
                let drained = outbox.drain(&mut self.out);
                if drained.shutdown {
                    return Err(End::Shutdown);
                }
                if let Some(close) = drained.close {
                    if outbox.is_slow() {
                        self.cut = Some(Box::pin(tokio::time::sleep(SLOW_CONSUMER_GRACE)));
                    }
                    self.closing = Some(Box::new(close));
                }
            }
            if self.out.is_empty() {
                if self.unflushed {
                    match Pin::new(&mut self.io).poll_flush(cx) {
                        Poll::Ready(Ok(())) => self.unflushed = false,
                        Poll::Ready(Err(_)) => return Err(End::Dropped),
                        Poll::Pending => return Ok(()),
                    }
                }
                return match self.closing.take() {
                    Some(close) => Err(End::Close(*close)),
                    None => Ok(()),
                };
            }
            match write_some(&mut self.io, &mut self.out, cx) {
                Poll::Ready(Ok(())) => self.unflushed = true,
                Poll::Ready(Err(_)) => return Err(End::Dropped),
                Poll::Pending => {
                    // Pushes while the socket is full matter only when the last
                    // one found the consumer slow: then the grace starts.
                    if self.cut.is_none() {
                        let outbox = self.conn.outbox();
                        outbox.register(cx.waker());
                        if outbox.is_slow() {
                            self.cut = Some(Box::pin(tokio::time::sleep(SLOW_CONSUMER_GRACE)));
                        }
                    }
                    if let Some(cut) = &mut self.cut {
                        if cut.as_mut().poll(cx).is_ready() {
                            return Err(End::Dropped);
                        }
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Reads what the socket has and hands its frames to the pipeline.
    fn read(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        if self.deferred.is_some() {
            return Ok(false);
        }
        READ_BUF.with(|buf| {
            // Never taken twice (nothing reads inside a read), but a fresh buffer would do.
            let mut fallback = None;
            let mut shared = buf.try_borrow_mut().ok();
            let buf: &mut [u8] = match shared.as_deref_mut() {
                Some(b) => b,
                None => &mut fallback.insert(vec![0; READ_SIZE])[..],
            };
            let mut read = ReadBuf::new(buf);
            match Pin::new(&mut self.io).poll_read(cx, &mut read) {
                Poll::Pending => Ok(false),
                Poll::Ready(Err(e)) => {
                    tracing::debug!(client = %self.conn.client_id(), error = %e, "read failed");
                    Err(End::ClientClosed)
                }
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    if n == 0 {
                        return Err(End::ClientClosed);
                    }
                    self.conn.seen();
                    let (inbound, mut on) = self.events();
                    fed(inbound.feed(&mut buf[..n], &mut on))
                }
            }
        })
    }

    /// A deferred message whose wait has ended runs again, then what was read after it.
    fn resume(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        let Some(d) = &mut self.deferred else {
            return Ok(false);
        };
        if d.wait.as_mut().poll(cx).is_pending() {
            return Ok(false);
        }
        let d = self.deferred.take().map(|d| d.message).unwrap_or_default();
        self.pipeline.message_again(&self.handle, &self.conn, &d);
        let (inbound, mut on) = self.events();
        fed(inbound.resume(&mut on))
    }

    /// The reader, and what each of its events does.
    fn events(&mut self) -> (&mut Inbound, impl FnMut(Event<'_>) -> Flow + '_) {
        let Open {
            inbound,
            handle,
            pipeline,
            conn,
            out,
            deferred,
            ..
        } = self;
        let on = move |event: Event<'_>| {
            match event {
                Event::Message(data) => {
                    if let Some(wait) = pipeline.message(handle, conn, data) {
                        *deferred = Some(Box::new(Deferred {
                            message: data.to_vec(),
                            wait,
                        }));
                        return Flow::Pause;
                    }
                }
                Event::Ping(payload) => {
                    conn.outbox().busy();
                    out.push_back(Frame::pong(payload));
                }
                Event::Pong => {}
                // Answered with its own code, as RFC 6455 section 5.5.1 asks.
                Event::Close(code) => {
                    conn.outbox().busy();
                    out.push_back(Frame::close_reply(code));
                }
            }
            Flow::Continue
        };
        (inbound, on)
    }

    /// Writes everything queued first (a wake-up is most often a delivery),
    /// then a deferred message and reads: whether those two did something, so
    /// what they queued is written in another round. (Pings and the idle close
    /// come through the outbox, from the node's keep-alive timer.)
    fn round(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        self.write(cx)?;
        let resumed = self.resume(cx)?;
        let read = self.read(cx)?;
        Ok(resumed | read)
    }

    /// Everything queued (in `out` and in the outbox) written, within [`CLOSE_WAIT`].
    async fn write_all(&mut self) {
        let all = poll_fn(|cx| loop {
            if self.out.is_empty() {
                self.conn.outbox().drain(&mut self.out);
            }
            if self.out.is_empty() {
                return Pin::new(&mut self.io).poll_flush(cx).map(drop);
            }
            if ready!(write_some(&mut self.io, &mut self.out, cx)).is_err() {
                return Poll::Ready(());
            }
        });
        let _ = tokio::time::timeout(CLOSE_WAIT, all).await;
    }

    /// Sends a close frame after what is queued, counted under its code.
    async fn close(&mut self, code: u16, reason: &str) {
        self.handle.metrics().close(code);
        self.out.push_back(Frame::close(code, reason));
        self.write_all().await;
    }

    /// Waits (within [`CLOSE_WAIT`]) for the client to answer a close; what it
    /// sends meanwhile is not handled.
    async fn close_reply(&mut self) {
        let mut buf = vec![0; 4096];
        let reply = poll_fn(|cx| loop {
            let mut read = ReadBuf::new(&mut buf);
            if ready!(Pin::new(&mut self.io).poll_read(cx, &mut read)).is_err() || read.filled().is_empty() {
                return Poll::Ready(());
            }
            let n = read.filled().len();
            match self.inbound.feed(&mut buf[..n], &mut |_| Flow::Continue) {
                Ok(Fed::More | Fed::Paused) => {}
                Ok(Fed::Closed) | Err(_) => return Poll::Ready(()),
            }
        });
        let _ = tokio::time::timeout(CLOSE_WAIT, reply).await;
    }

    /// Ends the connection as `end` says, then cleans up after it.
    async fn finish(mut self, end: End) {
        // Nothing more is queued from now on.
        self.conn
            .outbox()
            .close(CLOSE_GOING_AWAY, CloseCode::GoingAway.reason());
        match end {
            End::Shutdown => {
                self.write_all().await;
                self.close(CLOSE_GOING_AWAY, &going_away("server shutting down")).await;
                self.close_reply().await;
            }
            End::Close(c) => {
                // A slow consumer gets its 1013 once it reads again, if it does soon.
                self.close(c.code, &c.reason).await;
                self.close_reply().await;
            }
            End::Dropped => {
                // The socket failed, or the consumer is too slow to take even a
                // close frame (still a slow-consumer close, though not sent).
                if self.conn.outbox().is_slow() {
                    self.handle.metrics().close(CLOSE_SLOW_CONSUMER);
                }
            }
            // What is queued, the answer to its close last.
            End::ClientClosed => self.write_all().await,
            End::Broken(b) => {
                tracing::debug!(client = %self.conn.client_id(), why = b.why, "broken frame");
                let reason = format!("{}: {}", b.code.reason(), b.why);
                self.close(b.code.code(), &reason).await;
            }
        }
        ended(&self.handle, &self.pipeline, &self.conn);
        tracing::debug!(client = %self.conn.client_id(), "connection closed");
    }
}

/// What a read or resume did: progress, or the end it calls for.
fn fed(r: Result<Fed, Broken>) -> Result<bool, End> {
    match r {
        Ok(Fed::More | Fed::Paused) => Ok(true),
        Ok(Fed::Closed) => Err(End::ClientClosed),
        Err(b) => Err(End::Broken(b)),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Open<S> {
    type Output = End;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<End> {
        let this = self.get_mut();
        for _ in 0..ROUNDS {
            match this.round(cx) {
                Err(end) => return Poll::Ready(end),
                Ok(false) => return Poll::Pending,
                Ok(true) => {}
            }
        }
        // Busy: let the worker's other tasks run, then go on.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A shard connection's socket, shared with its outbox so that the shard can
/// write deliveries straight to it ([`Outbox::flush`](crate::outbox::Outbox::flush)).
struct Shared(Arc<TcpStream>);

impl AsyncRead for Shared {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read_buf(buf) {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Shared {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(socket2::SockRef::from(&*self.0).shutdown(std::net::Shutdown::Write))
    }
}

/// Writes the frames of `out` until all are written or the socket is full,
/// several at once when the socket takes vectors.
fn write_some<S: AsyncWrite + Unpin>(
    io: &mut S,
    out: &mut VecDeque<Frame>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    while let Some(first) = out.front() {
        let n = if out.len() > 1 && io.is_write_vectored() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let k = fill_slices(out, &mut slices);
            ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..k]))?
        } else {
            ready!(Pin::new(&mut *io).poll_write(cx, first.as_bytes()))?
        };
        if n == 0 {
            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
        }
        advance(out, n);
    }
    if out.capacity() > 64 {
        // Give back the memory of a burst.
        *out = VecDeque::new();
    }
    Poll::Ready(Ok(()))
}
