//! Connection settings: where to connect, how long to wait, whether to come back
//! after a drop, and which certificate authority to trust for `wss://`.

use std::time::Duration;

/// How a [`Client`](crate::Client) connects and behaves.
///
/// ```
/// let mut config = lhttp_client::Config::new("ws://127.0.0.1:8081/");
/// config.reconnect = true;
/// assert_eq!(config.url, "ws://127.0.0.1:8081/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The server's WebSocket URL, `ws://host:port/path` or `wss://...`.
    pub url: String,
    /// Reconnect with exponential backoff after the connection drops, then re-subscribe
    /// every channel currently subscribed. Off by default.
    pub reconnect: bool,
    /// Send a WebSocket ping this often; two intervals without any frame from the server
    /// count as a dead connection. `None` (the default) sends no pings.
    pub ping_interval: Option<Duration>,
    /// The longest a connection attempt (TCP, TLS, WebSocket handshake and the
    /// server's `connected` greeting) may take. Default 10 s.
    pub connect_timeout: Duration,
    /// Extra certificate authorities (PEM) trusted for `wss://`, besides the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The longest wait between two reconnect attempts. Default 30 s.
    pub max_backoff: Duration,
    /// How long an awaited request (`subscribe`, `unsubscribe`, `publish`) waits for the
    /// server's acknowledgement. Default 10 s.
    pub request_timeout: Duration,
}

impl Config {
    /// The defaults for `url`: no reconnect, no pings, 10 s timeouts, system roots only.
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            url: url.into(),
            reconnect: false,
            ping_interval: None,
            connect_timeout: Duration::from_secs(10),
            ca_pem: None,
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
        }
    }
}
