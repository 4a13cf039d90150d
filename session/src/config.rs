//! The session's settings. Every duration is in milliseconds, in every SDK (a
//! language whose convention is seconds documents the conversion at its edge).

/// How a [`Session`](crate::Session) behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Reconnect after a lost connection (with backoff), then restore every
    /// subscription. Default `true`.
    pub reconnect: bool,
    /// How long a request waits for its `ack` or `error`, queued time included.
    /// Default 10,000 ms.
    pub request_timeout: u64,
    /// How long one connection attempt may take until the server's `connected`
    /// greeting. Default 10,000 ms.
    pub connect_timeout: u64,
    /// Send a WebSocket ping this often; two intervals without any frame from
    /// the server count as a dead connection. `None` (the default) sends none.
    pub ping_interval: Option<u64>,
    /// The first reconnect delay step; each failed attempt doubles it. Default 500 ms.
    pub backoff_initial: u64,
    /// The largest reconnect delay step. Default 20,000 ms.
    pub backoff_max: u64,
    /// Give up after this many failed attempts in a row; `None` (the default) never does.
    pub max_attempts: Option<u32>,
    /// The most received messages kept until the application reads them.
    /// Past it the oldest is dropped and [`Event::Lagged`](crate::Event::Lagged)
    /// says how many; drivers that can stop reading the socket do so first
    /// ([`Session::wants_read`](crate::Session::wants_read)). Default 10,000.
    pub max_buffered: usize,
    /// Seeds the jitter of the reconnect delays (drivers pass a random value;
    /// tests a fixed one). Default 0.
    pub seed: u64,
    /// A connection token to send in `connect` on every connection (spec 12, 14).
    /// Default none.
    pub token: Option<crate::Token>,
    /// The driver can get connection tokens: the session asks with
    /// [`Event::TokenNeeded`](crate::Event::TokenNeeded) on each connection (unless
    /// the last token is still good) and before the token expires, and the
    /// driver answers [`Session::set_token`](crate::Session::set_token) or
    /// [`Session::token_failed`](crate::Session::token_failed). Default `false`.
    pub token_callback: bool,
    /// The driver can get subscription tokens: before a channel's subscribe goes
    /// out (and before each restore and expiry of a channel that had one) the
    /// session asks with [`Event::SubscriptionTokenNeeded`](crate::Event::SubscriptionTokenNeeded),
    /// answered by [`Session::set_subscription_token`](crate::Session::set_subscription_token)
    /// (with `None` for a channel that needs none). Default `false`.
    pub subscription_token_callback: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            reconnect: true,
            request_timeout: 10_000,
            connect_timeout: 10_000,
            ping_interval: None,
            backoff_initial: 500,
            backoff_max: 20_000,
            max_attempts: None,
            max_buffered: 10_000,
            seed: 0,
            token: None,
            token_callback: false,
            subscription_token_callback: false,
        }
    }
}
