//! Proves the codec's promise that parsing, lookup, multipart splitting and
//! encoding never touch the heap: a counting global allocator wraps the system
//! one, and every operation runs between two reads of its counter.
//!
//! This binary has `harness = false` (see `core/Cargo.toml`), so no test-runner
//! thread can allocate while a measurement is in progress: `main` runs each
//! check in turn on the only thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use lhttp_core::{
    channel, encode, encode_multipart, encoded_len, multipart_encoded_len, parse, Error, Header, Offsets, Part,
    PartFields, Upstream, EMPTY_HEADER,
};

/// Every allocation (including `alloc_zeroed` and `realloc`) made by this process.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting each call that hands out memory.
struct Counting;

// SAFETY: every method forwards to `System` unchanged; counting has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A typical chat message as the original clients send it.
const CHAT: &[u8] = b"LHTTP/1.0 chat\r\nsubscribe:room1  room2\r\npublish:room1\r\nupstream:POST http://127.0.0.1:9000/record\r\nSubscribe:\troom3 \r\n\r\nhello, world";
/// The multipart example of the original project, with an extra `publish` header.
const MULTIPART: &[u8] =
    b"LHTTP/1.0 upload\r\npublish:files\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2";

/// Collects the checks that allocated, so one run reports all of them.
struct Checks {
    failures: Vec<(&'static str, usize)>,
    run: usize,
}

impl Checks {
    /// Runs `f` and records how many allocations happened while it ran.
    /// `f`'s inputs must be prepared beforehand and its result is kept from
    /// being optimised away.
    fn check<R>(&mut self, name: &'static str, f: impl FnOnce() -> R) {
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        let r = black_box(f());
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        drop(r);
        self.run += 1;
        if after != before {
            self.failures.push((name, after - before));
        }
    }
}

/// A fixed-size `fmt::Write` target on the stack, for `Display` without allocation.
struct StackText {
    buf: [u8; 128],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn main() {
    let mut checks = Checks {
        failures: Vec::new(),
        run: 0,
    };

    // The counter must see allocations at all, or every other check is vacuous.
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    black_box(vec![1u8; 16]);
    assert!(
        ALLOCATIONS.load(Ordering::SeqCst) > before,
        "the counting allocator is not installed"
    );

    parsing(&mut checks);
    lookups(&mut checks);
    multipart(&mut checks);
    encoding(&mut checks);
    errors(&mut checks);
    positions(&mut checks);

    if checks.failures.is_empty() {
        println!("no_alloc: {} checks, zero heap allocations", checks.run);
    } else {
        for (name, n) in &checks.failures {
            eprintln!("no_alloc: {name} allocated {n} time(s)");
        }
        panic!("{} of {} checks allocated", checks.failures.len(), checks.run);
    }
}

fn parsing(checks: &mut Checks) {
    let mut headers = [EMPTY_HEADER; 8];
    checks.check("parse chat message", || {
        parse(CHAT, &mut headers).map(|m| m.headers.len())
    });
    let mut headers = [EMPTY_HEADER; 8];
    checks.check("parse multipart message", || {
        parse(MULTIPART, &mut headers).map(|m| m.body.len())
    });
    let big = big_message();
    let mut headers = [EMPTY_HEADER; 8];
    checks.check("parse 4 KiB message", || {
        parse(&big, &mut headers).map(|m| m.body.len())
    });
    let mut headers = [EMPTY_HEADER; 8];
    checks.check("parse bare \\n and no blank line", || {
        parse(b"LHTTP/1.0 ping\nid:1\n", &mut headers).map(|m| m.headers.len())
    });
}

fn lookups(checks: &mut Checks) {
    let mut headers = [EMPTY_HEADER; 8];
    let msg = parse(CHAT, &mut headers).expect("CHAT parses");
    checks.check("header lookup", || msg.header("PUBLISH"));
    checks.check("missing header lookup", || msg.header("absent"));
    checks.check("header_values", || msg.header_values("subscribe").count());
    checks.check("body_str", || msg.body_str());
    checks.check("subscribe channels", || msg.subscribe().map(str::len).sum::<usize>());
    checks.check("publish channels", || msg.publish().count());
    checks.check("unsubscribe channels", || msg.unsubscribe().count());
    checks.check("channels by name", || msg.channels("Subscribe").last());
    checks.check("channel::split", || channel::split(" a  b\tc ").count());
    checks.check("upstream", || msg.upstream());
    checks.check("Upstream::parse", || Upstream::parse("GET  http://example.test/x"));
    checks.check("Upstream::parse error", || Upstream::parse("GET"));
}

fn multipart(checks: &mut Checks) {
    let mut headers = [EMPTY_HEADER; 8];
    let msg = parse(MULTIPART, &mut headers).expect("MULTIPART parses");
    checks.check("multipart offsets", || msg.multipart().map(|o| o.count()));
    checks.check("Offsets iteration", || Offsets::new("0  14\t99 x").count());
    checks.check("Parts iteration", || {
        msg.parts()
            .map(|p| p.filter_map(Result::ok).map(|p| p.len).sum::<usize>())
    });
    let mut storage = [Part::default(); 4];
    let mut part_headers = [EMPTY_HEADER; 4];
    checks.check("split_parts + Part::parse", || {
        let parts = msg.split_parts(&mut storage)?;
        let mut total = 0;
        for part in parts {
            let p = part.parse(msg.body, &mut part_headers)?;
            total += p.body.len() + p.header("K2").map_or(0, str::len);
            total += part.bytes(msg.body).len() + part.body(msg.body).len();
        }
        Ok::<usize, Error>(total)
    });
    let mut one = [Part::default(); 1];
    checks.check("split_parts TooManyParts", || {
        msg.split_parts(&mut one).map(<[Part]>::len)
    });
    let mut headers = [EMPTY_HEADER; 8];
    let bad = parse(
        b"LHTTP/1.0 upload\r\nmultipart:0 99\r\n\r\nk:v\r\n\r\nbody",
        &mut headers,
    )
    .expect("parses");
    let mut storage = [Part::default(); 4];
    checks.check("split_parts PartOffset", || {
        bad.split_parts(&mut storage).map(<[Part]>::len)
    });
}

fn encoding(checks: &mut Checks) {
    let headers = [
        Header {
            name: "subscribe",
            value: "room1 room2",
        },
        Header {
            name: "publish",
            value: "room1",
        },
        Header {
            name: "id",
            value: "42",
        },
    ];
    let mut out = [0u8; 256];
    checks.check("encoded_len", || encoded_len("chat", &headers, b"hello"));
    checks.check("encode", || encode("chat", &headers, b"hello", &mut out));
    let mut small = [0u8; 8];
    checks.check("encode BufferTooSmall", || {
        encode("chat", &headers, b"hello", &mut small)
    });

    let mut parsed_headers = [EMPTY_HEADER; 8];
    let msg = parse(CHAT, &mut parsed_headers).expect("CHAT parses");
    let mut out = [0u8; 256];
    checks.check("Message::encode", || msg.encode(&mut out));

    let h1 = [Header {
        name: "k1",
        value: "v1",
    }];
    let h2 = [Header {
        name: "k2",
        value: "v2",
    }];
    let parts = [
        PartFields {
            headers: &h1,
            body: b"body1",
        },
        PartFields {
            headers: &h2,
            body: b"body2",
        },
        PartFields {
            headers: &[],
            body: &[0xff; 40],
        },
    ];
    let mut out = [0u8; 256];
    checks.check("multipart_encoded_len", || {
        multipart_encoded_len("upload", &headers, &parts)
    });
    checks.check("encode_multipart", || {
        encode_multipart("upload", &headers, &parts, &mut out)
    });
}

fn errors(checks: &mut Checks) {
    let inputs: [&[u8]; 8] = [
        b"HTTP/1.1 GET\r\n\r\n",
        b"LHTTP/1.0\r\n",
        b"LHTTP/1.0 chat\rx",
        b"LHTTP/1.0 chat\r\nno colon\r\n\r\n",
        b"LHTTP/1.0 chat\r\nk:\x01\r\n\r\n",
        b"LHTTP/1.0 chat\r\na:1\r\nb:2\r\nc:3\r\n\r\n",
        b"LHTTP/1.0 chat\r\nk:\xff\r\n\r\n",
        b"",
    ];
    for input in inputs {
        let mut headers = [EMPTY_HEADER; 2];
        checks.check("parse error", || parse(input, &mut headers).map(|m| m.headers.len()));
    }
    checks.check("Error::as_str and from_name", || {
        Error::ALL
            .iter()
            .filter(|e| Error::from_name(e.as_str()) == Some(**e))
            .count()
    });
    let mut text = StackText { buf: [0; 128], len: 0 };
    checks.check("Error Display", || {
        write!(text, "{}", Error::PartOffset).map(|()| text.len)
    });
}

/// Reading and writing history positions, plain and channel-prefixed.
fn positions(checks: &mut Checks) {
    use lhttp_core::position::{self, Position};
    let plain = black_box("xK9-a:9223372036854775807");
    let prefixed = black_box("chat:room1 \txK9-a:42");
    let mut out = [0u8; 64];
    checks.check("Position::parse", || Position::parse(plain).map(|p| p.offset));
    checks.check("position::parse_channel", || {
        position::parse_channel(prefixed).map(|(c, p)| c.len() + p.epoch.len())
    });
    checks.check("Position::parse error", || Position::parse("e:-1").map(|p| p.offset));
    let p = Position {
        epoch: "xK9-a",
        offset: 42,
    };
    checks.check("Position::write", || p.write(&mut out));
    checks.check("position::write_channel", || {
        position::write_channel("room", &p, &mut out)
    });
    let mut text = StackText { buf: [0; 128], len: 0 };
    checks.check("Position Display", || write!(text, "{p}").map(|()| text.len));
}

/// A 4 KiB message: three headers and a body filling the rest.
fn big_message() -> Vec<u8> {
    let mut m = b"LHTTP/1.0 chat\r\npublish:room1\r\nid:42\r\ncontent-type:text/plain\r\n\r\n".to_vec();
    m.resize(4096, b'x');
    m
}
