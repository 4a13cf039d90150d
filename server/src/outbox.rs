//! Each connection's bounded outbound queue. Publishers push shared frames
//! into it without waiting; the connection's task drains it in batches. A
//! queue that fills up, in bytes (what it holds) or in frames (their
//! bookkeeping, for floods of tiny ones), marks its connection a slow
//! consumer, to be closed, instead of growing memory or slowing the publisher
//! down: nothing more is queued, what was queued is still written (so a reader
//! that was only behind gets it, then its 1013, and recovers only what came
//! after), within a bounded time.
//!
//! On a [shard](crate::shard) the queue also holds the connection's socket, so
//! that the shard can write what a batch of publishes queued straight to it
//! ([`Outbox::flush`]) while the connection's task has nothing in hand: no
//! wake-up and no poll of that task per delivery, the way uWebSockets writes
//! its sockets from the publish itself.

use crate::frame::Frame;
use futures_util::task::AtomicWaker;
use lhttp_core::CloseCode;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::{Arc, Mutex};
use std::task::Waker;
use tokio::net::TcpStream;

/// The most frames given to one vectored write.
pub(crate) const MAX_SLICES: usize = 64;

/// Close code for a consumer too slow to keep up (1013, "try again later").
pub const CLOSE_SLOW_CONSUMER: u16 = CloseCode::TryAgainLater.code();

/// The reason of a normal close (1000) the server asks for (a processor's or the directory's).
pub(crate) const CLOSED_BY_THE_SERVER: &str = "closed by the server";

/// Why a push did not queue the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The queue was full: the connection is now being closed as a slow consumer
    /// (what was queued before is still written).
    Full,
    /// The connection is closing; nothing more is queued.
    Closed,
}

/// A close the connection's task should perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// WebSocket close code.
    pub code: u16,
    /// Close reason sent to the client.
    pub reason: String,
}

/// The queue and its wake-up signals.
#[derive(Debug)]
pub struct Outbox {
    /// Frames waiting to be written, and a pending close. A std mutex: it is
    /// held only to push or swap, never across an await.
    inner: Mutex<Inner>,
    /// Wakes the connection task when a frame, a close or the shutdown arrives
    /// (an atomic, not a lock: it is taken once per delivery).
    wake: AtomicWaker,
    /// Most frames waiting before the consumer counts as slow.
    max: usize,
    /// Most bytes (frames as written) waiting before the consumer counts as slow.
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<Frame>,
    /// The bytes of the frames in `queue`.
    bytes: usize,
    close: Option<CloseRequest>,
    /// The server is shutting down.
    shutdown: bool,
    /// The connection's socket, when its shard may write it ([`Outbox::flush`]).
    socket: Option<Arc<TcpStream>>,
    /// The connection's task holds nothing unwritten (its last drain found the
    /// queue empty), so a write straight to the socket keeps the frames in order.
    idle: bool,
}

/// What [`Outbox::drain`] found besides the frames.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Drained {
    /// A close asked for: write what was drained, then close.
    pub close: Option<CloseRequest>,
    /// The server is shutting down.
    pub shutdown: bool,
}

impl Outbox {
    /// An empty queue holding at most `max` frames and `max_bytes` bytes of them.
    pub fn new(max: usize, max_bytes: usize) -> Self {
        Outbox {
            inner: Mutex::new(Inner::default()),
            wake: AtomicWaker::new(),
            max,
            max_bytes,
        }
    }

    /// Queues a frame (cheap: frames share their bytes).
    pub fn push(&self, frame: Frame) -> Result<(), PushError> {
        self.queue(frame)?;
        self.wake.wake();
        Ok(())
    }

