//! The messages the server itself sends: `connected`, `ack` and `error`
//! (spec/PROTOCOL.md, section 8), written by core's reply writers, and turning
//! encoded bytes into a shareable, wire-encoded WebSocket frame.

pub use crate::frame::Frame;
use bytes::Bytes;
pub use lhttp_core::reply::{clean_value, headers, is_reserved};
use lhttp_core::reply::{Ack, Connected, ErrorReply};
use lhttp_core::{encode, encoded_len, Header, ServerError};

/// Encodes a message with core into fresh bytes.
pub fn encode_bytes(command: &str, headers: &[Header<'_>], body: &[u8]) -> Result<Bytes, lhttp_core::Error> {
    let mut buf = vec![0; encoded_len(command, headers, body)];
    let n = encode(command, headers, body, &mut buf)?;
    buf.truncate(n);
    Ok(Bytes::from(buf))
}

/// A frame carrying `bytes`, encoded once for every connection it goes to:
/// text when they are UTF-8 (what browsers expect), binary otherwise.
pub fn frame(bytes: Bytes) -> Frame {
    Frame::data(&bytes)
}

/// `LHTTP/1.0 error` with `code`, `detail` (cleaned to a header value), and the
/// request's `command` and `id` when known.
pub fn error_frame(code: &str, detail: &str, command: Option<&str>, id: Option<&str>) -> Frame {
    let detail = clean_value(detail);
    server_frame(
        ErrorReply {
            code,
            detail: &detail,
            command,
            id,
        }
        .to_vec(),
    )
}

/// `LHTTP/1.0 ack` for request `id`, with the local delivery count of a publish.
pub fn ack_frame(id: &str, deliveries: Option<usize>) -> Frame {
    server_frame(
        Ack {
            id: Some(id),
            deliveries: deliveries.map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
        }
        .to_vec(),
    )
}

/// `LHTTP/1.0 connected` telling the client its cluster-unique id and the limits it must respect.
pub fn connected_frame(client_id: &str, limits: &crate::config::Limits) -> Frame {
    server_frame(
        Connected {
            client_id: Some(client_id),
            limits: limits.announced(),
        }
        .to_vec(),
    )
}

/// The reply sent instead of one that core refused to write.
const UNWRITABLE: ErrorReply<'static> = ErrorReply {
    code: ServerError::Internal.as_str(),
    detail: "the server could not write its reply",
    command: None,
    id: None,
};

fn server_frame(bytes: Result<Vec<u8>, lhttp_core::Error>) -> Frame {
    // Every field here is a fixed token, a value core parsed or a cleaned one;
    // should one still be refused (a filter's code that is no header value),
    // the client gets an `Internal` error rather than nothing.
    let bytes = bytes.or_else(|_| UNWRITABLE.to_vec()).unwrap_or_default();
    frame(Bytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(f: &Frame) -> &[u8] {
        // Server frames are unmasked and these replies are short: a 2-byte header.
        &f.as_bytes()[2..]
    }

    #[test]
    fn replies_are_cores() {
        let limits = crate::config::Limits {
            max_channels: 2,
            max_subscriptions: 3,
            max_message_size: 100,
            ..Default::default()
        };
        assert_eq!(
            payload(&connected_frame("n-1", &limits)),
            b"LHTTP/1.0 connected\r\nclient-id:n-1\r\nmax-channels:2\r\nmax-subscriptions:3\r\nmax-message-size:100\r\n\r\n"
        );
        assert_eq!(
            payload(&ack_frame("7", Some(3))),
            b"LHTTP/1.0 ack\r\nid:7\r\ndeliveries:3\r\n\r\n"
        );
        assert_eq!(payload(&ack_frame("7", None)), b"LHTTP/1.0 ack\r\nid:7\r\n\r\n");
        assert_eq!(
            payload(&error_frame("Forbidden", " no\nway\t", Some("chat"), Some("4"))),
            b"LHTTP/1.0 error\r\ncode:Forbidden\r\ndetail:no way\r\ncommand:chat\r\nid:4\r\n\r\n"
        );
    }

    #[test]
    fn an_unwritable_error_becomes_internal() {
        assert_eq!(
            payload(&error_frame("bad\ncode", "x", None, None)),
            b"LHTTP/1.0 error\r\ncode:Internal\r\ndetail:the server could not write its reply\r\n\r\n"
        );
    }
}
