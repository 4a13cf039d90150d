//! A hostile network against a live `lhttpd`, in raw TCP: random and mutated
//! WebSocket frames (reserved bits, unknown opcodes, unmasked and oversized
//! control frames, lying lengths, bad fragments, text that is not UTF-8),
//! mutated LHTTP messages, header and channel floods, slowloris upgrades and
//! a client that never reads. Every outcome is a documented error reply
//! (spec 8.3) or close code (9.7); after every batch a well-behaved client
//! still subscribes and receives, and the server has neither exited nor panicked.
use crate::common;
use common::*;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The close codes of spec 9.7, and 1005 (a close frame without a code) is not one.
const DOCUMENTED: [u16; 9] = [1000, 1001, 1002, 1007, 1008, 1009, 1013, 4001, 4002];

/// A small PRNG (xorshift), seeded per batch so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// lhttpd with small limits, its address, and its log (stderr, in a file).
struct Lhttpd {
    child: Child,
    addr: String,
    log: std::path::PathBuf,
}

impl Lhttpd {
    fn start() -> Lhttpd {
        let log = std::env::temp_dir().join(format!("lhttpd-hostile-{}.log", std::process::id()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
            .args(["--listen", "127.0.0.1:0", "--log", "info"])
            .args([
                "--max-message-size",
                "4096",
                "--max-headers",
                "16",
                "--max-channels",
                "8",
            ])
            .args(["--max-subscriptions", "16", "--max-queue-bytes", "65536"])
            .args(["--header-timeout", "1"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let addr = address(&mut child);
        Lhttpd { child, addr, log }
    }

    /// After a batch: alive, no panic in its log, and a well-behaved client still
    /// subscribes and receives what another publishes.
    async fn still_serves(&mut self, batch: &str) {
        assert!(self.child.try_wait().unwrap().is_none(), "lhttpd exited after {batch}");
        let mut log = String::new();
        std::fs::File::open(&self.log)
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        assert!(!log.contains("panicked"), "lhttpd panicked in {batch}:\n{log}");
        let url = format!("ws://{}/", self.addr);
        let mut reader = Client::connect_url(&url).await;
        reader.subscribe("healthy").await;
        let mut writer = Client::connect_url(&url).await;
        writer.request("chat", &[("publish", "healthy")], batch, "p").await;
        assert_eq!(reader.recv().await.text(), batch, "delivery after {batch}");
    }
}

impl Drop for Lhttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A TCP connection after a WebSocket upgrade, spoken to frame by frame.
struct Raw {
    tcp: TcpStream,
    /// Bytes read past what was parsed.
    buf: Vec<u8>,
}

/// What the server did with a connection, read until it ended.
#[derive(Debug, Default)]
struct Outcome {
    /// Each data message's payload.
    messages: Vec<Vec<u8>>,
    /// The close frame's code (`Some(None)`: a close frame without one).
    close: Option<Option<u16>>,
}

impl Raw {
    async fn upgrade(addr: &str) -> Raw {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tcp.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Raw { tcp, buf: Vec::new() };
        let head = loop {
            if let Some(end) = raw.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw.buf[..end]).into_owned();
                raw.buf.drain(..end + 4);
                break head;
            }
            assert!(raw.fill().await, "no upgrade answer");
        };
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let connected = raw.message().await.expect("connected");
        assert!(connected.starts_with(b"LHTTP/1.0 connected\r\n"));
        raw
    }

    /// Reads more; `false` at the end of the stream (or a reset).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        match tokio::time::timeout(WAIT, self.tcp.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Ok(_) => false,
            Err(_) => panic!("the server neither answered nor closed in time"),
        }
    }