    /// Queues a frame as [`push`](Self::push) does, but leaves the wake-up to
    /// the caller ([`wake`](Self::wake)), so a publish can wake another shard's
    /// connections there; returns how many frames are queued, this one included
    /// (for the outbox depth histogram). A full queue's close wakes the
    /// connection at once.
    pub(crate) fn queue(&self, frame: Frame) -> Result<usize, PushError> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.close.is_some() {
            return Err(PushError::Closed);
        }
        let len = frame.as_bytes().len();
        if inner.queue.len() >= self.max || inner.bytes.saturating_add(len) > self.max_bytes {
            let reason = format!(
                "{}: {} messages ({} bytes) waiting, the limit is {} messages or {} bytes",
                CloseCode::TryAgainLater.reason(),
                inner.queue.len() + 1,
                inner.bytes + len,
                self.max,
                self.max_bytes
            );
            inner.close = Some(CloseRequest {
                code: CLOSE_SLOW_CONSUMER,
                reason,
            });
            drop(inner);
            self.wake.wake();
            return Err(PushError::Full);
        }
        inner.bytes += len;
        inner.queue.push_back(frame);
        Ok(inner.queue.len())
    }

    /// Wakes the connection's task for what was [queued](Self::queue).
    pub(crate) fn wake(&self) {
        self.wake.wake();
    }

    /// Lets [`flush`](Self::flush) write to `socket`, the connection's own
    /// (shared with its task, on the thread that runs both).
    pub(crate) fn attach(&self, socket: Arc<TcpStream>) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).socket = Some(socket);
    }

    /// The connection's task is about to write something of its own (a pong, a
    /// close reply): nothing goes straight to the socket until it has written it.
    pub(crate) fn busy(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).idle = false;
    }

    /// Writes what is queued straight to the socket, when the outbox holds it
    /// and the connection's task holds nothing unwritten; wakes the task for
    /// whatever is left (the socket full, or no socket here). Called on the
    /// connection's shard, after a batch of publishes queued without waking it.
    pub(crate) fn flush(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.idle && inner.close.is_none() && !inner.shutdown {
            if let Some(socket) = inner.socket.clone() {
                while let Some(first) = inner.queue.front() {
                    let written = if inner.queue.len() == 1 {
                        // One frame (most often, one publish): a plain send, no vector to import.
                        socket.try_write(first.as_bytes())
                    } else {
                        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                        let k = fill_slices(&inner.queue, &mut slices);
                        socket.try_write_vectored(&slices[..k])
                    };
                    match written {
                        Ok(n) if n > 0 => inner.written(n),
                        // The task meets the error (or the full socket) itself.
                        Ok(_) | Err(_) => break,
                    }
                }
                if inner.queue.is_empty() {
                    return;
                }
            }
        }
        drop(inner);
        self.wake.wake();
    }

    /// Asks the connection's task to close with `code` and `reason`; later pushes fail.
    pub fn close(&self, code: u16, reason: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // The task owns the socket from now on (and drops it when it ends).
        inner.socket = None;
        if inner.close.is_none() {
            inner.close = Some(CloseRequest {
                code,
                reason: reason.into(),
            });
        }
        drop(inner);
        self.wake.wake();
    }

    /// Whether a close has been asked for.
    pub fn is_closing(&self) -> bool {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).close.is_some()
    }

    /// Whether the connection is being dropped as a slow consumer.
    pub fn is_slow(&self) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.close.as_ref().is_some_and(|c| c.code == CLOSE_SLOW_CONSUMER)
    }

    /// Tells the connection's task that the server is shutting down: it writes
    /// what is queued, then closes with 1001.
    pub(crate) fn shut_down(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).shutdown = true;
        self.wake.wake();
    }

    /// Moves every waiting frame to the end of `batch` (without copying them
    /// when `batch` is empty) and says whether a close or the shutdown is pending.
    pub(crate) fn drain(&self, batch: &mut VecDeque<Frame>) -> Drained {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if batch.is_empty() {
            std::mem::swap(batch, &mut inner.queue);
        } else {
            batch.extend(inner.queue.drain(..));
        }
        inner.bytes = 0;
        inner.idle = batch.is_empty();
        if inner.queue.capacity() > 64 {
            // Give back the memory of a burst: idle connections stay small.
            inner.queue = VecDeque::new();
        }
        Drained {
            close: inner.close.clone(),
            shutdown: inner.shutdown,
        }
    }

    /// Has `waker` woken by the next push, close or shutdown (call before [`drain`](Self::drain)).
    pub(crate) fn register(&self, waker: &Waker) {
        self.wake.register(waker);
    }
}

