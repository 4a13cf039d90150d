//! The client session's state machine: what happens on each input, in one place.

use alloc::borrow::ToOwned;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use lhttp_core::reply::{headers, Reply};
use lhttp_core::{channel, names, CloseCode, Limits, OwnedMessage, ServerError};

use crate::backoff::Backoff;
use crate::calls::{Call, Calls, Part};
use crate::vecmap::VecSet;
use crate::{Config, Error, Event, RequestId, Transmit, SUBSCRIBE_COMMAND, UNSUBSCRIBE_COMMAND};

/// Channels per message until a server announces its own limit (below the
/// server's default of 64, so older servers are never exceeded).
pub const DEFAULT_MAX_CHANNELS: u32 = 32;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Created, [`Session::start`] not called yet.
    Idle,
    /// A [`Transmit::Connect`] is out; waiting for the socket.
    Connecting,
    /// The socket is open; waiting for the server's `connected` greeting.
    Handshaking,
    /// Subscribing the channels again after a reconnect.
    Restoring,
    /// Ready: requests go out as they are made.
    Open,
    /// Waiting out a reconnect delay.
    Waiting,
    /// Closed for good.
    Ended,
}

/// A message waiting for the connection to be ready.
#[derive(Debug, Clone)]
struct Queued {
    /// The part it carries, if it waits for an answer.
    wire: Option<u64>,
    bytes: Vec<u8>,
}

/// A server reply, owned, read by core.
enum Answer {
    Connected {
        client_id: String,
        limits: Limits,
    },
    Ack {
        id: Option<String>,
        deliveries: Option<u64>,
    },
    Error {
        error: Error,
        id: Option<String>,
    },
}

/// A sans-IO lhttp client session. See the crate documentation for the driver's
/// side of the contract; every method taking `now` wants milliseconds from any
/// fixed origin, never going backwards.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    backoff: Backoff,
    calls: Calls,
    backlog: VecDeque<Queued>,
    subscriptions: VecSet,
    restore: VecDeque<Vec<String>>,
    client_id: Option<String>,
    limits: Limits,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    messages: VecDeque<OwnedMessage>,
    connect_deadline: Option<u64>,
    wake_at: Option<u64>,
    next_ping: Option<u64>,
    last_activity: u64,
    /// Why the last connection attempt failed, until a connection opens.
    connect_error: Option<Error>,
    /// Whether messages were dropped since the application last read.
    dropping: bool,
    /// Drops since the last `Lagged` event, reported at the next read.
    unreported_drops: u64,
}

impl Session {
    /// A session that has not started: calls made now are queued until it is open.
    pub fn new(config: Config) -> Session {
        let backoff = Backoff::new(config.backoff_initial, config.backoff_max, config.seed);
        Session {
            config,
            state: State::Idle,
            backoff,
            calls: Calls::default(),
            backlog: VecDeque::new(),
            subscriptions: VecSet::new(),
            restore: VecDeque::new(),
            client_id: None,
            limits: Limits::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            messages: VecDeque::new(),
            connect_deadline: None,
            wake_at: None,
            next_ping: None,
            last_activity: 0,
            connect_error: None,
            dropping: false,
            unreported_drops: 0,
        }
    }

    // ---- what the driver reads ----

    /// The next thing to do on the socket.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next received application message, oldest first.
    pub fn poll_message(&mut self) -> Option<OwnedMessage> {
        if self.dropping {
            self.dropping = false;
            if self.unreported_drops > 0 {
                self.events.push_back(Event::Lagged {
                    dropped: core::mem::take(&mut self.unreported_drops),
                });
            }
        }
        self.messages.pop_front()
    }

    /// How many received messages wait to be read.
    pub fn buffered(&self) -> usize {
        self.messages.len()
    }

    /// Whether the buffer has room: a driver that can stop reading its socket
    /// (and so push back on the server) does so while this is `false`.
    pub fn wants_read(&self) -> bool {
        self.messages.len() < self.config.max_buffered
    }

