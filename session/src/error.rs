//! The one error type of a client session. [`Error::name`] is the stable short
//! name every SDK surfaces (C result names, Python exception `code`, JavaScript
//! `code`): the core error name, the server's error name, or one of
//! `Connect`, `Closed`, `Timeout`, `Io`.

use alloc::string::String;
use core::fmt;

/// Why a session call or a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An outgoing message or channel name is not valid LHTTP (or a received
    /// message is not); the core error names the rule.
    Protocol(lhttp_core::Error),
    /// The server answered with an `error` reply (or the session refused locally
    /// with the name the server would have used, e.g. `TooManyChannels`).
    Server {
        /// A core or server error name, e.g. `Forbidden`.
        code: String,
        /// Human text; programs branch on `code` only.
        detail: String,
        /// The failed request's command, when the reply said.
        command: Option<String>,
        /// The failed request's id, when the reply said.
        id: Option<String>,
    },
    /// No `ack` within the request timeout, or no greeting within the connect timeout.
    Timeout,
    /// The connection closed before the answer, or the session is closed.
    Closed {
        /// The WebSocket close code, when there was a close frame.
        code: Option<u16>,
        /// The close reason, or how the connection ended.
        reason: String,
    },
    /// A connection attempt failed: refused, DNS, TLS, or a handshake the server
    /// answered with an HTTP error status.
    Connect {
        /// The HTTP status of a refused handshake (e.g. 403, 401, 503).
        status: Option<u16>,
        /// What went wrong; for a refused handshake, the server's error name and detail.
        reason: String,
    },
    /// Reading or writing the socket failed.
    Io(String),
}

impl Error {
    /// The stable short name: the core error name for [`Error::Protocol`], the
    /// server's code for [`Error::Server`], else `Timeout`, `Closed`, `Connect` or `Io`.
    pub fn name(&self) -> &str {
        match self {
            Error::Protocol(e) => e.as_str(),
            Error::Server { code, .. } => code,
            Error::Timeout => "Timeout",
            Error::Closed { .. } => "Closed",
            Error::Connect { .. } => "Connect",
            Error::Io(_) => "Io",
        }
    }

    /// A close without a close frame.
    pub fn closed(reason: impl Into<String>) -> Error {
        Error::Closed {
            code: None,
            reason: reason.into(),
        }
    }

    /// Whether a connection attempt that failed this way is worth retrying: not
    /// after a handshake the server refused with a 4xx status (other than 408
    /// and 429), which would be refused again.
    pub fn is_retryable_connect(&self) -> bool {
        match self {
            Error::Connect { status: Some(s), .. } => !(400..500).contains(s) || *s == 408 || *s == 429,
            _ => true,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Protocol(e) => write!(f, "invalid LHTTP message ({}): {e}", e.as_str()),
            Error::Server { code, detail, .. } => write!(f, "server error {code}: {detail}"),
            Error::Timeout => f.write_str("timed out"),
            Error::Closed {
                code: Some(code),
                reason,
            } => {
                write!(f, "connection closed (code {code}")?;
                if !reason.is_empty() {
                    write!(f, ", reason: {reason}")?;
                }
                f.write_str(")")
            }
            Error::Closed { code: None, reason } => write!(f, "connection closed: {reason}"),
            Error::Connect {
                status: Some(s),
                reason,
            } => {
                write!(
                    f,
                    "could not connect: the server refused the WebSocket handshake with HTTP {s}"
                )?;
                if !reason.is_empty() {
                    write!(f, ": {reason}")?;
                }
                Ok(())
            }
            Error::Connect { status: None, reason } => write!(f, "could not connect: {reason}"),
            Error::Io(why) => write!(f, "connection failed: {why}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<lhttp_core::Error> for Error {
    fn from(e: lhttp_core::Error) -> Error {
        Error::Protocol(e)
    }
}