/// Points `slices` at the bytes of the first frames of `frames`, for one
/// vectored write; returns how many it filled.
pub(crate) fn fill_slices<'a>(frames: &'a VecDeque<Frame>, slices: &mut [IoSlice<'a>; MAX_SLICES]) -> usize {
    let mut k = 0;
    for (slot, frame) in slices.iter_mut().zip(frames) {
        *slot = IoSlice::new(frame.as_bytes());
        k += 1;
    }
    k
}

/// Drops from `frames` the `n` bytes just written from its front: whole frames
/// go, a frame cut short stays first as what is left of it. One rule for the
/// connection's task and for a shard writing the socket itself, so either can
/// go on from where the other stopped.
pub(crate) fn advance(frames: &mut VecDeque<Frame>, mut n: usize) {
    while let Some(first) = frames.front_mut() {
        let len = first.as_bytes().len();
        if n < len {
            if n > 0 {
                *first = first.tail(n);
            }
            return;
        }
        n -= len;
        frames.pop_front();
    }
}

impl Inner {
    /// Drops from the queue the `n` bytes just written straight to the socket.
    fn written(&mut self, n: usize) {
        self.bytes -= n.min(self.bytes);
        advance(&mut self.queue, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frame(text: &'static str) -> Frame {
        Frame::data(&Bytes::from_static(text.as_bytes()))
    }

    #[test]
    fn advancing_drops_written_frames_and_keeps_what_is_left_of_a_cut_one() {
        let mut out: VecDeque<Frame> = [frame("abc"), frame("de"), frame("f")].into();
        advance(&mut out, 0);
        assert_eq!(out.len(), 3);
        advance(&mut out, 2);
        // Each frame is 2 header bytes and its text.
        assert_eq!(
            out.front().unwrap().as_bytes(),
            b"abc",
            "the first frame from its third byte"
        );
        advance(&mut out, 3 + 4);
        assert_eq!(out.len(), 1, "two frames done, exactly");
        assert_eq!(out.front().unwrap().as_bytes().len(), 3);
        advance(&mut out, 3);
        assert!(out.is_empty());
    }

    #[test]
    fn frames_drain_in_order_and_the_queue_empties() {
        let o = Outbox::new(4, 1 << 20);
        o.push(frame("a")).unwrap();
        o.push(frame("b")).unwrap();
        let mut batch = VecDeque::new();
        assert_eq!(o.drain(&mut batch), Drained::default());
        assert_eq!(batch, [frame("a"), frame("b")]);
        batch.clear();
        assert_eq!(o.drain(&mut batch), Drained::default());
        assert!(batch.is_empty());
    }

    #[test]
    fn a_full_queue_takes_nothing_more_keeps_what_it_holds_and_asks_for_a_slow_consumer_close() {
        let o = Outbox::new(2, 1 << 20);
        o.push(frame("a")).unwrap();
        o.push(frame("b")).unwrap();
        assert_eq!(o.push(frame("c")), Err(PushError::Full));
        assert!(o.is_slow() && o.is_closing());
        assert_eq!(o.push(frame("d")), Err(PushError::Closed));
        let mut batch = VecDeque::new();
        let close = o.drain(&mut batch).close.expect("a close");
        assert_eq!(
            batch,
            [frame("a"), frame("b")],
            "what was queued is still written, then the close"
        );
        assert_eq!(close.code, CLOSE_SLOW_CONSUMER);
    }

    #[test]
    fn a_queue_is_full_by_its_bytes_too_and_draining_empties_them() {
        // Frames of 2 + 3 bytes (a 2-byte header): 10 bytes hold two.
        let o = Outbox::new(100, 10);
        o.push(frame("abc")).unwrap();
        o.push(frame("def")).unwrap();
        let mut batch = VecDeque::new();
        assert_eq!(o.drain(&mut batch), Drained::default());
        o.push(frame("abc")).unwrap();
        o.push(frame("def")).unwrap();
        assert_eq!(o.push(frame("g")), Err(PushError::Full), "5 + 5 + 3 bytes");
        let close = o.drain(&mut batch).close.expect("a close");
        assert_eq!(close.code, CLOSE_SLOW_CONSUMER);
        assert!(
            close.reason.contains("13 bytes") && close.reason.contains("10 bytes"),
            "{}",
            close.reason
        );
    }

    #[test]
    fn a_close_keeps_what_was_queued_and_refuses_the_rest() {
        let o = Outbox::new(4, 1 << 20);
        o.push(frame("a")).unwrap();
        o.close(1000, "bye");
        o.close(1001, "second close is ignored");
        assert_eq!(o.push(frame("b")), Err(PushError::Closed));
        assert!(o.is_closing() && !o.is_slow());
        let mut batch = VecDeque::new();
        let close = o.drain(&mut batch).close;
        assert_eq!(batch, [frame("a")]);
        assert_eq!(
            close,
            Some(CloseRequest {
                code: 1000,
                reason: "bye".into()
            })
        );
    }

    #[test]
    fn a_push_a_close_and_the_shutdown_wake_the_writer() {
        let count = std::sync::Arc::new(Count(Default::default()));
        let woken = || count.0.load(std::sync::atomic::Ordering::SeqCst);
        let waker = Waker::from(count.clone());
        let o = Outbox::new(4, 1 << 20);
        o.register(&waker);
        o.push(frame("a")).unwrap();
        assert_eq!(woken(), 1);
        o.push(frame("b")).unwrap();
        assert_eq!(woken(), 1, "one wake until the task registers again");
        o.register(&waker);
        o.shut_down();
        assert_eq!(woken(), 2);
        let mut batch = VecDeque::new();
        assert!(o.drain(&mut batch).shutdown);
        assert_eq!(batch, [frame("a"), frame("b")]);
        o.register(&waker);
        o.close(1000, "bye");
        assert_eq!(woken(), 3);
    }

    /// Counts its wake-ups.
    struct Count(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn a_flush_writes_straight_to_the_socket_only_while_the_task_holds_nothing_and_leaves_the_rest_to_it() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut peer = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (socket, _) = listener.accept().await.unwrap();
        socket2::SockRef::from(&socket).set_send_buffer_size(4096).unwrap();
        let count = Arc::new(Count(Default::default()));
        let woken = || count.0.load(std::sync::atomic::Ordering::SeqCst);
        let waker = Waker::from(count.clone());
        let o = Outbox::new(100, 1 << 24);
        o.attach(Arc::new(socket));
        o.queue(frame("a")).unwrap();
        o.flush();
        assert_eq!(woken(), 0, "no waker yet: the task has not run");
        // The task runs: it takes "a" and holds it, so nothing goes straight.
        let mut batch = VecDeque::new();
        o.register(&waker);
        o.drain(&mut batch);
        assert_eq!(batch, [frame("a")]);
        o.queue(frame("b")).unwrap();
        o.flush();
        assert_eq!(woken(), 1, "the task writes it, after what it holds");
        // The task wrote "a" and drains again: "b", then nothing; idle now.
        batch.clear();
        o.drain(&mut batch);
        assert_eq!(batch, [frame("b")]);
        batch.clear();
        o.register(&waker);
        o.drain(&mut batch);
        assert!(batch.is_empty());
        o.queue(frame("cd")).unwrap();
        o.queue(frame("e")).unwrap();
        o.flush();
        assert_eq!(woken(), 1, "all written straight, no wake-up");
        let mut got = vec![0; 7];
        peer.read_exact(&mut got).await.unwrap();
        assert_eq!(got, [frame("cd").as_bytes(), frame("e").as_bytes()].concat());
        // More than the socket takes: what is left of the frame stays queued, first.
        let big = Frame::data(&vec![b'x'; 1 << 22]);
        o.queue(big.clone()).unwrap();
        o.queue(frame("f")).unwrap();
        o.flush();
        assert_eq!(woken(), 2, "the task writes the rest");
        o.drain(&mut batch);
        assert_eq!(batch.len(), 2);
        let tail = batch[0].as_bytes();
        assert!(!tail.is_empty() && tail.len() < big.as_bytes().len());
        assert_eq!(tail, &big.as_bytes()[big.as_bytes().len() - tail.len()..]);
        assert_eq!(batch[1], frame("f"));
        // A pong of the task's own, then a close: nothing straight any more.
        batch.clear();
        o.register(&waker);
        o.drain(&mut batch);
        o.busy();
        o.queue(frame("g")).unwrap();
        o.flush();
        assert_eq!(woken(), 3);
        o.close(1000, "bye");
        assert!(
            o.inner.lock().unwrap().socket.is_none(),
            "the task alone holds the socket"
        );
    }
}