    /// When to call [`tick`](Self::tick) next, if anything is timed.
    pub fn next_deadline(&self) -> Option<u64> {
        let mut at = self.calls.next_deadline();
        let mut add = |t: Option<u64>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        match self.state {
            State::Connecting | State::Handshaking => add(self.connect_deadline),
            State::Waiting => add(self.wake_at),
            State::Restoring | State::Open => {
                if let Some(every) = self.config.ping_interval {
                    add(self.next_ping);
                    add(Some(self.last_activity.saturating_add(every.saturating_mul(2))));
                }
            }
            State::Idle | State::Ended => {}
        }
        at
    }

    /// Where the session is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the session is closed for good.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// Whether a connection is ready (greeting received, subscriptions restored).
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// The id the server gave the current (or last) connection.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The limits the server announced last.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The channels subscribed (or being subscribed), restored after a reconnect.
    pub fn subscriptions(&self) -> impl Iterator<Item = &str> {
        self.subscriptions.iter().map(String::as_str)
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- what the driver reports ----

    /// Starts connecting: a [`Transmit::Connect`] follows.
    pub fn start(&mut self, now: u64) {
        if self.state == State::Idle {
            self.begin_connect(now);
        }
    }

    /// The socket asked for by [`Transmit::Connect`] is open.
    pub fn socket_opened(&mut self, now: u64) {
        if self.state == State::Connecting {
            self.state = State::Handshaking;
            self.last_activity = now;
        }
    }

    /// The connection attempt failed before or during the WebSocket handshake.
    /// `error` is [`Error::Connect`] (with the HTTP status of a refused
    /// handshake and the server's reason), or [`Error::Io`].
    pub fn connect_failed(&mut self, now: u64, error: Error) {
        if matches!(self.state, State::Connecting | State::Handshaking) {
            self.attempt_failed(now, error);
        }
    }

    /// A WebSocket message arrived (text or binary, the LHTTP bytes).
    pub fn received(&mut self, now: u64, bytes: &[u8]) {
        match self.state {
            State::Connecting => self.state = State::Handshaking,
            State::Handshaking | State::Restoring | State::Open => {}
            State::Idle | State::Waiting | State::Ended => return,
        }
        self.last_activity = now;
        let msg = match OwnedMessage::parse(bytes) {
            Ok(msg) => msg,
            Err(e) => {
                self.events.push_back(Event::Unreadable {
                    error: Error::Protocol(e),
                });
                return;
            }
        };
        match answer(&msg) {
            None => self.buffer(msg),
            Some(Answer::Connected { client_id, limits }) => self.connected(now, client_id, limits),
            Some(Answer::Ack { id, deliveries }) => self.acked(now, id.as_deref(), deliveries, msg),
            Some(Answer::Error { error, id }) => self.refused(now, id.as_deref(), error, msg),
        }
    }

    /// Any frame arrived, a pong included: the connection is alive.
    pub fn activity(&mut self, now: u64) {
        self.last_activity = self.last_activity.max(now);
    }

    /// The socket closed: `code` from the close frame (`None` without one).
    pub fn socket_closed(&mut self, now: u64, code: Option<u16>, reason: &str) {
        match self.state {
            State::Connecting => self.attempt_failed(
                now,
                Error::Connect {
                    status: None,
                    reason: if reason.is_empty() {
                        "the connection closed during the WebSocket handshake".to_owned()
                    } else {
                        reason.to_owned()
                    },
                },
            ),
            State::Handshaking | State::Restoring | State::Open => self.lost(
                now,
                Error::Closed {
                    code,
                    reason: reason.to_owned(),
                },
            ),
            State::Idle | State::Waiting | State::Ended => {}
        }
    }

    /// Time passed: timeouts, pings and reconnect delays fall due here.
    pub fn tick(&mut self, now: u64) {
        match self.state {
            State::Connecting | State::Handshaking if self.connect_deadline.is_some_and(|d| now >= d) => {
                self.abandon_socket("connect timed out");
                self.attempt_failed(now, Error::Timeout);
            }
            State::Waiting if self.wake_at.is_some_and(|w| now >= w) => self.begin_connect(now),
            _ => {}
        }
        self.expire(now);
        if matches!(self.state, State::Restoring | State::Open) {
            if let Some(every) = self.config.ping_interval {
                if !self.wants_read() {
                    // The driver has stopped reading for the application, so
                    // silence says nothing about the server.
                    self.last_activity = now;
                }
                if now.saturating_sub(self.last_activity) >= every.saturating_mul(2) {
                    self.abandon_socket("the server stopped answering pings");
                    self.lost(now, Error::Io("the server stopped answering pings".into()));
                } else if self.next_ping.is_some_and(|p| now >= p) {
                    self.transmits.push_back(Transmit::Ping);
                    self.next_ping = Some(now + every);
                }
            }
        }
    }

    // ---- what the application asks ----

    /// Subscribes to `channels`; the outcome is one [`Event::Acked`] or
    /// [`Event::Failed`] for the returned id. More channels than the server
    /// takes in one message go out as several messages, acked together. A name
    /// that is empty or holds whitespace is [`lhttp_core::Error::Channel`] and
    /// nothing is subscribed.
    pub fn subscribe(&mut self, now: u64, channels: &[&str]) -> Result<RequestId, Error> {
        self.channel_call(now, channels, true)
    }

    /// Unsubscribes from `channels`, like [`subscribe`](Self::subscribe).
    pub fn unsubscribe(&mut self, now: u64, channels: &[&str]) -> Result<RequestId, Error> {
        self.channel_call(now, channels, false)
    }

    /// Publishes a message with `command`, `headers` and `body` to `channels`;
    /// its [`Event::Acked`] carries the delivery count. More channels than the
    /// server allows in one message is refused here as `TooManyChannels`.
    pub fn publish(
        &mut self,
        now: u64,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<RequestId, Error> {
        self.usable()?;
        let max = self.max_channels();
        if channels.len() > max {
            return Err(too_many_channels(max));
        }
        let list = channel::list(channels)?;
        let mut msg = OwnedMessage::new(command).with_header(names::PUBLISH, list);
        msg.headers_mut().extend(headers.iter().cloned());
        self.call(now, alloc::vec![(msg.with_body(body), Vec::new(), Vec::new())])
    }

    /// Sends `msg` with an `id` header of the session's (any `id` of its own is
    /// replaced) and reports the server's answer for the returned id. Its
    /// `subscribe` / `unsubscribe` headers update the subscription set.
    pub fn request(&mut self, now: u64, msg: OwnedMessage) -> Result<RequestId, Error> {
        self.usable()?;
        let mut msg = msg;
        msg.headers_mut().retain(|(n, _)| !n.eq_ignore_ascii_case(headers::ID));
        let (added, removed) = self.track(&msg);
        let result = self.call(now, alloc::vec![(msg, added.clone(), removed.clone())]);
        if result.is_err() {
            self.untrack(&added, &removed);
        }
        result
    }

    /// Sends `msg` without waiting for an answer (queued until open). Its
    /// `subscribe` / `unsubscribe` headers update the subscription set.
    pub fn send(&mut self, _now: u64, msg: &OwnedMessage) -> Result<(), Error> {
        self.usable()?;
        let bytes = msg.encode()?;
        self.track(msg);
        self.queue(Queued { wire: None, bytes });
        Ok(())
    }

    /// Sends already-encoded bytes as they are: not checked, not tracked.
    pub fn send_raw(&mut self, _now: u64, bytes: Vec<u8>) -> Result<(), Error> {
        self.usable()?;
        self.queue(Queued { wire: None, bytes });
        Ok(())
    }

    /// Closes for good: every waiting request fails with `Closed`, the socket
    /// gets a close frame, nothing reconnects. Later calls fail with `Closed`.
    pub fn close(&mut self, _now: u64, code: u16, reason: &str) {
        if self.state == State::Ended {
            return;
        }
        if matches!(
            self.state,
            State::Connecting | State::Handshaking | State::Restoring | State::Open
        ) {
            self.transmits.push_back(Transmit::Close {
                code,
                reason: reason.to_owned(),
            });
        }
        self.state = State::Ended;
        self.fail_everything(&Error::closed("the client is closed"));
        self.events.push_back(Event::Closed {
            code: Some(code),
            reason: reason.to_owned(),
        });
    }

    // ---- inside ----

    fn usable(&self) -> Result<(), Error> {
        if self.state == State::Ended {
            Err(Error::closed("the client is closed"))
        } else {
            Ok(())
        }
    }

    fn max_channels(&self) -> usize {
        self.limits.max_channels.unwrap_or(DEFAULT_MAX_CHANNELS).max(1) as usize
    }

    fn begin_connect(&mut self, now: u64) {
        self.state = State::Connecting;
        self.wake_at = None;
        self.connect_deadline = Some(now.saturating_add(self.config.connect_timeout));
        self.transmits.push_back(Transmit::Connect);
    }

    fn attempt_failed(&mut self, now: u64, error: Error) {
        self.connect_deadline = None;
        self.connect_error = Some(error.clone());
        self.events.push_back(Event::ConnectFailed { error: error.clone() });
        let exhausted = self
            .config
            .max_attempts
            .is_some_and(|max| self.backoff.attempts() + 1 >= max);
        if !self.config.reconnect || !error.is_retryable_connect() || exhausted {
            self.give_up(error);
        } else {
            self.schedule_reconnect(now);
        }
    }

    fn schedule_reconnect(&mut self, now: u64) {
        let delay = self.backoff.next_delay();
        self.state = State::Waiting;
        self.wake_at = Some(now.saturating_add(delay));
        self.events.push_back(Event::Reconnecting {
            attempt: self.backoff.attempts(),
            delay,
        });
    }

    fn give_up(&mut self, error: Error) {
        self.state = State::Ended;
        self.fail_everything(&error);
        self.events.push_back(Event::GaveUp { error });
    }

    /// Fails every call, sent or queued, and forgets every restore.
    fn fail_everything(&mut self, error: &Error) {
        self.backlog.clear();
        self.restore.clear();
        self.calls.parts.clear();
        let calls = core::mem::take(&mut self.calls.calls);
        for (id, call) in calls {
            if !call.failed {
                self.events.push_back(Event::Failed {
                    id,
                    error: error.clone(),
                });
            }
        }
    }

    /// The current socket is given up on by the session itself.
    fn abandon_socket(&mut self, reason: &str) {
        self.transmits.push_back(Transmit::Close {
            code: CloseCode::Normal.code(),
            reason: reason.to_owned(),
        });
    }

    /// An established connection is gone.
    fn lost(&mut self, now: u64, error: Error) {
        let (code, reason) = match &error {
            Error::Closed { code, reason } => (*code, reason.clone()),
            other => (None, other.to_string()),
        };
        self.events.push_back(Event::Closed { code, reason });
        self.restore.clear();
        self.next_ping = None;
        // What was written may or may not have taken effect: it fails. What
        // never left the queue goes out on the next connection.
        let sent: Vec<u64> = self
            .calls
            .parts
            .iter()
            .filter(|(_, p)| p.sent)
            .map(|(id, _)| *id)
            .collect();
        for wire in sent {
            if let Some(part) = self.calls.parts.remove(&wire) {
                if let Some(call) = part.call {
                    self.fail_call(call, error.clone());
                }
            }
        }
        let final_code = !lhttp_core::reply::should_reconnect(code);
        if !self.config.reconnect || final_code {
            self.give_up(error);
        } else {
            self.schedule_reconnect(now);
        }
    }

    fn connected(&mut self, now: u64, client_id: String, limits: Limits) {
        self.client_id = Some(client_id);
        self.limits = limits;
        if self.state != State::Handshaking {
            return;
        }
        self.connect_deadline = None;
        self.last_activity = now;
        let batch = self.max_channels();
        // Channels whose subscribe is still queued go out with it, not twice.
        let queued: Vec<&String> = self
            .calls
            .parts
            .values()
            .filter(|p| !p.sent)
            .flat_map(|p| p.added.iter())
            .collect();
        let channels: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|c| !queued.contains(c))
            .cloned()
            .collect();
        self.restore = channels.chunks(batch).map(<[String]>::to_vec).collect();
        self.state = State::Restoring;
        self.next_ping = self.config.ping_interval.map(|every| now + every);
        self.next_restore(now);
    }

    /// Sends the next restore batch, or opens when none is left.
    fn next_restore(&mut self, now: u64) {
        let Some(batch) = self.restore.pop_front() else {
            self.opened();
            return;
        };
        let wire = self.calls.next_wire_id();
        let encoded = channel::list(&batch).and_then(|list| {
            OwnedMessage::new(SUBSCRIBE_COMMAND)
                .with_header(names::SUBSCRIBE, list)
                .with_header(headers::ID, wire.to_string())
                .encode()
        });
        match encoded {
            Ok(bytes) => {
                self.calls.parts.insert(
                    wire,
                    Part {
                        call: None,
                        deadline: now.saturating_add(self.config.request_timeout),
                        sent: true,
                        added: Vec::new(),
                        removed: Vec::new(),
                        restore: batch,
                    },
                );
                self.transmits.push_back(Transmit::Frame(bytes));
            }
            // Every name in the set was checked when it was added.
            Err(e) => {
                for channel in batch {
                    self.subscriptions.remove(&channel);
                    self.events.push_back(Event::RestoreRefused {
                        channel,
                        error: Error::Protocol(e),
                    });
                }
                self.next_restore(now);
            }
        }
    }

    fn opened(&mut self) {
        self.state = State::Open;
        self.backoff.reset();
        self.connect_error = None;
        self.events.push_back(Event::Opened {
            client_id: self.client_id.clone().unwrap_or_default(),
            limits: self.limits,
        });
        while let Some(q) = self.backlog.pop_front() {
            self.write(q);
        }
    }

    fn acked(&mut self, now: u64, id: Option<&str>, deliveries: Option<u64>, reply: OwnedMessage) {
        // An ack nobody waits for (a request that timed out) is consumed.
        let Some((wire, part)) = self.take_part(id) else {
            return;
        };
        let _ = wire;
        let Some(call_id) = part.call else {
            self.next_restore(now);
            return;
        };
        let Some(call) = self.calls.calls.get_mut(&call_id) else {
            return;
        };
        call.remaining = call.remaining.saturating_sub(1);
        if let Some(n) = deliveries {
            call.deliveries = Some(call.deliveries.unwrap_or(0) + n);
        }
        if call.remaining == 0 {
            let call = self.calls.calls.remove(&call_id).unwrap_or_default();
            if !call.failed {
                self.events.push_back(Event::Acked {
                    id: call_id,
                    deliveries: call.deliveries,
                    reply,
                });
            }
        }
    }

    fn refused(&mut self, now: u64, id: Option<&str>, error: Error, reply: OwnedMessage) {
        let Some((_, part)) = self.take_part(id) else {
            self.events.push_back(Event::ServerError { error, reply });
            return;
        };
        let Some(call_id) = part.call else {
            // A refused restore batch is tried again one channel at a time, so the
            // refusal names exactly the channels the server would not take.
            if part.restore.len() > 1 {
                for channel in part.restore.into_iter().rev() {
                    self.restore.push_front(alloc::vec![channel]);
                }
            } else {
                for channel in part.restore {
                    self.subscriptions.remove(&channel);
                    self.events.push_back(Event::RestoreRefused {
                        channel,
                        error: error.clone(),
                    });
                }
            }
            self.next_restore(now);
            return;
        };
        self.untrack(&part.added, &part.removed);
        self.fail_call(call_id, error);
        if let Some(call) = self.calls.calls.get_mut(&call_id) {
            call.remaining = call.remaining.saturating_sub(1);
            if call.remaining == 0 {
                self.calls.calls.remove(&call_id);
            }
        }
    }

    fn take_part(&mut self, id: Option<&str>) -> Option<(u64, Part)> {
        let wire: u64 = id?.parse().ok()?;
        self.calls.parts.remove(&wire).map(|p| (wire, p))
    }

    /// Gives `call` its `Failed` event (once); its call entry stays until its
    /// remaining parts are answered or gone.
    fn fail_call(&mut self, call_id: RequestId, error: Error) {
        let still_waiting = self.calls.parts.values().any(|p| p.call == Some(call_id));
        let Some(call) = self.calls.calls.get_mut(&call_id) else {
            return;
        };
        if !call.failed {
            call.failed = true;
            self.events.push_back(Event::Failed { id: call_id, error });
        }
        if !still_waiting {
            self.calls.calls.remove(&call_id);
        }
    }

    /// Times out every part whose deadline has passed.
    fn expire(&mut self, now: u64) {
        let due: Vec<u64> = self
            .calls
            .parts
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(id, _)| *id)
            .collect();
        for wire in due {
            let Some(part) = self.calls.parts.remove(&wire) else {
                continue;
            };
            match part.call {
                None => {
                    // The server does not answer its restore: the connection is dead.
                    self.abandon_socket("restore timed out");
                    self.lost(now, Error::Timeout);
                    return;
                }
                Some(call_id) => {
                    let mut parts = self.calls.take_call_parts(call_id);
                    parts.push((wire, part));
                    for (wire, p) in parts {
                        if !p.sent {
                            // Never written: it will not be, and it changed nothing.
                            self.backlog.retain(|q| q.wire != Some(wire));
                            self.untrack(&p.added, &p.removed);
                        }
                    }
                    // Waiting for a connection that keeps failing: that failure is the reason.
                    let error = match (&self.connect_error, self.state) {
                        (Some(e), State::Connecting | State::Handshaking | State::Waiting) => e.clone(),
                        _ => Error::Timeout,
                    };
                    self.fail_call(call_id, error);
                }
            }
        }
    }

