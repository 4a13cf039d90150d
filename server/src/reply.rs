//! The messages the server itself sends: `connected`, `ack` and `error`
//! (spec/PROTOCOL.md), and turning encoded bytes into a shareable, wire-encoded WebSocket frame.

pub use crate::frame::Frame;
use bytes::Bytes;
use lhttp_core::{encode, encoded_len, Header};

/// Reserved command of the message telling a client its id.
pub const CONNECTED: &str = "connected";
/// Reserved command acknowledging a request that carried an `id` header.
pub const ACK: &str = "ack";
/// Reserved command of an error reply.
pub const ERROR: &str = "error";

/// Whether clients may not use `command` (the server's own replies).
pub fn is_reserved(command: &str) -> bool {
    [CONNECTED, ACK, ERROR].iter().any(|r| r.eq_ignore_ascii_case(command))
}

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

/// A header value made safe: control characters become spaces, the ends trimmed.
pub fn clean_value(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `LHTTP/1.0 error` with `code`, `detail`, and the request's `command` and `id` when known.
pub fn error_frame(code: &str, detail: &str, command: Option<&str>, id: Option<&str>) -> Frame {
    let detail = clean_value(detail);
    let mut headers = vec![
        Header {
            name: "code",
            value: code,
        },
        Header {
            name: "detail",
            value: &detail,
        },
    ];
    if let Some(c) = command {
        headers.push(Header {
            name: "command",
            value: c,
        });
    }
    if let Some(i) = id {
        headers.push(Header { name: "id", value: i });
    }
    server_frame(ERROR, &headers)
}

/// `LHTTP/1.0 ack` for request `id`, with the local delivery count of a publish.
pub fn ack_frame(id: &str, deliveries: Option<usize>) -> Frame {
    let n = deliveries.map(|d| d.to_string());
    let mut headers = vec![Header { name: "id", value: id }];
    if let Some(n) = &n {
        headers.push(Header {
            name: "deliveries",
            value: n,
        });
    }
    server_frame(ACK, &headers)
}

/// `LHTTP/1.0 connected` telling the client its cluster-unique id.
pub fn connected_frame(client_id: &str) -> Frame {
    server_frame(
        CONNECTED,
        &[Header {
            name: "client-id",
            value: client_id,
        }],
    )
}

fn server_frame(command: &str, headers: &[Header<'_>]) -> Frame {
    // Every field here is a fixed token or a cleaned value; should one still be
    // refused, the client gets a bare error rather than nothing.
    let bytes = encode_bytes(command, headers, b"")
        .unwrap_or_else(|_| Bytes::from_static(b"LHTTP/1.0 error\r\ncode:Internal\r\n\r\n"));
    frame(bytes)
}
