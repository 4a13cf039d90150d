//! Whatever `encode` and `encode_multipart` accept parses back to the same
//! fields and parts. Input: NUL-separated fields: command, then name/value
//! pairs, then the body (the last field); for multipart, each part's body is
//! a slice of that body.
#![no_main]

use lhttp_core::{encode, encode_multipart, encoded_len, parse, Header, Part, PartFields, EMPTY_HEADER};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == 0);
    let Some(Ok(command)) = fields.next().map(std::str::from_utf8) else {
        return;
    };
    let mut rest: Vec<&[u8]> = fields.collect();
    let body = rest.pop().unwrap_or_default();
    let mut headers = Vec::new();
    for pair in rest.chunks(2) {
        let (Ok(name), Ok(value)) = (
            std::str::from_utf8(pair[0]),
            std::str::from_utf8(pair.get(1).copied().unwrap_or_default()),
        ) else {
            return;
        };
        if name.eq_ignore_ascii_case("multipart") {
            return;
        }
        headers.push(Header { name, value });
    }

    let mut out = vec![0u8; encoded_len(command, &headers, body)];
    if encode(command, &headers, body, &mut out).is_ok() {
        let mut storage = vec![EMPTY_HEADER; headers.len()];
        let msg = parse(&out, &mut storage).expect("encoded message parses");
        assert_eq!((msg.command, msg.headers, msg.body), (command, &headers[..], body));
    }

    // Multipart: the headers split in halves as two parts' headers, the body in two.
    let (h1, h2) = headers.split_at(headers.len() / 2);
    let (b1, b2) = body.split_at(body.len() / 2);
    let parts = [
        PartFields { headers: h1, body: b1 },
        PartFields { headers: h2, body: b2 },
    ];
    let mut out = vec![0u8; 64 + data.len() * 2];
    let Ok(n) = encode_multipart(command, &[], &parts, &mut out) else {
        return;
    };
    let mut storage = [EMPTY_HEADER; 1];
    let msg = parse(&out[..n], &mut storage).expect("encoded multipart parses");
    let mut split = [Part::default(); 2];
    let split = msg.split_parts(&mut split).expect("encoded parts split");
    assert_eq!(split.len(), 2);
    for (p, want) in split.iter().zip(&parts) {
        let mut part_headers = vec![EMPTY_HEADER; want.headers.len()];
        let got = p.parse(msg.body, &mut part_headers).expect("encoded part parses");
        assert_eq!((got.headers, got.body), (want.headers, want.body));
    }
});
