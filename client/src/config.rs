//! Connection settings: where to connect, how long to wait, whether to come back
//! after a drop, and which certificate authority to trust for `wss://`.
//!
//! Everything the session decides with (timeouts, backoff, attempts, the message
//! buffer) maps one to one onto [`lhttp_session::Config`], whose defaults these
//! are, except `reconnect`, which is off by default in the Rust API.

use std::time::Duration;

/// How a [`Client`](crate::Client) connects and behaves.
///
/// ```
/// let mut config = lhttp_client::Config::new("ws://127.0.0.1:8081/");
/// config.reconnect = true;
/// assert_eq!(config.url, "ws://127.0.0.1:8081/");
/// assert_eq!(config.request_timeout, std::time::Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The server's WebSocket URL, `ws://host:port/path` or `wss://...`.
    pub url: String,
    /// Reconnect with exponential backoff after the connection drops, then re-subscribe
    /// every channel currently subscribed. Off by default. Close codes 1008 and 4001
    /// and handshakes refused with a 4xx status end the client all the same.
    pub reconnect: bool,
    /// Send a WebSocket ping this often; two intervals without any frame from the server
    /// count as a dead connection. `None` (the default) sends no pings.
    pub ping_interval: Option<Duration>,
    /// The longest a connection attempt (TCP, TLS, WebSocket handshake and the
    /// server's `connected` greeting) may take. Default 10 s.
    pub connect_timeout: Duration,
    /// Extra certificate authorities (PEM) trusted for `wss://`, besides the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The first wait before reconnecting; each failed attempt doubles it (half
    /// of each wait is random). Default 500 ms.
    pub initial_backoff: Duration,
    /// The longest wait between two reconnect attempts. Default 20 s.
    pub max_backoff: Duration,
    /// Give up reconnecting after this many failed attempts in a row; `None` (the
    /// default) never does.
    pub max_attempts: Option<u32>,
    /// How long an awaited request (`subscribe`, `unsubscribe`, `publish`,
    /// `request`) waits for the server's answer, time queued included. Default 10 s.
    pub request_timeout: Duration,
    /// The most received messages kept until the application reads them. When
    /// they are all unread the client stops reading the socket (the server then
    /// sees a slow consumer) instead of dropping any. Default 10,000.
    pub max_buffered: usize,
    /// The `Origin` header of the WebSocket handshake, as a browser page would
    /// send it; `None` (the default) sends none. A server that does not allow
    /// that origin refuses the handshake with 403 `OriginNotAllowed`.
    pub origin: Option<String>,
    /// A connection token (spec 14), sent in `connect` on every connection.
    /// `Debug` never shows it. Default none.
    pub token: Option<lhttp_session::Token>,
    /// Gets connection tokens: called on connect, on reconnect and before the
    /// token expires (the session decides when), so a long-lived client refreshes
    /// without the application doing anything. Default none.
    pub token_callback: Option<crate::TokenCallback>,
    /// Gets a channel's subscription token before it is subscribed (and again
    /// on each restore and before it expires); answers `None` for channels that
    /// need none. Default none.
    pub subscription_token_callback: Option<crate::SubscriptionTokenCallback>,
}

impl Config {
    /// The defaults for `url`: no reconnect, no pings, 10 s timeouts, system roots only.
    pub fn new(url: impl Into<String>) -> Config {
        let session = lhttp_session::Config::default();
        Config {
            url: url.into(),
            reconnect: false,
            ping_interval: session.ping_interval.map(Duration::from_millis),
            connect_timeout: Duration::from_millis(session.connect_timeout),
            ca_pem: None,
            initial_backoff: Duration::from_millis(session.backoff_initial),
            max_backoff: Duration::from_millis(session.backoff_max),
            max_attempts: session.max_attempts,
            request_timeout: Duration::from_millis(session.request_timeout),
            max_buffered: session.max_buffered,
            origin: None,
            token: None,
            token_callback: None,
            subscription_token_callback: None,
        }
    }

    /// The session's settings, in milliseconds, with a fresh random `seed` for
    /// the reconnect jitter.
    pub(crate) fn session(&self) -> lhttp_session::Config {
        lhttp_session::Config {
            reconnect: self.reconnect,
            request_timeout: millis(self.request_timeout),
            connect_timeout: millis(self.connect_timeout),
            ping_interval: self.ping_interval.map(millis),
            backoff_initial: millis(self.initial_backoff),
            backoff_max: millis(self.max_backoff),
            max_attempts: self.max_attempts,
            max_buffered: self.max_buffered,
            seed: random_seed(),
            token: self.token.clone(),
            token_callback: self.token_callback.is_some(),
            subscription_token_callback: self.subscription_token_callback.is_some(),
        }
    }
}

/// Whole milliseconds, at least 1 for a non-zero duration, saturating.
fn millis(d: Duration) -> u64 {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 && !d.is_zero() {
        1
    } else {
        ms
    }
}

/// A seed that differs between clients and processes: std's randomly keyed
/// hasher, mixed with the time.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since.as_nanos());
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_onto_the_session_config() {
        let mut c = Config::new("ws://h/");
        c.reconnect = true;
        c.ping_interval = Some(Duration::from_micros(10));
        c.max_backoff = Duration::from_secs(3);
        c.max_attempts = Some(4);
        c.max_buffered = 7;
        let s = c.session();
        assert!(s.reconnect);
        assert_eq!(s.ping_interval, Some(1), "a sub-millisecond interval is not 0");
        assert_eq!((s.backoff_max, s.max_attempts, s.max_buffered), (3000, Some(4), 7));
        assert_eq!(
            (s.request_timeout, s.connect_timeout, s.backoff_initial),
            (10_000, 10_000, 500)
        );
        assert_ne!(c.session().seed, s.seed, "each session gets its own seed");
    }
}
