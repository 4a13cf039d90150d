//! The client's error type is the session's, [`lhttp_session::Error`]: what went
//! wrong, in words a caller can act on, with a stable short [`Error::name`] that
//! every binding (C, Python, Node) surfaces.

pub use lhttp_session::Error;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable() {
        let connect = Error::Connect {
            status: Some(403),
            reason: "OriginNotAllowed: no".into(),
        };
        assert_eq!(connect.name(), "Connect");
        assert_eq!(Error::closed("eof").name(), "Closed");
        assert_eq!(Error::Protocol(lhttp_core::Error::Channel).name(), "Channel");
        let server = Error::Server {
            code: "Forbidden".into(),
            detail: "no".into(),
            command: None,
            id: None,
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
        assert_eq!(closed.to_string(), "connection closed (code 1008, reason: policy)");
        let proto = Error::Protocol(lhttp_core::Error::Version);
        assert!(proto.to_string().starts_with("invalid LHTTP message (Version)"));
    }
}
