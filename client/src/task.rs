//! The driver: the one owner of the WebSocket, doing the session's I/O and timers
//! and nothing else. Every protocol rule (request ids, acks, the subscription set
//! and its restore, backoff, close codes, pings) is `lhttp_session`'s.
//!
//! One loop: carry out the session's [`Transmit`]s, route its [`Event`]s to whoever
//! waits for them, then wait for the first of: a call from the application, the
//! connection attempt finishing, a frame (read only while the session has room
//! for messages, so a slow reader pushes back on the server instead of losing
//! any), or the session's next deadline.

use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lhttp_session::{Event, Session, Transmit};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message as Frame};

use crate::connect::{self, data_frame, Socket};
use crate::shared::{Answer, Shared, State};
use crate::token::Need;
use crate::{Config, Error};

/// The longest a close frame may take to write before the socket is dropped anyway.
const CLOSE_WRITE: Duration = Duration::from_secs(1);

/// Drives one client until its session ends.
pub(crate) async fn run(shared: Arc<Shared>, config: Arc<Config>) {
    // Marks the end, even when the runtime drops this task.
    let _stopped = Stopped(&shared);
    let mut link = Link::default();
    loop {
        while let Some(transmit) = shared.feed(|s, _| s.session.poll_transmit()) {
            link.carry_out(transmit, &shared, &config).await;
        }
        let (ended, deadline, read, needs) = shared.feed(|s, _| {
            route(s);
            let needs = std::mem::take(&mut s.needs);
            (
                s.session.is_ended(),
                s.session.next_deadline(),
                s.session.wants_read(),
                needs,
            )
        });
        for need in needs {
            get_token(&shared, &config, need);
        }
        shared.readers.notify_waiters();
        if ended {
            return;
        }
        let wake = tokio::select! {
            () = shared.driver.notified() => Wake::Call,
            wake = link.next(read) => wake,
            () = sleep_until(deadline.map(|at| shared.instant(at))) => Wake::Deadline,
        };
        shared.feed(|s, now| match wake {
            Wake::Call => {}
            Wake::Deadline => s.session.tick(now),
            Wake::Connected(attempt) => match *attempt {
                Ok(socket) => {
                    link.socket = Some(socket);
                    s.session.socket_opened(now);
                }
                Err(error) => s.session.connect_failed(now, error),
            },
            Wake::Frame(frame) => {
                if !socket_event(&mut s.session, now, frame) {
                    link.socket = None;
                }
            }
        });
    }
}

/// Why the loop woke up.
enum Wake {
    /// The application called the session (or read a message, making room).
    Call,
    /// The session's deadline came.
    Deadline,
    /// The connection attempt finished.
    Connected(Box<Result<Socket, Error>>),
    /// The socket gave a frame, an error or its end.
    Frame(Option<Result<Frame, tungstenite::Error>>),
}

/// Hands the session what the socket did; `false` once the socket is gone.
fn socket_event(session: &mut Session, now: u64, frame: Option<Result<Frame, tungstenite::Error>>) -> bool {
    match frame {
        Some(Ok(Frame::Text(text))) => session.received(now, text.as_bytes()),
        Some(Ok(Frame::Binary(bytes))) => session.received(now, &bytes),
        Some(Ok(Frame::Close(close))) => {
            let (code, reason) = close.map_or((None, String::new()), |c| (Some(c.code.into()), c.reason.to_string()));
            session.socket_closed(now, code, &reason);
            return false;
        }
        Some(Ok(_)) => session.activity(now),
        Some(Err(e)) => {
            session.socket_closed(now, None, &e.to_string());
            return false;
        }
        None => {
            session.socket_closed(now, None, "the connection ended");
            return false;
        }
    }
    true
}

