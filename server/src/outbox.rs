//! Each connection's bounded outbound queue. Publishers push shared frames
//! into it without waiting; the connection's task drains it in batches. A
//! queue that fills up marks its connection a slow consumer, to be closed,
//! instead of growing memory or slowing the publisher down.

use crate::frame::Frame;
use lhttp_core::CloseCode;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Close code for a consumer too slow to keep up (1013, "try again later").
pub const CLOSE_SLOW_CONSUMER: u16 = CloseCode::TryAgainLater.code();

/// The reason of a normal close (1000) the server asks for (a processor's or the directory's).
pub(crate) const CLOSED_BY_THE_SERVER: &str = "closed by the server";

/// Why a push did not queue the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The queue was full: the connection is now being closed as a slow consumer.
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
    /// Wakes the connection task when a frame or a close arrives.
    wake: Notify,
    /// Most frames waiting before the consumer counts as slow.
    max: usize,
}

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<Frame>,
    close: Option<CloseRequest>,
}

impl Outbox {
    /// An empty queue holding at most `max` frames.
    pub fn new(max: usize) -> Self {
        Outbox {
            inner: Mutex::new(Inner::default()),
            wake: Notify::new(),
            max,
        }
    }

    /// Queues a frame (cheap: frames share their bytes).
    pub fn push(&self, frame: Frame) -> Result<(), PushError> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.close.is_some() {
            return Err(PushError::Closed);
        }
        if inner.queue.len() >= self.max {
            inner.queue = VecDeque::new();
            inner.close = Some(CloseRequest {
                code: CLOSE_SLOW_CONSUMER,
                reason: format!("{}: outbound queue full", CloseCode::TryAgainLater.reason()),
            });
            drop(inner);
            self.wake.notify_one();
            return Err(PushError::Full);
        }
        inner.queue.push_back(frame);
        drop(inner);
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the connection's task to close with `code` and `reason`; later pushes fail.
    pub fn close(&self, code: u16, reason: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.close.is_none() {
            inner.close = Some(CloseRequest {
                code,
                reason: reason.into(),
            });
        }
        drop(inner);
        self.wake.notify_one();
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

    /// Moves every waiting frame into `batch` and returns a pending close, if any.
    pub fn drain(&self, batch: &mut Vec<Frame>) -> Option<CloseRequest> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        batch.extend(inner.queue.drain(..));
        if inner.queue.capacity() > 64 {
            // Give back the memory of a burst: idle connections stay small.
            inner.queue = VecDeque::new();
        }
        inner.close.clone()
    }

    /// Waits until something was pushed or a close was asked for.
    pub async fn woken(&self) {
        self.wake.notified().await;
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
    fn frames_drain_in_order_and_the_queue_empties() {
        let o = Outbox::new(4);
        o.push(frame("a")).unwrap();
        o.push(frame("b")).unwrap();
        let mut batch = Vec::new();
        assert_eq!(o.drain(&mut batch), None);
        assert_eq!(batch, [frame("a"), frame("b")]);
        batch.clear();
        assert_eq!(o.drain(&mut batch), None);
        assert!(batch.is_empty());
    }

    #[test]
    fn a_full_queue_drops_its_frames_and_asks_for_a_slow_consumer_close() {
        let o = Outbox::new(2);
        o.push(frame("a")).unwrap();
        o.push(frame("b")).unwrap();
        assert_eq!(o.push(frame("c")), Err(PushError::Full));
        assert!(o.is_slow() && o.is_closing());
        assert_eq!(o.push(frame("d")), Err(PushError::Closed));
        let mut batch = Vec::new();
        let close = o.drain(&mut batch).expect("a close");
        assert!(batch.is_empty(), "nothing more is written to a slow consumer");
        assert_eq!(close.code, CLOSE_SLOW_CONSUMER);
    }

    #[test]
    fn a_close_keeps_what_was_queued_and_refuses_the_rest() {
        let o = Outbox::new(4);
        o.push(frame("a")).unwrap();
        o.close(1000, "bye");
        o.close(1001, "second close is ignored");
        assert_eq!(o.push(frame("b")), Err(PushError::Closed));
        assert!(o.is_closing() && !o.is_slow());
        let mut batch = Vec::new();
        let close = o.drain(&mut batch);
        assert_eq!(batch, [frame("a")]);
        assert_eq!(
            close,
            Some(CloseRequest {
                code: 1000,
                reason: "bye".into()
            })
        );
    }

    #[tokio::test]
    async fn a_push_wakes_the_writer() {
        let o = Outbox::new(4);
        o.push(frame("a")).unwrap();
        // The permit stored by the push completes the wait at once.
        o.woken().await;
    }
}
