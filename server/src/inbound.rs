//! Client-to-server WebSocket frames (RFC 6455 section 5), taken from whatever
//! bytes the connection's last read brought. The connection reads into its
//! worker thread's buffer, so an idle connection holds no read buffer: only a
//! frame cut by the end of a read, or a fragmented message, is kept here until
//! the rest arrives.

use crate::frame::{BINARY, CLOSE, CONTINUATION, MAX_CONTROL, PING, PONG, TEXT};
use lhttp_core::CloseCode;

/// What a complete frame (or message) says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A whole text or binary message (text checked to be UTF-8).
    Message(&'a [u8]),
    /// A ping, to be answered with a pong carrying `payload`.
    Ping(&'a [u8]),
    /// A pong (only that the client is alive).
    Pong,
    /// The client's close, with its code if it gave one. Nothing after it is read.
    Close(Option<u16>),
}

/// What the reader of the events wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on with the next frame.
    Continue,
    /// Stop here, keeping what is unread, until [`Inbound::resume`].
    Pause,
}

/// The client broke a WebSocket rule: its connection closes with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Broken {
    /// 1002 for a broken frame, 1007 for text that is not UTF-8, 1009 past the size limit.
    pub code: CloseCode,
    /// Why, for the close reason.
    pub why: &'static str,
}

fn broken(code: CloseCode, why: &'static str) -> Broken {
    Broken { code, why }
}

/// How far [`Inbound::feed`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fed {
    /// Every complete frame was handed over; more bytes are welcome.
    More,
    /// The handler paused: call [`Inbound::resume`] before feeding more.
    Paused,
    /// The client closed: read nothing more.
    Closed,
}

/// One connection's reading state: nothing at all between whole frames.
#[derive(Debug)]
pub(crate) struct Inbound {
    /// The largest frame or message taken; longer ones close with 1009.
    max: usize,
    /// Boxed: most connections never need it.
    partial: Option<Box<Partial>>,
}

#[derive(Debug, Default)]
struct Partial {
    /// Bytes read but not yet a whole frame (or left unread by a pause).
    unread: Vec<u8>,
    /// The fragments so far of a message that is not finished, and whether it is text.
    message: Vec<u8>,
    fragmented: Option<bool>,
}

/// A frame's header, as far as the server needs it.
struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    /// Header bytes, mask included.
    len: usize,
    payload: usize,
}