/// Hands each of the session's events to whoever waits for it: a request's
/// caller, `connect_with`, or `recv()`; the rest is logged.
fn route(state: &mut State) {
    while let Some(event) = state.session.poll_event() {
        match event {
            Event::Acked { id, deliveries, reply } => {
                if let Some(waiter) = state.waiters.remove(&id) {
                    let _ = waiter.send(Ok(Answer { reply, deliveries }));
                }
            }
            Event::Failed { id, error } => {
                if let Some(waiter) = state.waiters.remove(&id) {
                    let _ = waiter.send(Err(error));
                }
            }
            Event::Opened { client_id, .. } => {
                tracing::debug!(client_id, "lhttp connection open");
                if let Some(opening) = state.opening.take() {
                    let _ = opening.send(Ok(()));
                }
            }
            Event::ConnectFailed { error } => {
                tracing::debug!(%error, "lhttp connection attempt failed");
                if let Some(opening) = state.opening.take() {
                    let _ = opening.send(Err(error));
                }
            }
            // An error reply tied to no request reaches recv() as the message it is.
            Event::ServerError { reply, .. } => state.notice(Ok(reply)),
            Event::Closed { code, reason } => tracing::debug!(?code, reason, "lhttp socket closed"),
            Event::TokenNeeded => state.needs.push(Need::Token),
            Event::SubscriptionTokenNeeded { channel } => state.needs.push(Need::SubscriptionToken(channel)),
            Event::Reconnecting { attempt, delay } => {
                tracing::warn!(attempt, delay_ms = delay, "lhttp connection lost; reconnecting")
            }
            // Unreadable, RestoreRefused, Lagged, Unrecovered, GaveUp: recv()
            // yields the session's error for each (the last one ends it);
            // Recovered and Unrecovered are recovery() notices too.
            failure => {
                if let Some(recovery) = failure.recovery() {
                    tracing::debug!(
                        channel = recovery.channel,
                        recovered = recovery.recovered,
                        "lhttp recovery"
                    );
                    state.recovery(recovery);
                }
                if let Event::Lagged { dropped } = failure {
                    state.dropped(dropped);
                }
                if let Some(error) = failure.as_error() {
                    tracing::warn!(%error, "lhttp client");
                    state.notice(Err(error));
                }
            }
        }
    }
}

/// Runs the application's callback for what the session asked for, in a task of
/// its own (the driver goes on meanwhile), and gives the session its answer.
fn get_token(shared: &Arc<Shared>, config: &Config, need: Need) {
    let shared = shared.clone();
    match need {
        Need::Token => {
            let Some(cb) = config.token_callback.clone() else {
                return shared.call(|s, now| s.session.token_failed(now, Error::Io("no token callback".into())));
            };
            tokio::spawn(async move {
                let answer = (cb.0)().await;
                shared.call(|s, now| match answer {
                    Ok(token) => s.session.set_token(now, token.into()),
                    Err(error) => s.session.token_failed(now, error),
                });
            });
        }
        Need::SubscriptionToken(channel) => {
            let Some(cb) = config.subscription_token_callback.clone() else {
                return shared.call(|s, now| s.session.set_subscription_token(now, &channel, None));
            };
            tokio::spawn(async move {
                let answer = (cb.0)(channel.clone()).await;
                shared.call(|s, now| match answer {
                    Ok(token) => s.session.set_subscription_token(now, &channel, token.map(Into::into)),
                    Err(error) => s.session.subscription_token_failed(now, &channel, error),
                });
            });
        }
    }
}

/// The socket, or the attempt to open one.
#[derive(Default)]
struct Link {
    socket: Option<Socket>,
    connecting: Option<Connecting>,
}

/// A connection attempt under way.
type Connecting = Pin<Box<dyn Future<Output = Result<Socket, Error>> + Send>>;

impl Link {
    /// Does what the session asked for.
    async fn carry_out(&mut self, transmit: Transmit, shared: &Shared, config: &Arc<Config>) {
        match transmit {
            Transmit::Connect => {
                self.socket = None;
                let config = config.clone();
                self.connecting = Some(Box::pin(async move { connect::open(&config).await }));
            }
            Transmit::Frame(bytes) => self.write(shared, data_frame(bytes)).await,
            Transmit::Ping => self.write(shared, Frame::Ping(Default::default())).await,
            Transmit::Close { code, reason } => {
                self.connecting = None;
                if let Some(mut socket) = self.socket.take() {
                    let frame = CloseFrame {
                        code: code.into(),
                        reason: reason.into(),
                    };
                    let _ = tokio::time::timeout(CLOSE_WRITE, socket.close(Some(frame))).await;
                }
            }
        }
    }

    /// Writes one frame; a failed write is the socket's end.
    async fn write(&mut self, shared: &Shared, frame: Frame) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if let Err(e) = socket.send(frame).await {
            self.socket = None;
            shared.feed(|s, now| s.session.socket_closed(now, None, &e.to_string()));
        }
    }

    /// The connection attempt's outcome, else the next frame when `read`.
    async fn next(&mut self, read: bool) -> Wake {
        if let Some(connecting) = self.connecting.as_mut() {
            let result = connecting.await;
            self.connecting = None;
            return Wake::Connected(Box::new(result));
        }
        match self.socket.as_mut() {
            Some(socket) if read => Wake::Frame(socket.next().await),
            _ => pending().await,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => pending().await,
    }
}

/// Marks the driver stopped when dropped: callers still waiting learn the
/// client is closed, `recv()` ends once the inbox is empty.
struct Stopped<'a>(&'a Shared);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.stopped = true;
        state.waiters.clear();
        if let Some(opening) = state.opening.take() {
            let _ = opening.send(Err(Error::closed("the client is closed")));
        }
        drop(state);
        self.0.readers.notify_waiters();
    }
}