    fn channel_call(&mut self, now: u64, channels: &[&str], subscribe: bool) -> Result<RequestId, Error> {
        self.usable()?;
        if channels.is_empty() {
            return Err(Error::Protocol(lhttp_core::Error::Channel));
        }
        for c in channels {
            channel::check(c)?;
        }
        let (command, header) = if subscribe {
            (SUBSCRIBE_COMMAND, names::SUBSCRIBE)
        } else {
            (UNSUBSCRIBE_COMMAND, names::UNSUBSCRIBE)
        };
        let mut parts = Vec::new();
        for chunk in channels.chunks(self.max_channels()) {
            let msg = OwnedMessage::new(command).with_header(header, channel::list(chunk)?);
            let mut added = Vec::new();
            let mut removed = Vec::new();
            for c in chunk {
                let c = (*c).to_owned();
                if subscribe {
                    if self.subscriptions.insert(c.clone()) {
                        added.push(c);
                    }
                } else if self.subscriptions.remove(&c) {
                    removed.push(c);
                }
            }
            parts.push((msg, added, removed));
        }
        let result = self.call(now, parts.clone());
        if result.is_err() {
            for (_, added, removed) in &parts {
                self.untrack(added, removed);
            }
        }
        result
    }

    /// Sends one call as `parts`, each with a wire id; encodes all before
    /// committing any, so a refused field leaves nothing behind.
    fn call(&mut self, now: u64, parts: Vec<(OwnedMessage, Vec<String>, Vec<String>)>) -> Result<RequestId, Error> {
        let first = self.calls.peek_wire_id();
        let mut encoded = Vec::with_capacity(parts.len());
        for (i, (msg, _, _)) in parts.iter().enumerate() {
            let msg = msg.clone().with_header(headers::ID, (first + i as u64).to_string());
            encoded.push(msg.encode()?);
        }
        let call_id = RequestId(first);
        let deadline = now.saturating_add(self.config.request_timeout);
        self.calls.calls.insert(
            call_id,
            Call {
                remaining: parts.len(),
                deliveries: None,
                failed: false,
            },
        );
        for ((_, added, removed), bytes) in parts.into_iter().zip(encoded) {
            let wire = self.calls.next_wire_id();
            self.calls.parts.insert(
                wire,
                Part {
                    call: Some(call_id),
                    deadline,
                    sent: false,
                    added,
                    removed,
                    restore: Vec::new(),
                },
            );
            self.queue(Queued {
                wire: Some(wire),
                bytes,
            });
        }
        Ok(call_id)
    }