    /// One frame from the server: (opcode, payload); `None` at the end. Checks
    /// that it is a valid server frame.
    async fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.buf.len() >= 2 {
                let (b0, b1) = (self.buf[0], self.buf[1]);
                assert_eq!(b0 & 0x70, 0, "reserved bits from the server");
                assert_eq!(b1 & 0x80, 0, "a masked frame from the server");
                let (len, start) = match b1 & 0x7f {
                    126 if self.buf.len() >= 4 => (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4),
                    127 if self.buf.len() >= 10 => {
                        (u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize, 10)
                    }
                    126 | 127 => (usize::MAX, 0),
                    n => (n as usize, 2),
                };
                if start > 0 && self.buf.len() >= start + len {
                    assert!(b0 & 0x80 != 0, "the server fragments nothing");
                    let payload = self.buf[start..start + len].to_vec();
                    self.buf.drain(..start + len);
                    return Some((b0 & 0x0f, payload));
                }
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next data message, skipping pings; `None` at a close or the end.
    async fn message(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.frame().await? {
                (1 | 2, p) => return Some(p),
                (9 | 10, _) => continue,
                (8, _) => return None,
                (op, _) => panic!("opcode {op} from the server"),
            }
        }
    }

    /// Everything until the server closes, then the connection's end.
    async fn outcome(&mut self) -> Outcome {
        let mut out = Outcome::default();
        while let Some((op, p)) = self.frame().await {
            match op {
                1 | 2 => out.messages.push(p),
                8 => {
                    out.close = Some((p.len() >= 2).then(|| u16::from_be_bytes([p[0], p[1]])));
                    // Answer the close as a client does; the server then ends the connection.
                    let _ = self.tcp.write_all(&frame(true, 0, 8, &p[..p.len().min(2)])).await;
                }
                _ => {}
            }
        }
        out
    }

    async fn send(&mut self, bytes: &[u8]) {
        // The server may have closed already: what it did is read next.
        let _ = self.tcp.write_all(bytes).await;
    }
}

/// A client frame: FIN, RSV bits, opcode, masked with a fixed key.
fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with_len(fin, rsv, opcode, payload, payload.len() as u64, true)
}

/// A frame whose header says `len` whatever the payload's length, masked or not.
fn frame_with_len(fin: bool, rsv: u8, opcode: u8, payload: &[u8], len: u64, masked: bool) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f)];
    let mask_bit = if masked { 0x80 } else { 0 };
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= 0xffff {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    let key = [0x37, 0xfa, 0x21, 0x3d];
    if masked {
        out.extend_from_slice(&key);
    }
    out.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| if masked { b ^ key[i % 4] } else { *b }),
    );
    out
}

/// Every error reply among `messages` names a documented error, every other
/// message is valid LHTTP; returns the error codes.
fn error_codes(messages: &[Vec<u8>]) -> Vec<String> {
    let mut codes = Vec::new();
    for m in messages {
        let mut headers = [lhttp_core::EMPTY_HEADER; 64];
        let msg = lhttp_core::parse(m, &mut headers)
            .unwrap_or_else(|e| panic!("the server sent {e:?}: {:?}", String::from_utf8_lossy(m)));
        if let Some(lhttp_core::reply::Reply::Error(e)) = lhttp_core::reply::Reply::read(&msg) {
            assert_ne!(
                e.error_code(),
                lhttp_core::reply::ErrorCode::Server(lhttp_core::ServerError::Unknown),
                "an undocumented error name {:?}",
                e.code
            );
            codes.push(e.code.to_string());
        }
    }
    codes
}

/// The close a broken frame gets: a documented code, after nothing but valid replies.
async fn closed_with(addr: &str, bytes: &[u8]) -> u16 {
    let mut raw = Raw::upgrade(addr).await;
    raw.send(bytes).await;
    let out = raw.outcome().await;
    error_codes(&out.messages);
    let code = out
        .close
        .flatten()
        .unwrap_or_else(|| panic!("no close code for {bytes:02x?}: {out:?}"));
    assert!(DOCUMENTED.contains(&code), "close {code} is not in spec 9.7");
    code
}

