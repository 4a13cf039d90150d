//! The client session's state machine: its state and what the driver reads;
//! `connection` is what happens on each socket event and as time passes,
//! `requests` what happens on each application call and its answer, `recovery`
//! the positions of channels with history and their recovery after a reconnect.

mod connection;
mod recovery;
mod requests;
mod tokens;

use alloc::borrow::ToOwned;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use lhttp_core::reply::{headers, Reply};
use lhttp_core::{channel, names, CloseCode, Limits, OwnedMessage, Position, ServerError};

use crate::backoff::Backoff;
use crate::calls::{AuthPart, Call, Calls, Part};
use crate::positions::Positions;
use crate::vecmap::VecSet;
use crate::{Config, Error, Event, RequestId, Token, Transmit, SUBSCRIBE_COMMAND, UNSUBSCRIBE_COMMAND};
use tokens::{Held, Stage, SubToken};

/// Channels per message until a server announces its own limit (below the
/// server's default of 64, so older servers are never exceeded).
pub const DEFAULT_MAX_CHANNELS: u32 = 32;

/// Channels per restore message that carries `since` headers (13.7) when the server
/// announces no `max-headers` (servers older than it): each such channel is one
/// header more, and 30 with their `subscribe` and `id` stay within 32 headers, below
/// lhttpd's default of 64.
pub const DEFAULT_SINCE_PER_MESSAGE: usize = 30;

/// The headers of a restore message besides its `since` headers: `subscribe` and `id`.
const RESTORE_HEADERS: u32 = 2;

/// The most channels with `since` one restore message may name under `limits`: the
/// server's `max-headers` less the restore's other headers (at least 1), else
/// [`DEFAULT_SINCE_PER_MESSAGE`].
fn since_per_message(limits: &Limits) -> usize {
    limits.max_headers.map_or(DEFAULT_SINCE_PER_MESSAGE, |h| {
        h.saturating_sub(RESTORE_HEADERS).max(1) as usize
    })
}

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
        #[allow(dead_code)]
        channel: Option<String>,
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
    /// The last position of each subscribed channel with history.
    positions: Positions,
    restore: VecDeque<Vec<String>>,
    client_id: Option<String>,
    limits: Limits,
    /// The most channels with `since` per restore message, from the last greeting's limits.
    since_per_message: usize,
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
    /// The connection token (spec 14): the configured one, or the driver's last.
    token: Option<Token>,
    /// When to ask for a new connection token (`expires-in` minus the margin).
    token_refresh_at: Option<u64>,
    /// A `TokenNeeded` is out, unanswered.
    token_asked: bool,
    /// Where the current connection's `connect` is.
    stage: Stage,
    /// A refresh of the connection token is under way (asked or sent).
    refreshing: bool,
    /// Each subscribed channel's subscription token answer (callback only).
    sub_tokens: BTreeMap<String, SubToken>,
    /// Subscribe calls waiting for their channels' subscription tokens.
    held: Vec<Held>,
    /// The channel whose token a restore waits for.
    restore_waiting: Option<String>,
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
            positions: Positions::default(),
            restore: VecDeque::new(),
            client_id: None,
            limits: Limits::default(),
            since_per_message: DEFAULT_SINCE_PER_MESSAGE,
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
            token: None,
            token_refresh_at: None,
            token_asked: false,
            stage: Stage::None,
            refreshing: false,
            sub_tokens: BTreeMap::new(),
            held: Vec::new(),
            restore_waiting: None,
        }
        .with_configured_token()
    }

    fn with_configured_token(mut self) -> Session {
        self.token = self.config.token.clone();
        self
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
        for h in &self.held {
            add(Some(h.deadline));
        }
        match self.state {
            State::Connecting | State::Handshaking => add(self.connect_deadline),
            State::Waiting => add(self.wake_at),
            State::Restoring | State::Open => {
                add(self.next_refresh());
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

    /// The last position seen of a subscribed channel with history (from its
    /// subscribe's `ack` and each publication received), which a reconnect recovers
    /// from; `None` for a channel without history or not subscribed.
    pub fn position(&self, channel: &str) -> Option<Position<'_>> {
        if !self.subscriptions.contains(channel) {
            return None;
        }
        self.positions.get(channel)
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
