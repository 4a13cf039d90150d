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
    channel_error_frame(code, detail, command, id, None)
}

/// [`error_frame`] about one `channel` (a refused channel, an ended subscription, spec 14).
pub fn channel_error_frame(
    code: &str,
    detail: &str,
    command: Option<&str>,
    id: Option<&str>,
    channel: Option<&str>,
) -> Frame {
    let detail = clean_value(detail);
    server_frame(
        ErrorReply {
            code,
            detail: &detail,
            command,
            id,
            channel,
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

/// What an `ack` carries besides its `id` and `deliveries`: headers a filter or
/// processor added (`position`, `recovered`, ...) and, for a history read, parts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AckExtra {
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// The parts of a multipart body (none: no body, no `multipart` header).
    pub parts: Vec<lhttp_core::owned::PartSpec>,
    /// A plain body, when there are no parts (a presence query's members, 15.2).
    pub body: Vec<u8>,
}

/// `LHTTP/1.0 ack` for request `id` with `extra` headers and parts after the
/// `deliveries` count, written by core (its plain `Ack` when there is nothing extra).
pub fn ack_frame_with(id: &str, deliveries: Option<usize>, extra: &AckExtra) -> Frame {
    if extra.headers.is_empty() && extra.parts.is_empty() && extra.body.is_empty() {
        return ack_frame(id, deliveries);
    }
    let mut headers = vec![(headers::ID.to_string(), id.to_string())];
    if let Some(n) = deliveries {
        headers.push((headers::DELIVERIES.to_string(), n.to_string()));
    }
    headers.extend(extra.headers.iter().cloned());
    let ack = lhttp_core::reply::commands::ACK;
    server_frame(if extra.parts.is_empty() {
        lhttp_core::owned::encode(ack, &headers, &extra.body)
    } else {
        lhttp_core::owned::encode_multipart(ack, &headers, &extra.parts)
    })
}

/// A publication as a channel with history delivers it (13.3): `message` with
/// `channel`, `offset` and `epoch` first, and without any of the headers only the
/// server sets (a client's own are dropped). `None` when `message` does not parse.
pub fn publication(message: &[u8], channel: &str, position: lhttp_core::position::Position<'_>) -> Option<Bytes> {
    let offset = position.offset.to_string();
    lhttp_core::owned::with_header_storage(None, |storage| {
        let m = lhttp_core::parse(message, storage)?;
        let mut out = vec![
            Header {
                name: lhttp_core::names::CHANNEL,
                value: channel,
            },
            Header {
                name: lhttp_core::names::OFFSET,
                value: &offset,
            },
            Header {
                name: lhttp_core::names::EPOCH,
                value: position.epoch,
            },
        ];
        out.extend(m.headers.iter().filter(|h| !is_server_set(h.name)).copied());
        encode_bytes(m.command, &out, m.body)
    })
    .ok()
}

/// Whether `name` is a header only the server sets (13.3), never taken from a request.
pub fn is_server_set(name: &str) -> bool {
    lhttp_core::names::SERVER_SET
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
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
    channel: None,
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
            max_headers: 9,
            ..Default::default()
        };
        assert_eq!(
            payload(&connected_frame("n-1", &limits)),
            b"LHTTP/1.0 connected\r\nclient-id:n-1\r\nmax-channels:2\r\nmax-subscriptions:3\r\nmax-message-size:100\r\nmax-headers:9\r\n\r\n"
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
    fn acks_carry_extra_headers_and_parts() {
        let extra = AckExtra {
            headers: vec![("position".into(), "a E:2".into())],
            parts: vec![(vec![("offset".into(), "2".into())], b"hi".to_vec())],
            ..AckExtra::default()
        };
        assert_eq!(
            payload(&ack_frame_with("7", None, &extra)),
            b"LHTTP/1.0 ack\r\nid:7\r\nposition:a E:2\r\nmultipart:0\r\n\r\noffset:2\r\n\r\nhi"
        );
        assert_eq!(
            payload(&ack_frame_with("7", Some(1), &AckExtra::default())),
            payload(&ack_frame("7", Some(1)))
        );
    }

    #[test]
    fn a_publication_carries_its_position_first_and_no_client_set_one() {
        let p = lhttp_core::position::Position { epoch: "E", offset: 3 };
        let got = publication(b"LHTTP/1.0 chat\r\nOffset:99\r\nx:1\r\nepoch:bad\r\n\r\nhi", "room", p).unwrap();
        assert_eq!(
            &got[..],
            b"LHTTP/1.0 chat\r\nchannel:room\r\noffset:3\r\nepoch:E\r\nx:1\r\n\r\nhi"
        );
        assert!(publication(b"garbage", "room", p).is_none());
    }

    #[test]
    fn an_unwritable_error_becomes_internal() {
        assert_eq!(
            payload(&error_frame("bad\ncode", "x", None, None)),
            b"LHTTP/1.0 error\r\ncode:Internal\r\ndetail:the server could not write its reply\r\n\r\n"
        );
    }
}