#[tokio::test]
async fn a_hostile_network_gets_documented_answers_and_the_server_serves_on() {
    let mut server = Lhttpd::start();
    let addr = server.addr.clone();
    let hello = b"LHTTP/1.0 chat\r\nid:1\r\n\r\nhi";

    // Frames that break RFC 6455: each closes its connection with its code.
    for rsv in 1..8 {
        assert_eq!(closed_with(&addr, &frame(true, rsv, 1, hello)).await, 1002, "rsv {rsv}");
    }
    for op in [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        assert_eq!(
            closed_with(&addr, &frame(true, 0, op, hello)).await,
            1002,
            "opcode {op}"
        );
    }
    let unmasked = frame_with_len(true, 0, 1, hello, hello.len() as u64, false);
    assert_eq!(closed_with(&addr, &unmasked).await, 1002, "unmasked");
    assert_eq!(
        closed_with(&addr, &frame(true, 0, 9, &[b'p'; 126])).await,
        1002,
        "ping of 126 bytes"
    );
    assert_eq!(
        closed_with(&addr, &frame(false, 0, 9, b"p")).await,
        1002,
        "fragmented ping"
    );
    assert_eq!(
        closed_with(&addr, &frame(true, 0, 0, hello)).await,
        1002,
        "continuation first"
    );
    let two_starts = [frame(false, 0, 1, b"LHTTP/1.0 "), frame(true, 0, 1, b"chat\r\n\r\n")].concat();
    assert_eq!(
        closed_with(&addr, &two_starts).await,
        1002,
        "a new message inside a fragmented one"
    );
    assert_eq!(
        closed_with(&addr, &frame(true, 0, 1, b"LHTTP/1.0 chat\r\n\r\n\xff\xfe")).await,
        1007,
        "text not UTF-8"
    );
    let huge = frame_with_len(true, 0, 2, b"LHTTP/1.0 chat", 1 << 40, true);
    assert_eq!(closed_with(&addr, &huge).await, 1009, "a length of 1 TiB");
    // A length that lies short: the rest reads as a frame header of garbage.
    let short = frame_with_len(true, 0, 1, b"LHTTP/1.0 chat\r\n\r\nlonger than said", 5, true);
    let code = closed_with(&addr, &short).await;
    assert!([1002, 1007, 1009].contains(&code), "lying short: {code}");
    server.still_serves("broken frames").await;

    // A valid fragmented message is one message; control frames may come between its fragments.
    let mut raw = Raw::upgrade(&addr).await;
    let parts = [
        frame(false, 0, 1, b"LHTTP/1.0 chat\r\n"),
        frame(true, 0, 9, b"ping between"),
        frame(true, 0, 0, b"id:frag\r\n\r\nbody"),
    ]
    .concat();
    raw.send(&parts).await;
    let ack = raw.message().await.expect("the ack");
    assert_eq!(ack, b"LHTTP/1.0 ack\r\nid:frag\r\n\r\n");
    drop(raw);

    // Random bytes and random frames after an upgrade.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..40 {
        let mut raw = Raw::upgrade(&addr).await;
        let bytes = if rng.below(2) == 0 {
            {
                let n = 1 + rng.below(300) as usize;
                rng.bytes(n)
            }
        } else {
            let n = rng.below(200) as usize;
            let payload = rng.bytes(n);
            let fin = rng.below(4) != 0;
            let (rsv, op) = (rng.below(8) as u8 * u8::from(rng.below(3) == 0), rng.below(16) as u8);
            frame(fin, rsv, op, &payload)
        };
        raw.send(&bytes).await;
        // Some of these wait for more bytes: end the connection from this side after a moment.
        let out = tokio::time::timeout(Duration::from_millis(300), raw.outcome()).await;
        if let Ok(out) = out {
            error_codes(&out.messages);
            if let Some(Some(code)) = out.close {
                assert!(DOCUMENTED.contains(&code), "close {code} after {bytes:02x?}");
            }
        }
    }
    server.still_serves("random frames").await;

    // Mutated LHTTP messages on one connection: each gets a valid reply and the
    // connection stays open (binary frames: any bytes are allowed).
    let seeds: [&[u8]; 4] = [
        b"LHTTP/1.0 chat\r\nsubscribe:a b\r\npublish:a\r\nid:1\r\n\r\nbody",
        b"LHTTP/1.0 upload\r\nmultipart:0 18\r\npublish:a\r\nid:2\r\n\r\ncontent-type:x\r\n\r\nAB\r\n\r\nCD",
        b"LHTTP/1.0 history\r\nhistory:a\r\nlimit:2\r\nsince:a e:1\r\nid:3\r\n\r\n",
        b"LHTTP/1.0 chat\r\nupstream:POST http://127.0.0.1:9/x\r\nid:4\r\n\r\n",
    ];
    let mut raw = Raw::upgrade(&addr).await;
    for i in 0..300u32 {
        let mut m = seeds[i as usize % seeds.len()].to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(m.len() as u64) as usize;
            match rng.below(3) {
                0 => m[at] = rng.next() as u8,
                1 => {
                    m.remove(at);
                }
                _ => m.insert(at, [b'\r', b'\n', b':', b' ', 0, 0xff][rng.below(6) as usize]),
            }
        }
        raw.send(&frame(true, 0, 2, &m)).await;
    }
    raw.send(&frame(true, 0, 2, b"LHTTP/1.0 chat\r\nid:last\r\n\r\n")).await;
    let mut replies = Vec::new();
    loop {
        let m = raw.message().await.expect("the connection stays open");
        let last = m.starts_with(b"LHTTP/1.0 ack\r\nid:last\r\n");
        replies.push(m);
        if last {
            break;
        }
    }
    let codes = error_codes(&replies);
    assert!(!codes.is_empty(), "mutations that break the format get error replies");
    drop(raw);
    server.still_serves("mutated messages").await;

    // Floods: headers, channels, subscriptions, and a message past the hard limit.
    let mut raw = Raw::upgrade(&addr).await;
    let headers: String = (0..500).map(|i| format!("h{i}:v\r\n")).collect();
    raw.send(&frame(
        true,
        0,
        1,
        format!("LHTTP/1.0 chat\r\n{headers}id:h\r\n\r\n").as_bytes(),
    ))
    .await;
    let channels: Vec<String> = (0..300).map(|i| format!("c{i}")).collect();
    let many = format!("LHTTP/1.0 chat\r\nsubscribe:{}\r\nid:c\r\n\r\n", channels.join(" "));
    raw.send(&frame(true, 0, 1, many.as_bytes())).await;
    for i in 0..20 {
        raw.send(&frame(
            true,
            0,
            1,
            format!("LHTTP/1.0 chat\r\nsubscribe:s{i}\r\nid:s{i}\r\n\r\n").as_bytes(),
        ))
        .await;
    }
    let mut got = Vec::new();
    for _ in 0..22 {
        got.push(raw.message().await.expect("a reply"));
    }
    let codes = error_codes(&got);
    assert_eq!(codes[..2], ["TooManyHeaders", "TooManyChannels"], "{codes:?}");
    assert_eq!(codes[2..], ["TooManySubscriptions"; 4], "16 of 20 subscribed");
    raw.send(&frame(true, 0, 1, &vec![b'x'; 20_000])).await;
    assert_eq!(raw.outcome().await.close, Some(Some(1009)), "past 4 x max-message-size");
    server.still_serves("floods").await;

    // Slowloris: upgrades that never finish their request head are closed
    // after the header timeout, while a well-behaved client is served.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut tcp = TcpStream::connect(&addr).await.unwrap();
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
            .await
            .unwrap();
        slow.push(tcp);
    }
    server.still_serves("slowloris, while it waits").await;
    for mut tcp in slow {
        let _ = tcp.write_all(b"X-Drip: 1\r\n").await;
        let mut rest = Vec::new();
        // Closed by the server (the header timeout): the read ends, without an upgrade.
        let read = tokio::time::timeout(WAIT, tcp.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "a slowloris connection was kept");
        assert!(!rest.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&rest));
    }
    server.still_serves("slowloris").await;

    // A client that never reads: cut as a slow consumer (1013), the others served.
    let mut never = Raw::upgrade(&addr).await;
    never
        .send(&frame(true, 0, 1, b"LHTTP/1.0 chat\r\nsubscribe:firehose\r\n\r\n"))
        .await;
    let mut publisher = Client::connect_url(&format!("ws://{addr}/")).await;
    let body = "z".repeat(3500);
    let mut cut = false;
    for i in 0..5000 {
        publisher
            .send(&format!("LHTTP/1.0 chat\r\npublish:firehose\r\n\r\n{body}"))
            .await;
        if i % 100 == 99 {
            let (_, metrics) = http(&addr, "GET", "/metrics", &[], "").await;
            if metrics.lines().any(|l| l == "lhttp_slow_consumers_total 1") {
                cut = true;
                break;
            }
        }
    }
    assert!(cut, "a client that never reads is cut");
    drop(never);
    server.still_serves("a client that never reads").await;
}
