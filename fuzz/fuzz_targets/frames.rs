//! The server's WebSocket frame reader (server/src/inbound.rs) fed any bytes,
//! as one read and as reads cut anywhere: it never panics; cut reads give the
//! same events and the same end as one read; no message is over the limit; a
//! broken frame closes with 1002, 1007 or 1009; it holds bytes between reads
//! the same whichever way they were cut.
//!
//! Input: the first byte is how many cuts, the next bytes (one each) where they
//! fall as shares of the rest, which is what the client sent.
#![no_main]

use lhttp_server::fuzzing::read_frames;
use libfuzzer_sys::fuzz_target;

/// Small, so that fragments and lengths reach it.
const MAX: usize = 512;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n as usize % 8).min(rest.len());
    let (shares, bytes) = rest.split_at(n);
    let mut cuts: Vec<usize> = shares.iter().map(|&s| s as usize * bytes.len() / 255).collect();
    cuts.sort_unstable();

    let whole = read_frames(bytes, &[], MAX);
    let pieces = read_frames(bytes, &cuts, MAX);
    assert_eq!(
        (&whole.events, whole.end),
        (&pieces.events, pieces.end),
        "cut at {cuts:?}"
    );
    if whole.end == Ok(false) {
        // What is kept after a close or a broken frame does not matter: the connection ends.
        assert_eq!(whole.holds, pieces.holds, "cut at {cuts:?}");
    }
    for (kind, payload) in &whole.events {
        assert!(payload.len() <= MAX, "{kind} of {} bytes", payload.len());
        if *kind == "ping" {
            assert!(payload.len() <= 125);
        }
    }
    if let Err(code) = whole.end {
        assert!([1002, 1007, 1009].contains(&code), "closed with {code}");
    }
});