impl Inbound {
    /// A reader taking frames and messages of at most `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        Inbound { max, partial: None }
    }

    /// Hands every complete frame in `bytes` (and in what an earlier read left)
    /// to `on`, keeping a cut frame for the next read.
    pub(crate) fn feed(&mut self, bytes: &mut [u8], on: &mut impl FnMut(Event<'_>) -> Flow) -> Result<Fed, Broken> {
        match self.partial.as_mut().map(|p| std::mem::take(&mut p.unread)) {
            Some(mut unread) if !unread.is_empty() => {
                unread.extend_from_slice(bytes);
                self.read_unread(unread, on)
            }
            _ => {
                let (used, fed) = self.frames(bytes, on)?;
                if fed != Fed::Closed && used < bytes.len() {
                    self.partial_mut().unread = bytes[used..].to_vec();
                }
                self.tidy();
                Ok(fed)
            }
        }
    }

    /// Goes on after a [`Flow::Pause`], with what was left unread.
    pub(crate) fn resume(&mut self, on: &mut impl FnMut(Event<'_>) -> Flow) -> Result<Fed, Broken> {
        let unread = self
            .partial
            .as_mut()
            .map(|p| std::mem::take(&mut p.unread))
            .unwrap_or_default();
        self.read_unread(unread, on)
    }

    fn read_unread(&mut self, mut unread: Vec<u8>, on: &mut impl FnMut(Event<'_>) -> Flow) -> Result<Fed, Broken> {
        let (used, fed) = self.frames(&mut unread, on)?;
        if fed != Fed::Closed && used < unread.len() {
            unread.drain(..used);
            self.partial_mut().unread = unread;
        }
        self.tidy();
        Ok(fed)
    }

    /// Whether bytes are kept between reads (a cut frame or an unfinished message).
    #[cfg_attr(not(feature = "fuzzing"), allow(dead_code))]
    pub(crate) fn holds(&self) -> bool {
        self.partial.is_some()
    }

    fn partial_mut(&mut self) -> &mut Partial {
        self.partial.get_or_insert_with(Default::default)
    }

    /// Frees the partial state once it holds nothing.
    fn tidy(&mut self) {
        if self
            .partial
            .as_ref()
            .is_some_and(|p| p.unread.is_empty() && p.fragmented.is_none())
        {
            self.partial = None;
        }
    }

    /// The whole frames at the start of `buf`: how many bytes they took, and why it stopped.
    fn frames(&mut self, buf: &mut [u8], on: &mut impl FnMut(Event<'_>) -> Flow) -> Result<(usize, Fed), Broken> {
        let mut at = 0;
        while let Some(h) = header(&buf[at..], self.max)? {
            if buf.len() - at < h.len + h.payload {
                break;
            }
            let payload = &mut buf[at + h.len..at + h.len + h.payload];
            at += h.len + h.payload;
            unmask(payload, h.mask);
            let flow = match h.opcode {
                PING | PONG | CLOSE if !h.fin || payload.len() > MAX_CONTROL => {
                    return Err(broken(
                        CloseCode::ProtocolError,
                        "a control frame fragmented or over 125 bytes",
                    ));
                }
                PING => on(Event::Ping(payload)),
                PONG => on(Event::Pong),
                CLOSE => {
                    on(Event::Close(close_code(payload)?));
                    return Ok((at, Fed::Closed));
                }
                TEXT | BINARY => {
                    if self.partial.as_ref().is_some_and(|p| p.fragmented.is_some()) {
                        return Err(broken(
                            CloseCode::ProtocolError,
                            "a new message began before the fragmented one ended",
                        ));
                    }
                    let text = h.opcode == TEXT;
                    if h.fin {
                        on(Event::Message(checked(payload, text)?))
                    } else {
                        let p = self.partial_mut();
                        p.message = payload.to_vec();
                        p.fragmented = Some(text);
                        Flow::Continue
                    }
                }
                CONTINUATION => {
                    let max = self.max;
                    let Some(p) = self.partial.as_mut().filter(|p| p.fragmented.is_some()) else {
                        return Err(broken(
                            CloseCode::ProtocolError,
                            "a continuation frame without a message",
                        ));
                    };
                    if p.message.len() + payload.len() > max {
                        return Err(broken(CloseCode::TooBig, "the message is over the size limit"));
                    }
                    p.message.extend_from_slice(payload);
                    if h.fin {
                        let text = p.fragmented.take() == Some(true);
                        let message = std::mem::take(&mut p.message);
                        on(Event::Message(checked(&message, text)?))
                    } else {
                        Flow::Continue
                    }
                }
                _ => return Err(broken(CloseCode::ProtocolError, "an unknown opcode")),
            };
            if flow == Flow::Pause {
                return Ok((at, Fed::Paused));
            }
        }
        Ok((at, Fed::More))
    }
}

/// Reads a client frame's header; `None` until all of it has arrived.
fn header(buf: &[u8], max: usize) -> Result<Option<Header>, Broken> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    if b0 & 0x70 != 0 {
        return Err(broken(
            CloseCode::ProtocolError,
            "reserved bits set (no extension was agreed)",
        ));
    }
    if b1 & 0x80 == 0 {
        return Err(broken(CloseCode::ProtocolError, "an unmasked frame from a client"));
    }
    let (extra, payload) = match b1 & 0x7f {
        126 => match buf.get(2..4) {
            Some(n) => (2, u16::from_be_bytes([n[0], n[1]]) as u64),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(n) => (8, u64::from_be_bytes(n.try_into().unwrap_or_default())),
            None => return Ok(None),
        },
        n => (0, n as u64),
    };
    if payload > max as u64 {
        return Err(broken(CloseCode::TooBig, "the frame is over the size limit"));
    }
    let len = 2 + extra + 4;
    let Some(mask) = buf.get(len - 4..len) else {
        return Ok(None);
    };
    Ok(Some(Header {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        mask: [mask[0], mask[1], mask[2], mask[3]],
        len,
        payload: payload as usize,
    }))
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// A message's bytes, text ones checked to be UTF-8 (1007 otherwise).
fn checked(payload: &[u8], text: bool) -> Result<&[u8], Broken> {
    if text && std::str::from_utf8(payload).is_err() {
        return Err(broken(CloseCode::InvalidData, "a text message that is not UTF-8"));
    }
    Ok(payload)
}

/// The code of a close frame's payload (RFC 6455 section 7.4), checked.
fn close_code(payload: &[u8]) -> Result<Option<u16>, Broken> {
    match payload {
        [] => Ok(None),
        [_] => Err(broken(CloseCode::ProtocolError, "a close frame of one byte")),
        [a, b, reason @ ..] => {
            let code = u16::from_be_bytes([*a, *b]);
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                return Err(broken(CloseCode::ProtocolError, "a close code that may not be sent"));
            }
            checked(reason, true)?;
            Ok(Some(code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame.
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![(fin as u8) << 7 | opcode];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    #[derive(Debug, PartialEq)]
    enum Got {
        Message(Vec<u8>),
        Ping(Vec<u8>),
        Pong,
        Close(Option<u16>),
    }

    /// Feeds `bytes` in pieces of `step`, collecting the events.
    fn read(bytes: &[u8], step: usize) -> (Vec<Got>, Result<Fed, Broken>, Inbound) {
        let mut inbound = Inbound::new(1 << 20);
        let mut got = Vec::new();
        let mut last = Ok(Fed::More);
        for piece in bytes.chunks(step) {
            let mut piece = piece.to_vec();
            last = inbound.feed(&mut piece, &mut |e| {
                got.push(match e {
                    Event::Message(m) => Got::Message(m.to_vec()),
                    Event::Ping(p) => Got::Ping(p.to_vec()),
                    Event::Pong => Got::Pong,
                    Event::Close(c) => Got::Close(c),
                });
                Flow::Continue
            });
            if last != Ok(Fed::More) {
                break;
            }
        }
        (got, last, inbound)
    }

    #[test]
    fn frames_cut_anywhere_read_the_same_and_leave_nothing_held() {
        let bytes = [
            frame(true, TEXT, b"hello"),
            frame(true, PING, b"p"),
            frame(true, BINARY, &[0xff; 300]),
            frame(true, TEXT, &[b'a'; 70_000]),
            frame(false, TEXT, b"frag"),
            frame(true, PONG, b""),
            frame(true, CONTINUATION, b"mented"),
        ]
        .concat();
        for step in [1, 2, 3, 7, 100, 4096, bytes.len()] {
            let (got, fed, inbound) = read(&bytes, step);
            assert_eq!(fed, Ok(Fed::More), "step {step}");
            assert_eq!(
                got,
                [
                    Got::Message(b"hello".to_vec()),
                    Got::Ping(b"p".to_vec()),
                    Got::Message(vec![0xff; 300]),
                    Got::Message(vec![b'a'; 70_000]),
                    Got::Pong,
                    Got::Message(b"fragmented".to_vec()),
                ],
                "step {step}"
            );
            assert!(inbound.partial.is_none(), "step {step}: nothing held between frames");
        }
    }

    #[test]
    fn a_close_ends_the_reading_with_its_code() {
        let bytes = [
            frame(true, CLOSE, &[0x03, 0xe8, b'o', b'k']),
            frame(true, TEXT, b"after"),
        ]
        .concat();
        let (got, fed, _) = read(&bytes, bytes.len());
        assert_eq!(fed, Ok(Fed::Closed));
        assert_eq!(got, [Got::Close(Some(1000))]);
        assert_eq!(read(&frame(true, CLOSE, b""), 64).0, [Got::Close(None)]);
    }

    #[test]
    fn broken_frames_get_their_close_codes() {
        let code = |bytes: &[u8]| read(bytes, bytes.len()).1.unwrap_err().code;
        let mut rsv = frame(true, TEXT, b"x");
        rsv[0] |= 0x40;
        assert_eq!(code(&rsv), CloseCode::ProtocolError);
        let mut unmasked = frame(true, TEXT, b"x");
        unmasked[1] &= 0x7f;
        assert_eq!(code(&unmasked), CloseCode::ProtocolError);
        assert_eq!(code(&frame(true, 3, b"x")), CloseCode::ProtocolError);
        assert_eq!(code(&frame(true, PING, &[0; 126])), CloseCode::ProtocolError);
        assert_eq!(code(&frame(false, PING, b"")), CloseCode::ProtocolError);
        assert_eq!(code(&frame(true, CONTINUATION, b"x")), CloseCode::ProtocolError);
        let two = [frame(false, TEXT, b"a"), frame(true, TEXT, b"b")].concat();
        assert_eq!(code(&two), CloseCode::ProtocolError);
        assert_eq!(code(&frame(true, TEXT, b"\xff\xfe")), CloseCode::InvalidData);
        assert_eq!(code(&frame(true, CLOSE, &[3])), CloseCode::ProtocolError);
        assert_eq!(
            code(&frame(true, CLOSE, &[0x03, 0xed])),
            CloseCode::ProtocolError,
            "1005"
        );
        assert_eq!(code(&frame(true, CLOSE, &[0x03, 0xe8, 0xff])), CloseCode::InvalidData);
        let mut huge = vec![0x82, 0x80 | 127];
        huge.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert_eq!(code(&huge), CloseCode::TooBig, "refused from the header alone");
        let mut small = Inbound::new(10);
        let parts = [frame(false, BINARY, &[0; 6]), frame(true, CONTINUATION, &[0; 6])].concat();
        let r = small.feed(&mut parts.clone(), &mut |_| Flow::Continue);
        assert_eq!(
            r.unwrap_err().code,
            CloseCode::TooBig,
            "fragments over the limit together"
        );
    }

    #[test]
    fn a_pause_keeps_the_rest_for_resume() {
        let bytes = [
            frame(true, TEXT, b"one"),
            frame(true, TEXT, b"two"),
            frame(true, TEXT, b"thr"),
        ]
        .concat();
        let mut inbound = Inbound::new(1 << 20);
        let mut got = Vec::new();
        let cut = bytes.len() - 2;
        let mut first = bytes[..cut].to_vec();
        let mut on = |e: Event<'_>| {
            if let Event::Message(m) = e {
                got.push(m.to_vec());
            }
            if got.len() == 1 {
                Flow::Pause
            } else {
                Flow::Continue
            }
        };
        assert_eq!(inbound.feed(&mut first, &mut on), Ok(Fed::Paused));
        assert_eq!(inbound.resume(&mut on), Ok(Fed::More));
        assert_eq!(inbound.feed(&mut bytes[cut..].to_vec(), &mut on), Ok(Fed::More));
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec(), b"thr".to_vec()]);
        assert!(inbound.partial.is_none());
    }
}