    fn queue(&mut self, q: Queued) {
        if self.state == State::Open {
            self.write(q);
        } else {
            self.backlog.push_back(q);
        }
    }

    fn write(&mut self, q: Queued) {
        if let Some(part) = q.wire.and_then(|w| self.calls.parts.get_mut(&w)) {
            part.sent = true;
        }
        self.transmits.push_back(Transmit::Frame(q.bytes));
    }

    /// Applies the channel headers of an outgoing message to the set; returns
    /// what changed so a refusal can take it back.
    fn track(&mut self, msg: &OwnedMessage) -> (Vec<String>, Vec<String>) {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for c in msg.channels(names::SUBSCRIBE) {
            if self.subscriptions.insert(c.clone()) {
                added.push(c);
            }
        }
        for c in msg.channels(names::UNSUBSCRIBE) {
            if self.subscriptions.remove(&c) {
                removed.push(c);
            }
        }
        (added, removed)
    }

    fn untrack(&mut self, added: &[String], removed: &[String]) {
        for c in added {
            self.subscriptions.remove(c);
        }
        for c in removed {
            self.subscriptions.insert(c.clone());
        }
    }

    fn buffer(&mut self, msg: OwnedMessage) {
        if self.messages.len() >= self.config.max_buffered.max(1) {
            self.messages.pop_front();
            // The first drop since the application read is told at once; the
            // rest of the run at its next read, so a flood gives two events.
            if self.dropping {
                self.unreported_drops += 1;
            } else {
                self.dropping = true;
                self.events.push_back(Event::Lagged { dropped: 1 });
            }
        }
        self.messages.push_back(msg);
    }
}

/// The server reply `msg` is, read by core; `None` for an application message.
fn answer(msg: &OwnedMessage) -> Option<Answer> {
    msg.with_view(|view| {
        Reply::read(view).map(|reply| match reply {
            Reply::Connected(c) => Answer::Connected {
                client_id: c.client_id.unwrap_or_default().to_owned(),
                limits: c.limits,
            },
            Reply::Ack(a) => Answer::Ack {
                id: a.id.map(str::to_owned),
                deliveries: a.deliveries,
            },
            Reply::Error(e) => Answer::Error {
                id: e.id.map(str::to_owned),
                error: Error::Server {
                    code: e.code.to_owned(),
                    detail: e.detail.to_owned(),
                    command: e.command.map(str::to_owned),
                    id: e.id.map(str::to_owned),
                },
            },
        })
    })
}

fn too_many_channels(max: usize) -> Error {
    Error::Server {
        code: ServerError::TooManyChannels.as_str().to_owned(),
        detail: format!("at most {max} channels per message (the server's limit)"),
        command: None,
        id: None,
    }
}
