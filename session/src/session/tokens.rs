//! Connection and subscription tokens (spec/PROTOCOL.md 12 and 14): when the
//! session asks the driver for one, the `connect` it sends first on every
//! connection and the `refresh` before the token expires, and subscribes held
//! until their channels' subscription tokens are known. The driver only answers;
//! every "when" is decided here.

use super::*;

use lhttp_core::auth::{CONNECT, REFRESH};

/// The most a token is refreshed before it expires: 30 s, or half its lifetime
/// when that is shorter, so a short token is not refreshed at once.
pub const MAX_REFRESH_MARGIN: u64 = 30_000;

/// When to refresh a token that expires in `ms`, from `now`.
fn refresh_time(now: u64, ms: u64) -> u64 {
    now.saturating_add(ms - (ms / 2).min(MAX_REFRESH_MARGIN))
}

/// Where a connection's `connect` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// No `connect` under way.
    None,
    /// Waiting for the driver's token.
    WaitingToken,
    /// Sent, waiting for its ack.
    Sent,
}

/// What the driver said about one channel's subscription token.
#[derive(Debug, Clone)]
pub(crate) struct SubToken {
    /// The token; `None` for a channel that needs none.
    pub token: Option<Token>,
    /// Given for the current connection (a restore asks again otherwise).
    pub fresh: bool,
    /// When to ask for a new one, from its subscribe's `expires-in`.
    pub refresh_at: Option<u64>,
    /// A new one was asked for (or is being sent) before the old one expires.
    pub refreshing: bool,
}

/// A subscribe call waiting for its channels' subscription tokens.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub call: RequestId,
    pub channels: Vec<String>,
    /// The channels it added to the set (taken back if it fails).
    pub added: Vec<String>,
    pub deadline: u64,
}

impl Session {
    // ---- what the driver answers ----

    /// Gives the session a connection token: the answer to [`Event::TokenNeeded`],
    /// or a new token at any time (used from the next `connect` or `refresh`).
    pub fn set_token(&mut self, now: u64, token: Token) {
        self.token = Some(token);
        self.token_asked = false;
        // A new token's lifetime is known once the server acks it.
        self.token_refresh_at = None;
        match self.state {
            State::Handshaking if self.stage == Stage::WaitingToken => self.send_auth(now, AuthPart::Connect),
            State::Restoring | State::Open if self.refreshing => self.send_auth(now, AuthPart::Refresh),
            _ => {}
        }
    }

    /// The driver could not get a connection token. While connecting, the attempt
    /// fails with `error` (and is retried unless it is a `Connect` error with a 4xx
    /// status); while refreshing, [`Event::RefreshFailed`] reports it.
    pub fn token_failed(&mut self, now: u64, error: Error) {
        self.token_asked = false;
        if self.state == State::Handshaking && self.stage == Stage::WaitingToken {
            self.stage = Stage::None;
            self.abandon_socket("no connection token");
            self.attempt_failed(now, error);
        } else if self.refreshing {
            self.refreshing = false;
            self.events.push_back(Event::RefreshFailed { error });
        }
    }

    /// Gives the subscription token of `channel` (`None`: it needs none): the
    /// answer to [`Event::SubscriptionTokenNeeded`].
    pub fn set_subscription_token(&mut self, now: u64, channel: &str, token: Option<Token>) {
        let refreshing = self.sub_tokens.get(channel).is_some_and(|t| t.refreshing);
        let has_token = token.is_some();
        self.sub_tokens.insert(
            channel.to_owned(),
            SubToken {
                token,
                fresh: true,
                refresh_at: None,
                refreshing: false,
            },
        );
        if refreshing && has_token && matches!(self.state, State::Restoring | State::Open) {
            self.resubscribe(now, channel);
        }
        self.release_held(now);
        if self.restore_waiting.as_deref() == Some(channel) {
            self.restore_waiting = None;
            self.next_restore(now);
        }
    }

