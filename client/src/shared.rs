//! What the [`Client`](crate::Client) handles and the driver share: the session
//! behind one lock, the callers waiting for an answer, the inbox `recv()` reads
//! and the recovery notices `recovery()` reads. A std lock: it is held for one
//! session call or a few queue operations, never across an await.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use lhttp_session::{Recovery, RequestId, Session};
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::{Error, Message};

/// What a request's caller gets back: the server's `ack` and, for a publish,
/// the deliveries it reported.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The `ack` message.
    pub reply: Message,
    /// Deliveries, for a publish.
    pub deliveries: Option<u64>,
}

/// The channel a caller waits on for its request's outcome.
pub(crate) type Waiter = oneshot::Sender<Result<Answer, Error>>;

/// The shared half of one client.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Time 0 of the session's milliseconds.
    origin: Instant,
    /// Wakes the driver: the session has something to write, or room to read again.
    pub driver: Notify,
    /// Wakes `recv()` and `close()` callers: something arrived, or the driver stopped.
    pub readers: Notify,
}

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    /// The protocol: every rule the client follows is in here.
    pub session: Session,
    /// Callers waiting for the outcome of a request.
    pub waiters: HashMap<RequestId, Waiter>,
    /// `Client::connect_with`, waiting for the first connection.
    pub opening: Option<oneshot::Sender<Result<(), Error>>>,
    /// Whether the driver has stopped (nothing more will arrive).
    pub stopped: bool,
    /// Tokens the session asked for, for the driver to get.
    pub needs: Vec<crate::token::Need>,
    inbox: Inbox,
    /// Recovery notices not read yet, oldest first, at most `max_buffered`.
    recoveries: VecDeque<Recovery>,
}

/// What `recv()` yields besides the session's messages (error replies tied to no
/// request, unreadable messages, refused restores, the end), kept in the order
/// they arrived among the messages.
#[derive(Debug, Default)]
struct Inbox {
    /// Each notice with the number of messages that arrived before it.
    notices: VecDeque<(u64, Result<Message, Error>)>,
    /// Messages handed to the application so far.
    taken: u64,
    /// Messages the session dropped unread so far.
    dropped: u64,
}

impl Shared {
    pub(crate) fn new(session: Session) -> Shared {
        Shared {
            state: Mutex::new(State {
                session,
                waiters: HashMap::new(),
                opening: None,
                stopped: false,
                needs: Vec::new(),
                inbox: Inbox::default(),
                recoveries: VecDeque::new(),
            }),
            origin: Instant::now(),
            driver: Notify::new(),
            readers: Notify::new(),
        }
    }

    /// The state, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An application call: runs `f` on the session with the current time, then
    /// wakes the driver to carry out whatever the session asked for.
    pub(crate) fn call<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> T {
        let out = self.feed(f);
        self.driver.notify_one();
        out
    }

    /// The driver's input: runs `f` on the state with the current time.
    pub(crate) fn feed<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> T {
        let now = self.now();
        f(&mut self.lock(), now)
    }

    /// The session's clock: milliseconds since this client was made.
    pub(crate) fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The instant of the session time `at`.
    pub(crate) fn instant(&self, at: u64) -> Instant {
        self.origin + std::time::Duration::from_millis(at)
    }
}

impl State {
    /// Queues `item` for `recv()` after the messages that arrived so far.
    pub(crate) fn notice(&mut self, item: Result<Message, Error>) {
        let arrived = self.inbox.taken + self.inbox.dropped + self.session.buffered() as u64;
        self.inbox.notices.push_back((arrived, item));
    }

    /// Keeps a recovery notice for `recovery()`; past `max_buffered` unread the
    /// oldest goes, so an application that never reads them holds a bounded few.
    pub(crate) fn recovery(&mut self, recovery: Recovery) {
        if self.recoveries.len() >= self.session.config().max_buffered.max(1) {
            self.recoveries.pop_front();
        }
        self.recoveries.push_back(recovery);
    }

    /// The oldest recovery notice not read yet.
    pub(crate) fn next_recovery(&mut self) -> Option<Recovery> {
        self.recoveries.pop_front()
    }

    /// Counts messages the session dropped unread.
    pub(crate) fn dropped(&mut self, n: u64) {
        self.inbox.dropped += n;
    }

    /// The next item for `recv()`, in arrival order.
    pub(crate) fn next_item(&mut self) -> Option<Result<Message, Error>> {
        let arrived = self.inbox.taken + self.inbox.dropped;
        let notice_due = self.inbox.notices.front().is_some_and(|(at, _)| *at <= arrived);
        if !notice_due {
            if let Some(msg) = self.session.poll_message() {
                self.inbox.taken += 1;
                return Some(Ok(msg));
            }
        }
        self.inbox.notices.pop_front().map(|(_, item)| item)
    }
}
