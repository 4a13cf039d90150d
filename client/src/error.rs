//! The client's error type: what went wrong, in words a caller can act on, with a
//! stable short [`Error::name`] that every binding (C, Python, Node) surfaces.

use std::fmt;

/// Why a client call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The connection could not be made: refused, DNS, TLS or WebSocket handshake failure.
    Connect(String),
    /// The server closed the connection (or it was closed by [`close`](crate::Client::close)).
    Closed {
        /// The WebSocket close code, when the server sent one.
        code: Option<u16>,
        /// The close reason, or a description of how the connection ended.
        reason: String,
    },
    /// A received or outgoing message is not valid LHTTP; the core error names the rule.
    Protocol(lhttp_core::Error),
    /// The server answered a request with an `error` reply.
    Server {
        /// The reply's `code` header: a core error name or a server one such as `Forbidden`.
        code: String,
        /// The reply's `detail` header, human text.
        detail: String,
    },
    /// The operation did not complete in time.
    Timeout,
    /// Reading or writing the connection failed.
    Io(String),
}

impl Error {
    /// A stable short name: `Connect`, `Closed`, `Timeout`, `Io`, the core error
    /// name for [`Error::Protocol`], the server's code for [`Error::Server`].
    pub fn name(&self) -> &str {
        match self {
            Error::Connect(_) => "Connect",
            Error::Closed { .. } => "Closed",
            Error::Protocol(e) => e.as_str(),
            Error::Server { code, .. } => code,
            Error::Timeout => "Timeout",
            Error::Io(_) => "Io",
        }
    }

    /// The error for a connection that ended without a close frame.
    pub(crate) fn closed(reason: impl Into<String>) -> Error {
        Error::Closed {
            code: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect(why) => write!(f, "could not connect: {why}"),
            Error::Closed {
                code: Some(code),
                reason,
            } => {
                write!(f, "connection closed by the server (code {code}")?;
                if !reason.is_empty() {
                    write!(f, ", reason: {reason}")?;
                }
                f.write_str(")")
            }
            Error::Closed { code: None, reason } => write!(f, "connection closed: {reason}"),
            Error::Protocol(e) => write!(f, "invalid LHTTP message ({}): {e}", e.as_str()),
            Error::Server { code, detail } => write!(f, "server error {code}: {detail}"),
            Error::Timeout => f.write_str("timed out"),
            Error::Io(why) => write!(f, "connection failed: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<lhttp_core::Error> for Error {
    fn from(e: lhttp_core::Error) -> Error {
        Error::Protocol(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable() {
        assert_eq!(Error::Connect("x".into()).name(), "Connect");
        assert_eq!(Error::closed("eof").name(), "Closed");
        assert_eq!(Error::Protocol(lhttp_core::Error::HeaderName).name(), "HeaderName");
        let server = Error::Server {
            code: "Forbidden".into(),
            detail: "no".into(),
        };
        assert_eq!(server.name(), "Forbidden");
        assert_eq!(Error::Timeout.name(), "Timeout");
        assert_eq!(Error::Io("reset".into()).name(), "Io");
    }

    #[test]
    fn display_says_what_happened() {
        let closed = Error::Closed {
            code: Some(1008),
            reason: "policy".into(),
        };
        assert_eq!(
            closed.to_string(),
            "connection closed by the server (code 1008, reason: policy)"
        );
        let proto = Error::Protocol(lhttp_core::Error::Version);
        assert!(proto.to_string().starts_with("invalid LHTTP message (Version)"));
    }
}
