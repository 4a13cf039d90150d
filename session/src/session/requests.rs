//! What happens on each application call and on its answer: request ids on the wire,
//! calls split within the channel limit, acks and refusals, timeouts, and the
//! subscription set each call changes.

use super::*;

impl Session {
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

    /// Reads the recent publications of `channel` (13.5): at most `limit` (the
    /// server's default and cap without), only those after `since` when given,
    /// newest first when `reverse`. Its [`Event::Acked`] reply is read with
    /// [`History::read`](crate::History::read); a channel without history fails
    /// with `NoHistory`. A bad channel name is `Channel`, a bad `since` `Position`.
    pub fn history(
        &mut self,
        now: u64,
        channel: &str,
        limit: Option<u32>,
        since: Option<Position<'_>>,
        reverse: bool,
    ) -> Result<RequestId, Error> {
        self.usable()?;
        channel::check(channel)?;
        let mut msg = OwnedMessage::new(crate::HISTORY_COMMAND).with_header(names::HISTORY, channel);
        if let Some(n) = limit {
            msg = msg.with_header(names::LIMIT, n.to_string());
        }
        if let Some(p) = since {
            p.check()?;
            msg = msg.with_header(names::SINCE, p.to_string());
        }
        if reverse {
            msg = msg.with_header(names::REVERSE, "true");
        }
        self.call(now, alloc::vec![(msg, Vec::new(), Vec::new())])
    }

    /// Asks for the members of `channel` (spec 15.2); the [`Event::Acked`] reply
    /// reads with [`Presence::read`](crate::Presence::read).
    pub fn presence(&mut self, now: u64, channel: &str) -> Result<RequestId, Error> {
        self.presence_query(now, names::PRESENCE, channel)
    }

    /// Asks for the counts of `channel`'s members (spec 15.2); the [`Event::Acked`]
    /// reply reads with [`PresenceStats::read`](crate::PresenceStats::read).
    pub fn presence_stats(&mut self, now: u64, channel: &str) -> Result<RequestId, Error> {
        self.presence_query(now, names::PRESENCE_STATS, channel)
    }

    fn presence_query(&mut self, now: u64, header: &str, channel: &str) -> Result<RequestId, Error> {
        self.usable()?;
        channel::check(channel)?;
        let msg = OwnedMessage::new(crate::PRESENCE_COMMAND).with_header(header, channel);
        self.call(now, alloc::vec![(msg, Vec::new(), Vec::new())])
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

    pub(super) fn usable(&self) -> Result<(), Error> {
        if self.state == State::Ended {
            Err(Error::closed("the client is closed"))
        } else {
            Ok(())
        }
    }

    pub(super) fn max_channels(&self) -> usize {
        self.limits.max_channels.unwrap_or(DEFAULT_MAX_CHANNELS).max(1) as usize
    }

    pub(super) fn acked(&mut self, now: u64, id: Option<&str>, deliveries: Option<u64>, reply: OwnedMessage) {
        // An ack nobody waits for (a request that timed out) is consumed.
        let Some((_, part)) = self.take_part(id) else {
            return;
        };
        self.ack_positions(&reply, &part);
        self.ack_expiry(now, &reply, &part);
        for c in part.removed.iter().filter(|c| !self.subscriptions.contains(c)) {
            self.positions.forget(c);
            self.sub_tokens.remove(c);
        }
        if let Some(auth) = part.auth {
            return self.auth_acked(now, auth, &reply);
        }
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

    pub(super) fn refused(&mut self, now: u64, id: Option<&str>, error: Error, reply: OwnedMessage) {
        let Some((_, part)) = self.take_part(id) else {
            if !self.subscription_ended(&error, &reply) {
                self.events.push_back(Event::ServerError { error, reply });
            }
            return;
        };
        if let Some(auth) = part.auth {
            return self.auth_refused(now, auth, error);
        }
        let Some(call_id) = part.call else {
            // A refused restore batch is tried again one channel at a time, so the
            // refusal names exactly the channels the server would not take.
            if part.restore.len() > 1 {
                for channel in part.restore.into_iter().rev() {
                    self.restore.push_front(alloc::vec![channel]);
                }
            } else {
                for channel in part.restore {
                    self.drop_subscription(&channel);
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

    pub(super) fn take_part(&mut self, id: Option<&str>) -> Option<(u64, Part)> {
        let wire: u64 = id?.parse().ok()?;
        self.calls.parts.remove(&wire).map(|p| (wire, p))
    }

    /// Gives `call` its `Failed` event (once); its call entry stays until its
    /// remaining parts are answered or gone.
    pub(super) fn fail_call(&mut self, call_id: RequestId, error: Error) {
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
    pub(super) fn expire(&mut self, now: u64) {
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
            if part.auth.is_some() {
                self.auth_timed_out(now, part.auth);
                return;
            }
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

    pub(super) fn channel_call(&mut self, now: u64, channels: &[&str], subscribe: bool) -> Result<RequestId, Error> {
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
        if subscribe && self.config.subscription_token_callback {
            return self.hold_subscribe(now, channels);
        }
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
                    // Its position is kept until the server acks: a refusal puts it back whole.
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
    pub(super) fn call(
        &mut self,
        now: u64,
        parts: Vec<(OwnedMessage, Vec<String>, Vec<String>)>,
    ) -> Result<RequestId, Error> {
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
        for ((msg, added, removed), bytes) in parts.into_iter().zip(encoded) {
            let wire = self.calls.next_wire_id();
            let subscribes = msg.header(names::SUBSCRIBE).is_some();
            self.calls.parts.insert(
                wire,
                Part {
                    call: Some(call_id),
                    deadline,
                    sent: false,
                    added,
                    removed,
                    restore: Vec::new(),
                    subscribes,
                    recovering: Vec::new(),
                    auth: None,
                    token_channel: None,
                },
            );
            self.queue(Queued {
                wire: Some(wire),
                bytes,
            });
        }
        Ok(call_id)
    }

    pub(super) fn queue(&mut self, q: Queued) {
        if self.state == State::Open {
            self.write(q);
        } else {
            self.backlog.push_back(q);
        }
    }

    pub(super) fn write(&mut self, q: Queued) {
        if let Some(part) = q.wire.and_then(|w| self.calls.parts.get_mut(&w)) {
            part.sent = true;
        }
        self.transmits.push_back(Transmit::Frame(q.bytes));
    }

    /// Applies the channel headers of an outgoing message to the set; returns
    /// what changed so a refusal can take it back.
    pub(super) fn track(&mut self, msg: &OwnedMessage) -> (Vec<String>, Vec<String>) {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for c in msg.channels(names::SUBSCRIBE) {
            if self.subscriptions.insert(c.clone()) {
                added.push(c);
            }
        }
        for c in msg.channels(names::UNSUBSCRIBE) {
            // Its position is kept until the server acks: a refusal puts it back whole.
            if self.subscriptions.remove(&c) {
                removed.push(c);
            }
        }
        (added, removed)
    }

    pub(super) fn untrack(&mut self, added: &[String], removed: &[String]) {
        for c in added {
            self.drop_subscription(c);
        }
        for c in removed {
            self.subscriptions.insert(c.clone());
        }
    }
}

fn too_many_channels(max: usize) -> Error {
    Error::Server {
        code: ServerError::TooManyChannels.as_str().to_owned(),
        detail: format!("at most {max} channels per message (the server's limit)"),
        command: None,
        id: None,
    }
}
