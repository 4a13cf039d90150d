//! The connection task: the one owner of the WebSocket. It writes what the client
//! handles ask for, reads frames, matches `ack` / `error` replies to waiting requests,
//! sends keep-alive pings, and (when configured) reconnects and re-subscribes.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval};
use tokio_tungstenite::tungstenite::{self, Message as Frame};

use crate::connect::{self, closed_error, data_frame, frame_bytes, Socket, CONNECTED};
use crate::{Config, Error, Message};

/// The command of the server's acknowledgement.
pub(crate) const ACK: &str = "ack";
/// The command of the server's error reply.
pub(crate) const ERROR: &str = "error";
/// The command the client uses for its own subscribe and unsubscribe requests.
pub(crate) const SUBSCRIBE: &str = "subscribe";
/// The command the client uses for unsubscribe requests.
pub(crate) const UNSUBSCRIBE: &str = "unsubscribe";
/// The first wait before reconnecting (doubled after each failed attempt).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// State shared between the client handles and the task. Std locks: they are only
/// held for a copy or an insert, never across an await.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The `client-id` of the latest `connected` greeting.
    pub client_id: Mutex<Option<String>>,
    /// The channels currently subscribed, restored after a reconnect.
    pub subscriptions: Mutex<BTreeSet<String>>,
}

impl Shared {
    pub(crate) fn set_client_id(&self, id: Option<String>) {
        *self.client_id.lock().unwrap_or_else(|e| e.into_inner()) = id;
    }

    pub(crate) fn update_subscriptions(&self, add: &[String], remove: &[String]) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        subs.extend(add.iter().cloned());
        for c in remove {
            subs.remove(c);
        }
    }

    fn subscriptions(&self) -> Vec<String> {
        let subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        subs.iter().cloned().collect()
    }
}

/// What a client handle asks the task to do.
pub(crate) enum Command {
    /// Write a frame; report the write's outcome.
    Send {
        frame: Frame,
        done: oneshot::Sender<Result<(), Error>>,
    },
    /// Write a frame carrying `id:<id>` and report the server's `ack` (or `error`) for it.
    Request {
        frame: Frame,
        id: String,
        done: oneshot::Sender<Result<Message, Error>>,
    },
    /// Close the connection and stop.
    Close { done: oneshot::Sender<Result<(), Error>> },
}

/// Why driving one connection ended.
enum End {
    /// The client closed or every handle was dropped: stop for good.
    Stop,
    /// The connection was lost.
    Lost(Error),
}

/// The task's state across connections.
pub(crate) struct Task {
    /// Reconnect, ping and timeout settings.
    pub config: Config,
    /// Requests from the client handles.
    pub commands: mpsc::UnboundedReceiver<Command>,
    /// Application messages (and connection errors) for `recv`.
    pub incoming: mpsc::UnboundedSender<Result<Message, Error>>,
    /// Client id and subscriptions.
    pub shared: Arc<Shared>,
    /// Requests waiting for their `ack`, by `id`.
    pub pending: HashMap<String, oneshot::Sender<Result<Message, Error>>>,
    /// Commands that arrived while reconnecting, run once connected again.
    pub backlog: VecDeque<Command>,
}

impl Task {
    /// Drives `socket`, then each reconnected socket, until the client stops.
    pub(crate) async fn run(mut self, mut socket: Socket) {
        loop {
            let err = match self.drive(&mut socket).await {
                End::Stop => return,
                End::Lost(err) => err,
            };
            self.fail_pending(&err);
            if !self.config.reconnect || is_final(&err) {
                for cmd in self.backlog.drain(..) {
                    fail(cmd, &err);
                }
                let _ = self.incoming.send(Err(err));
                return;
            }
            tracing::warn!(error = %err, url = %self.config.url, "lhttp connection lost; reconnecting");
            match self.reconnect().await {
                Some(s) => socket = s,
                None => return,
            }
        }
    }

