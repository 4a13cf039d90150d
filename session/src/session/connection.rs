//! What happens on each socket event and as time passes: connecting, the greeting,
//! restoring the subscriptions, losing the connection, backoff and giving up.

use super::*;

impl Session {
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
            None => self.delivered(msg),
            Some(Answer::Connected { client_id, limits }) => self.connected(now, client_id, limits),
            Some(Answer::Ack { id, deliveries }) => self.acked(now, id.as_deref(), deliveries, msg),
            Some(Answer::Error { error, id, .. }) => self.refused(now, id.as_deref(), error, msg),
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
        self.refresh_due(now);
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
                    self.next_ping = Some(now.saturating_add(every));
                }
            }
        }
    }

    pub(super) fn begin_connect(&mut self, now: u64) {
        self.state = State::Connecting;
        self.wake_at = None;
        self.connect_deadline = Some(now.saturating_add(self.config.connect_timeout));
        self.transmits.push_back(Transmit::Connect);
    }

    pub(super) fn attempt_failed(&mut self, now: u64, error: Error) {
        self.connect_deadline = None;
        self.connection_ended();
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

    pub(super) fn schedule_reconnect(&mut self, now: u64) {
        let delay = self.backoff.next_delay();
        self.state = State::Waiting;
        self.wake_at = Some(now.saturating_add(delay));
        self.events.push_back(Event::Reconnecting {
            attempt: self.backoff.attempts(),
            delay,
        });
    }

    pub(super) fn give_up(&mut self, error: Error) {
        self.state = State::Ended;
        self.fail_everything(&error);
        self.events.push_back(Event::GaveUp { error });
    }

    /// Fails every call, sent or queued, and forgets every restore.
    pub(super) fn fail_everything(&mut self, error: &Error) {
        self.backlog.clear();
        self.restore.clear();
        self.held.clear();
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
    pub(super) fn abandon_socket(&mut self, reason: &str) {
        self.transmits.push_back(Transmit::Close {
            code: CloseCode::Normal.code(),
            reason: reason.to_owned(),
        });
    }

    /// An established connection is gone.
    pub(super) fn lost(&mut self, now: u64, error: Error) {
        let (code, reason) = match &error {
            Error::Closed { code, reason } => (*code, reason.clone()),
            other => (None, other.to_string()),
        };
        self.events.push_back(Event::Closed { code, reason });
        self.restore.clear();
        self.next_ping = None;
        self.connection_ended();
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
        let mut final_code = !lhttp_core::reply::should_reconnect(code);
        if code == Some(CloseCode::TokenExpired.code()) {
            // Reconnecting helps only with a new token (spec 12).
            self.token = None;
            final_code |= !self.config.token_callback;
        }
        if !self.config.reconnect || final_code {
            self.give_up(error);
        } else {
            self.schedule_reconnect(now);
        }
    }

    pub(super) fn connected(&mut self, now: u64, client_id: String, limits: Limits) {
        self.client_id = Some(client_id);
        self.since_per_message = super::since_per_message(&limits);
        self.limits = limits;
        if self.state != State::Handshaking {
            return;
        }
        self.last_activity = now;
        self.next_ping = self.config.ping_interval.map(|every| now.saturating_add(every));
        if self.uses_tokens() {
            // The connect timeout runs on until the `connect` is acked.
            return self.authenticate(now);
        }
        self.begin_restore(now);
    }

    /// Subscribes every channel of the set again (9.4), then opens.
    pub(super) fn begin_restore(&mut self, now: u64) {
        self.connect_deadline = None;
        let mut batch = self.max_channels();
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
        if channels.iter().any(|c| self.position(c).is_some()) {
            batch = batch.min(self.since_per_message);
        }
        let (private, public): (Vec<String>, Vec<String>) =
            channels.into_iter().partition(|c| self.has_subscription_token(c));
        self.restore = public.chunks(batch).map(<[String]>::to_vec).collect();
        self.restore.extend(private.into_iter().map(|c| alloc::vec![c]));
        self.state = State::Restoring;
        self.next_restore(now);
    }

    /// Sends the next restore batch, or opens when none is left.
    pub(super) fn next_restore(&mut self, now: u64) {
        let Some(batch) = self.restore.pop_front() else {
            self.opened();
            return;
        };
        // A channel with a subscription token goes alone, once the driver gave a new one.
        let token = match self.restore_token(&batch) {
            Ok(token) => token,
            Err(()) => {
                self.restore.push_front(batch);
                return;
            }
        };
        let token_channel = token.as_ref().map(|_| batch[0].clone());
        let wire = self.calls.next_wire_id();
        let (since, recovering) = self.since(&batch);
        let encoded = channel::list(&batch).and_then(|list| {
            let mut msg = OwnedMessage::new(SUBSCRIBE_COMMAND).with_header(names::SUBSCRIBE, list);
            for value in since {
                msg = msg.with_header(names::SINCE, value);
            }
            if let Some(t) = &token {
                msg = msg.with_header(names::TOKEN, t.as_str());
            }
            msg.with_header(headers::ID, wire.to_string()).encode()
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
                        subscribes: true,
                        recovering,
                        auth: None,
                        token_channel,
                    },
                );
                self.transmits.push_back(Transmit::Frame(bytes));
            }
            // Every name in the set was checked when it was added.
            Err(e) => {
                for channel in batch {
                    self.drop_subscription(&channel);
                    self.events.push_back(Event::RestoreRefused {
                        channel,
                        error: Error::Protocol(e),
                    });
                }
                self.next_restore(now);
            }
        }
    }

    pub(super) fn opened(&mut self) {
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

    pub(super) fn buffer(&mut self, msg: OwnedMessage) {
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
                channel: e.channel.map(str::to_owned),
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
