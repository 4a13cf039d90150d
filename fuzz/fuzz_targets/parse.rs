//! Any bytes given to `parse` give a message or an error, never a panic; a
//! message's every view works, and re-encoding it parses back to the same fields.
//! Each input is tried as is and after `LHTTP/1.0 `.
#![no_main]

use lhttp_core::{parse, Part, EMPTY_HEADER};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check(data);
    // Also past the version check, which random bytes rarely pass.
    check(&[&b"LHTTP/1.0 "[..], data].concat());
});

fn check(data: &[u8]) {
    let mut headers = [EMPTY_HEADER; 8];
    let Ok(msg) = parse(data, &mut headers) else { return };
    for h in msg.headers {
        assert!(msg.header(h.name).is_some());
    }
    let _ = msg.subscribe().count() + msg.publish().count() + msg.unsubscribe().count();
    let _ = msg.upstream();
    let mut parts = [Part::default(); 8];
    if let Ok(parts) = msg.split_parts(&mut parts) {
        for p in parts {
            let mut part_headers = [EMPTY_HEADER; 8];
            if let Ok(m) = p.parse(msg.body, &mut part_headers) {
                assert_eq!(m.body, p.body(msg.body));
            }
        }
    }
    let mut out = vec![0u8; msg.encoded_len()];
    assert_eq!(msg.encode(&mut out), Ok(out.len()));
    let mut again = [EMPTY_HEADER; 8];
    assert_eq!(parse(&out, &mut again), Ok(msg));
}