    /// The driver could not get the subscription token of `channel`: subscribes
    /// waiting for it fail with `error`, a restore waiting for it reports the
    /// channel refused, a refresh [`Event::RefreshFailed`].
    pub fn subscription_token_failed(&mut self, now: u64, channel: &str, error: Error) {
        if let Some(t) = self.sub_tokens.get_mut(channel) {
            if t.refreshing {
                t.refreshing = false;
                self.events.push_back(Event::RefreshFailed { error: error.clone() });
            }
        }
        let (failed, kept): (Vec<Held>, Vec<Held>) = core::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.channels.iter().any(|c| c == channel));
        self.held = kept;
        for h in failed {
            self.untrack(&h.added, &[]);
            self.fail_call(h.call, error.clone());
        }
        if self.restore_waiting.as_deref() == Some(channel) {
            self.restore_waiting = None;
            self.restore.pop_front();
            self.drop_subscription(channel);
            self.events.push_back(Event::RestoreRefused {
                channel: channel.to_owned(),
                error,
            });
            self.next_restore(now);
        }
    }

    // ---- the connection token ----

    pub(super) fn uses_tokens(&self) -> bool {
        self.token.is_some() || self.config.token_callback
    }

    /// After the greeting: `connect` with the token, asking the driver first
    /// unless the last token is still good.
    pub(super) fn authenticate(&mut self, now: u64) {
        let good =
            self.token.is_some() && (!self.config.token_callback || self.token_refresh_at.is_none_or(|at| now < at));
        if good {
            self.send_auth(now, AuthPart::Connect);
        } else {
            self.stage = Stage::WaitingToken;
            self.ask_token();
        }
    }

    fn ask_token(&mut self) {
        if !self.token_asked {
            self.token_asked = true;
            self.events.push_back(Event::TokenNeeded);
        }
    }

    /// Writes `connect` or `refresh` with the token, ahead of anything queued.
    fn send_auth(&mut self, now: u64, kind: AuthPart) {
        let Some(token) = self.token.clone() else {
            return;
        };
        let command = if kind == AuthPart::Connect { CONNECT } else { REFRESH };
        let wire = self.calls.next_wire_id();
        let msg = OwnedMessage::new(command)
            .with_header(names::TOKEN, token.as_str())
            .with_header(headers::ID, wire.to_string());
        let bytes = match msg.encode() {
            Ok(b) => b,
            Err(e) => {
                // A token that is no header value: no server would take it.
                return self.auth_refused(now, kind, Error::Protocol(e));
            }
        };
        if kind == AuthPart::Connect {
            self.stage = Stage::Sent;
        }
        self.calls.parts.insert(wire, auth_part(now, &self.config, kind, None));
        self.transmits.push_back(Transmit::Frame(bytes));
    }

    pub(super) fn auth_acked(&mut self, now: u64, kind: AuthPart, reply: &OwnedMessage) {
        match kind {
            AuthPart::Connect | AuthPart::Refresh => {
                self.token_refresh_at = expires_in(reply).map(|s| refresh_time(now, s.saturating_mul(1000)));
                if kind == AuthPart::Connect {
                    self.stage = Stage::None;
                    self.begin_restore(now);
                } else {
                    self.refreshing = false;
                }
            }
            // `ack_expiry` took the new `expires-in`.
            AuthPart::Resubscribe => {}
        }
    }

    pub(super) fn auth_refused(&mut self, now: u64, kind: AuthPart, error: Error) {
        match kind {
            AuthPart::Connect => {
                self.stage = Stage::None;
                let expired = error.name() == ServerError::TokenExpired.as_str();
                if self.config.token_callback {
                    self.token = None;
                }
                self.abandon_socket("connection token refused");
                if expired && self.config.token_callback {
                    // A new token may do: a new connection asks for one.
                    self.attempt_failed(now, error);
                } else {
                    self.connect_deadline = None;
                    self.events.push_back(Event::ConnectFailed { error: error.clone() });
                    self.give_up(error);
                }
            }
            AuthPart::Refresh => {
                self.refreshing = false;
                self.events.push_back(Event::RefreshFailed { error });
            }
            AuthPart::Resubscribe => self.events.push_back(Event::RefreshFailed { error }),
        }
    }

    pub(super) fn auth_timed_out(&mut self, now: u64, kind: Option<AuthPart>) {
        match kind {
            Some(AuthPart::Connect) => {
                self.stage = Stage::None;
                self.abandon_socket("connect timed out");
                self.attempt_failed(now, Error::Timeout);
            }
            Some(kind) => self.auth_refused(now, kind, Error::Timeout),
            None => {}
        }
    }

    /// What a connection's end (or a failed attempt) resets: its own token
    /// messages wait for no answer any more.
    pub(super) fn connection_ended(&mut self) {
        let own: Vec<u64> = self
            .calls
            .parts
            .iter()
            .filter(|(_, p)| p.auth.is_some())
            .map(|(id, _)| *id)
            .collect();
        for wire in own {
            self.calls.parts.remove(&wire);
        }
        self.stage = Stage::None;
        self.refreshing = false;
        self.restore_waiting = None;
        for t in self.sub_tokens.values_mut() {
            t.fresh = false;
            t.refreshing = false;
            t.refresh_at = None;
        }
    }

    /// The next time a token is to be refreshed, on an open connection.
    pub(super) fn next_refresh(&self) -> Option<u64> {
        let conn = self
            .token_refresh_at
            .filter(|_| self.config.token_callback && !self.refreshing);
        let subs = self
            .sub_tokens
            .values()
            .filter(|t| !t.refreshing)
            .filter_map(|t| t.refresh_at)
            .filter(|_| self.config.subscription_token_callback)
            .min();
        match (conn, subs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Asks for new tokens that are due, and times out held subscribes.
    pub(super) fn refresh_due(&mut self, now: u64) {
        let (late, kept): (Vec<Held>, Vec<Held>) = core::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| now >= h.deadline);
        self.held = kept;
        for h in late {
            self.untrack(&h.added, &[]);
            self.fail_call(h.call, Error::Timeout);
        }
        if !matches!(self.state, State::Restoring | State::Open) {
            return;
        }
        if self.config.token_callback && !self.refreshing && self.token_refresh_at.is_some_and(|at| now >= at) {
            self.refreshing = true;
            self.token_refresh_at = None;
            self.ask_token();
        }
        if self.config.subscription_token_callback {
            let due: Vec<String> = self
                .sub_tokens
                .iter()
                .filter(|(_, t)| !t.refreshing && t.refresh_at.is_some_and(|at| now >= at))
                .map(|(c, _)| c.clone())
                .collect();
            for channel in due {
                if let Some(t) = self.sub_tokens.get_mut(&channel) {
                    t.refreshing = true;
                    t.refresh_at = None;
                }
                self.events.push_back(Event::SubscriptionTokenNeeded { channel });
            }
        }
    }

    // ---- subscription tokens ----

    /// Whether `channel` was subscribed with a subscription token.
    pub(super) fn has_subscription_token(&self, channel: &str) -> bool {
        self.sub_tokens.get(channel).is_some_and(|t| t.token.is_some())
    }

    /// The token a restore batch carries: `Ok(None)` for channels without one,
    /// `Err` when the driver is asked for a new one first (the restore waits).
    pub(super) fn restore_token(&mut self, batch: &[String]) -> Result<Option<Token>, ()> {
        let [channel] = batch else {
            return Ok(None);
        };
        let Some(t) = self.sub_tokens.get(channel) else {
            return Ok(None);
        };
        if t.token.is_none() {
            return Ok(None);
        }
        if t.fresh || !self.config.subscription_token_callback {
            return Ok(t.token.clone());
        }
        self.restore_waiting = Some(channel.clone());
        self.events.push_back(Event::SubscriptionTokenNeeded {
            channel: channel.clone(),
        });
        Err(())
    }

    /// A subscribe call that waits until the driver told each channel's token.
    pub(super) fn hold_subscribe(&mut self, now: u64, channels: &[&str]) -> Result<RequestId, Error> {
        let mut list: Vec<String> = Vec::new();
        for c in channels {
            if !list.iter().any(|l| l == c) {
                list.push((*c).to_owned());
            }
        }
        let added: Vec<String> = list
            .iter()
            .filter(|c| self.subscriptions.insert((*c).clone()))
            .cloned()
            .collect();
        let call = RequestId(self.calls.next_wire_id());
        self.calls.calls.insert(
            call,
            Call {
                remaining: 0,
                deliveries: None,
                failed: false,
            },
        );
        for c in &list {
            let known = self.sub_tokens.get(c).is_some_and(|t| t.fresh);
            let asked = self.held.iter().any(|h| h.channels.contains(c));
            if !known && !asked {
                self.events
                    .push_back(Event::SubscriptionTokenNeeded { channel: c.clone() });
            }
        }
        self.held.push(Held {
            call,
            channels: list,
            added,
            deadline: now.saturating_add(self.config.request_timeout),
        });
        self.release_held(now);
        Ok(call)
    }

    /// Sends every held subscribe whose channels' tokens are all known: the
    /// channels without a token together (within `max-channels`), each one with
    /// a token in a message of its own.
    fn release_held(&mut self, now: u64) {
        let (ready, waiting): (Vec<Held>, Vec<Held>) = core::mem::take(&mut self.held).into_iter().partition(|h| {
            h.channels
                .iter()
                .all(|c| self.sub_tokens.get(c).is_some_and(|t| t.fresh))
        });
        self.held = waiting;
        for h in ready {
            let (private, public): (Vec<&String>, Vec<&String>) =
                h.channels.iter().partition(|c| self.has_subscription_token(c));
            let mut parts: Vec<(OwnedMessage, Vec<String>, Option<String>)> = Vec::new();
            for chunk in public.chunks(self.max_channels()) {
                let names: Vec<&str> = chunk.iter().map(|c| c.as_str()).collect();
                let Ok(list) = channel::list(&names) else { continue };
                let msg = OwnedMessage::new(SUBSCRIBE_COMMAND).with_header(names::SUBSCRIBE, list);
                parts.push((msg, chunk.iter().map(|c| (*c).clone()).collect(), None));
            }
            for c in private {
                let token = self.sub_tokens.get(c).and_then(|t| t.token.clone());
                let mut msg = OwnedMessage::new(SUBSCRIBE_COMMAND).with_header(names::SUBSCRIBE, c.as_str());
                if let Some(t) = token {
                    msg = msg.with_header(names::TOKEN, t.as_str());
                }
                parts.push((msg, alloc::vec![c.clone()], Some(c.clone())));
            }
            if let Some(call) = self.calls.calls.get_mut(&h.call) {
                call.remaining = parts.len();
            }
            for (msg, chans, token_channel) in parts {
                let wire = self.calls.next_wire_id();
                let added: Vec<String> = chans.iter().filter(|c| h.added.contains(c)).cloned().collect();
                let bytes = match msg.with_header(headers::ID, wire.to_string()).encode() {
                    Ok(b) => b,
                    Err(e) => {
                        self.untrack(&added, &[]);
                        self.fail_call(h.call, Error::Protocol(e));
                        continue;
                    }
                };
                self.calls.parts.insert(
                    wire,
                    Part {
                        call: Some(h.call),
                        deadline: h.deadline.max(now),
                        sent: false,
                        added,
                        removed: Vec::new(),
                        restore: Vec::new(),
                        subscribes: true,
                        recovering: Vec::new(),
                        auth: None,
                        token_channel,
                    },
                );
                self.queue(Queued {
                    wire: Some(wire),
                    bytes,
                });
            }
        }
    }

    /// Subscribes `channel` again with its new token, before the old one expires.
    fn resubscribe(&mut self, now: u64, channel: &str) {
        let Some(token) = self.sub_tokens.get(channel).and_then(|t| t.token.clone()) else {
            return;
        };
        let wire = self.calls.next_wire_id();
        let msg = OwnedMessage::new(SUBSCRIBE_COMMAND)
            .with_header(names::SUBSCRIBE, channel)
            .with_header(names::TOKEN, token.as_str())
            .with_header(headers::ID, wire.to_string());
        match msg.encode() {
            Ok(bytes) => {
                let part = auth_part(now, &self.config, AuthPart::Resubscribe, Some(channel.to_owned()));
                self.calls.parts.insert(wire, part);
                self.transmits.push_back(Transmit::Frame(bytes));
            }
            Err(e) => self.events.push_back(Event::RefreshFailed {
                error: Error::Protocol(e),
            }),
        }
    }

    /// Takes a subscribe ack's `expires-in` for its token's channel.
    pub(super) fn ack_expiry(&mut self, now: u64, reply: &OwnedMessage, part: &Part) {
        let Some(channel) = &part.token_channel else {
            return;
        };
        let at = expires_in(reply).map(|s| refresh_time(now, s.saturating_mul(1000)));
        if let Some(t) = self.sub_tokens.get_mut(channel) {
            t.refresh_at = at;
            t.refreshing = false;
        }
    }

    /// An `error` without `id` that ends a subscription (14.7): `TokenExpired`
    /// naming a channel of the set. Reported, and the channel leaves the set.
    pub(super) fn subscription_ended(&mut self, error: &Error, reply: &OwnedMessage) -> bool {
        if error.name() != ServerError::TokenExpired.as_str() {
            return false;
        }
        let Some(channel) = reply.header(headers::CHANNEL).map(str::to_owned) else {
            return false;
        };
        if !self.drop_subscription(&channel) {
            return false;
        }
        self.events.push_back(Event::Unsubscribed {
            channel,
            error: error.clone(),
        });
        true
    }
}

/// A part for one of the session's own token messages.
fn auth_part(now: u64, config: &Config, kind: AuthPart, token_channel: Option<String>) -> Part {
    let subscribes = kind == AuthPart::Resubscribe;
    Part {
        call: None,
        deadline: now.saturating_add(config.request_timeout),
        sent: true,
        added: Vec::new(),
        removed: Vec::new(),
        restore: Vec::new(),
        subscribes,
        recovering: Vec::new(),
        auth: Some(kind),
        token_channel,
    }
}

/// The `expires-in` of an ack, read by core.
fn expires_in(reply: &OwnedMessage) -> Option<u64> {
    reply.with_view(lhttp_core::auth::expires_in)
}
