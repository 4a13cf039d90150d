//! Any `multipart` offsets over any body: splitting checks every offset and
//! part, never panics nor slices out of range, and each part parses on its own.
//! Input: the offsets text, a NUL byte, then the body.
#![no_main]

use lhttp_core::{Offsets, Part, Parts, EMPTY_HEADER};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let Ok(offsets) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or_default();
    let mut storage = [Part::default(); 16];
    let Ok(parts) = Parts::new(body, Offsets::new(offsets)).collect_into(&mut storage) else {
        return;
    };
    let mut end = 0;
    for p in parts {
        assert_eq!(p.start, end, "parts are contiguous");
        assert!(p.start <= p.body_start && p.body_start <= p.start + p.len);
        end = p.start + p.len;
        let mut headers = [EMPTY_HEADER; 16];
        if let Ok(m) = p.parse(body, &mut headers) {
            assert_eq!(m.body, p.body(body));
        }
    }
    assert_eq!(end, body.len(), "parts cover the body");
});