    async fn drive(&mut self, socket: &mut Socket) -> End {
        while let Some(cmd) = self.backlog.pop_front() {
            if let Some(end) = self.command(socket, cmd).await {
                return end;
            }
        }
        let mut ping = self
            .config
            .ping_interval
            .map(|every| tokio::time::interval_at(Instant::now() + every, every));
        let mut last_seen = Instant::now();
        loop {
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    Some(cmd) => if let Some(end) = self.command(socket, cmd).await {
                        return end;
                    },
                    None => {
                        let _ = socket.close(None).await;
                        return End::Stop;
                    }
                },
                frame = socket.next() => {
                    last_seen = Instant::now();
                    match frame {
                        Some(Ok(frame)) => {
                            if let Some(bytes) = frame_bytes(&frame) {
                                self.dispatch(bytes);
                            } else if matches!(frame, Frame::Close(_)) {
                                return End::Lost(closed_error(&frame));
                            }
                        }
                        Some(Err(e)) => return End::Lost(read_error(e)),
                        None => return End::Lost(Error::closed("the connection ended")),
                    }
                },
                () = tick(&mut ping) => {
                    let every = self.config.ping_interval.unwrap_or_default();
                    if last_seen.elapsed() >= every * 2 {
                        return End::Lost(Error::Io("the server stopped answering pings".into()));
                    }
                    if let Err(e) = socket.send(Frame::Ping(Default::default())).await {
                        return End::Lost(write_error(e));
                    }
                },
            }
        }
    }

    /// Runs one command; `Some` when the connection ended.
    async fn command(&mut self, socket: &mut Socket, cmd: Command) -> Option<End> {
        match cmd {
            Command::Send { frame, done } => {
                let result = socket.send(frame).await.map_err(write_error);
                let lost = result.as_ref().err().cloned();
                let _ = done.send(result);
                lost.map(End::Lost)
            }
            Command::Request { frame, id, done } => {
                if done.is_closed() {
                    // The caller stopped waiting (timed out): do not act on its behalf later.
                    return None;
                }
                self.pending.retain(|_, waiting| !waiting.is_closed());
                self.pending.insert(id, done);
                socket.send(frame).await.err().map(|e| End::Lost(write_error(e)))
            }
            Command::Close { done } => {
                let result = match socket.close(None).await {
                    Ok(()) | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => Ok(()),
                    Err(e) => Err(write_error(e)),
                };
                let _ = done.send(result);
                Some(End::Stop)
            }
        }
    }

    /// Routes one received LHTTP message.
    fn dispatch(&mut self, bytes: &[u8]) {
        let msg = match Message::parse(bytes) {
            Ok(msg) => msg,
            Err(e) => {
                let _ = self.incoming.send(Err(Error::Protocol(e)));
                return;
            }
        };
        match msg.command() {
            ACK => {
                // An acknowledgement nobody waits for (a timed-out request) is consumed.
                if let Some(waiting) = self.take_pending(&msg) {
                    let _ = waiting.send(Ok(msg));
                }
            }
            ERROR => match self.take_pending(&msg) {
                Some(waiting) => {
                    let _ = waiting.send(Err(server_error(&msg)));
                }
                None => {
                    let _ = self.incoming.send(Ok(msg));
                }
            },
            CONNECTED => self.shared.set_client_id(msg.header("client-id").map(str::to_owned)),
            _ => {
                let _ = self.incoming.send(Ok(msg));
            }
        }
    }

    /// The request waiting for the reply `msg`, by its `id` header.
    fn take_pending(&mut self, msg: &Message) -> Option<oneshot::Sender<Result<Message, Error>>> {
        msg.header("id").and_then(|id| self.pending.remove(id))
    }

    fn fail_pending(&mut self, err: &Error) {
        for (_, waiting) in self.pending.drain() {
            let _ = waiting.send(Err(err.clone()));
        }
    }

    /// Reconnects with exponential backoff; `None` when the client stopped meanwhile.
    async fn reconnect(&mut self) -> Option<Socket> {
        let mut backoff = FIRST_BACKOFF.min(self.config.max_backoff);
        loop {
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    cmd = self.commands.recv() => match cmd {
                        None => return None,
                        Some(Command::Close { done }) => {
                            let _ = done.send(Ok(()));
                            return None;
                        }
                        Some(other) => self.backlog.push_back(other),
                    },
                }
            }
            match connect::open(&self.config).await {
                Ok(opened) => {
                    self.shared.set_client_id(opened.client_id);
                    let mut socket = opened.socket;
                    if let Some(first) = opened.first {
                        let _ = self.incoming.send(first);
                    }
                    let channels = self.shared.subscriptions();
                    if !channels.is_empty() {
                        let msg = Message::new(SUBSCRIBE).with_header(lhttp_core::names::SUBSCRIBE, channels.join(" "));
                        match msg.encode() {
                            Ok(bytes) => {
                                if let Err(e) = socket.send(data_frame(bytes)).await {
                                    tracing::warn!(error = %e, "re-subscribing failed");
                                    continue;
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "a subscribed channel cannot be encoded")
                            }
                        }
                    }
                    tracing::info!(url = %self.config.url, "lhttp connection restored");
                    return Some(socket);
                }
                Err(e) => {
                    tracing::debug!(error = %e, ?backoff, "reconnect attempt failed");
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }
}

/// The error a server `error` reply stands for.
pub(crate) fn server_error(msg: &Message) -> Error {
    Error::Server {
        code: msg.header("code").unwrap_or("Internal").to_owned(),
        detail: msg.header("detail").unwrap_or_default().to_owned(),
    }
}

fn fail(cmd: Command, err: &Error) {
    match cmd {
        Command::Send { done, .. } => {
            let _ = done.send(Err(err.clone()));
        }
        Command::Request { done, .. } => {
            let _ = done.send(Err(err.clone()));
        }
        Command::Close { done } => {
            let _ = done.send(Ok(()));
        }
    }
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn read_error(e: tungstenite::Error) -> Error {
    match e {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            Error::closed("the connection ended")
        }
        other => Error::Io(other.to_string()),
    }
}

fn write_error(e: tungstenite::Error) -> Error {
    read_error(e)
}

/// Close codes after which reconnecting would be wrong: 1008, the server's
/// filters refused this client; 4001, a newer connection with the same key took
/// over (reconnecting would take it back, and the two would fight forever).
fn is_final(err: &Error) -> bool {
    matches!(
        err,
        Error::Closed {
            code: Some(1008 | 4001),
            ..
        }
    )
}
