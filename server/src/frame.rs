//! Server-to-client WebSocket frames encoded once, straight to wire bytes
//! (RFC 6455 section 5.2; server frames are unmasked). A published message
//! is encoded a single time and the same bytes are written to every
//! subscriber's socket, with no per-subscriber encoding or copy.

use bytes::{BufMut, Bytes, BytesMut};

/// The opcodes (RFC 6455 section 5.2), for the frames written here and read by `inbound`.
pub(crate) const CONTINUATION: u8 = 0x0;
pub(crate) const TEXT: u8 = 0x1;
pub(crate) const BINARY: u8 = 0x2;
pub(crate) const CLOSE: u8 = 0x8;
pub(crate) const PING: u8 = 0x9;
pub(crate) const PONG: u8 = 0xa;
/// The most a control frame carries (RFC 6455 section 5.5).
pub(crate) const MAX_CONTROL: usize = 125;
/// Longest close reason: a control frame's payload, 2 bytes of it the code.
const MAX_REASON: usize = MAX_CONTROL - 2;

/// One complete, final WebSocket frame as it goes on the wire. Cloning shares the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(Bytes);

impl Frame {
    /// A data frame carrying `payload`: text when it is UTF-8 (what browsers expect), binary otherwise.
    pub fn data(payload: &[u8]) -> Frame {
        let opcode = if std::str::from_utf8(payload).is_ok() {
            TEXT
        } else {
            BINARY
        };
        Frame(encode(opcode, payload))
    }

    /// A close frame with `code` and `reason` (cut at a character boundary to fit a control frame).
    pub fn close(code: u16, reason: &str) -> Frame {
        let mut end = reason.len().min(MAX_REASON);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let mut payload = Vec::with_capacity(2 + end);
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(&reason.as_bytes()[..end]);
        Frame(encode(CLOSE, &payload))
    }

    /// An empty ping frame.
    pub fn ping() -> Frame {
        Frame(encode(PING, b""))
    }

    /// A pong answering a ping that carried `payload`.
    pub(crate) fn pong(payload: &[u8]) -> Frame {
        Frame(encode(PONG, payload))
    }

    /// The answer to a client's close: its code again, or an empty close when it gave none.
    pub(crate) fn close_reply(code: Option<u16>) -> Frame {
        match code {
            Some(code) => Frame(encode(CLOSE, &code.to_be_bytes())),
            None => Frame(encode(CLOSE, b"")),
        }
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// What is left to write of the frame once its first `n` bytes are
    /// written (the same bytes, shared).
    pub(crate) fn tail(&self, n: usize) -> Frame {
        Frame(self.0.slice(n..))
    }
}

/// A final, unmasked frame: header then payload, in one buffer.
fn encode(opcode: u8, payload: &[u8]) -> Bytes {
    let len = payload.len();
    let mut out = BytesMut::with_capacity(10 + len);
    out.put_u8(0x80 | opcode);
    if len < 126 {
        out.put_u8(len as u8);
    } else if let Ok(n) = u16::try_from(len) {
        out.put_u8(126);
        out.put_u16(n);
    } else {
        out.put_u8(127);
        out.put_u64(len as u64);
    }
    out.put_slice(payload);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

    /// Our bytes, parsed back by tungstenite: (opcode bits, payload).
    fn parse(f: &Frame) -> (u8, Vec<u8>) {
        let mut cur = std::io::Cursor::new(f.as_bytes());
        let (header, len) = FrameHeader::parse(&mut cur).unwrap().unwrap();
        assert!(header.is_final);
        assert!(header.mask.is_none());
        let start = cur.position() as usize;
        assert_eq!(f.as_bytes().len() - start, len as usize);
        (u8::from(header.opcode), f.as_bytes()[start..].to_vec())
    }

    #[test]
    fn lengths_use_each_header_form() {
        for n in [0, 1, 125, 126, 65535, 65536, 70000] {
            let f = Frame::data(&vec![b'a'; n]);
            let (op, p) = parse(&f);
            assert_eq!(op, TEXT);
            assert_eq!(p.len(), n);
        }
    }

    #[test]
    fn non_utf8_is_binary() {
        assert_eq!(parse(&Frame::data(&[0xff, 0])).0, BINARY);
    }

    #[test]
    fn close_carries_code_and_cut_reason() {
        let (op, p) = parse(&Frame::close(1013, "slow"));
        assert_eq!(op, CLOSE);
        assert_eq!(p, b"\x03\xf5slow");
        let long = "é".repeat(100);
        let (_, p) = parse(&Frame::close(1001, &long));
        assert!(p.len() <= 125);
        assert!(std::str::from_utf8(&p[2..]).is_ok());
        assert_eq!(parse(&Frame::ping()), (PING, vec![]));
        assert_eq!(parse(&Frame::pong(b"p")), (PONG, b"p".to_vec()));
        assert_eq!(parse(&Frame::close_reply(Some(1000))), (CLOSE, vec![3, 0xe8]));
        assert_eq!(parse(&Frame::close_reply(None)), (CLOSE, vec![]));
    }
}
