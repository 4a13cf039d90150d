//! Property tests: encoding then parsing gives back the same fields for any
//! valid message (plain and multipart), `encoded_len` is exact, a one-byte-short
//! buffer is refused without a write, and no input bytes make the parser panic.

use lhttp_core::{
    encode, encode_multipart, encoded_len, multipart_encoded_len, names, parse, Error, Header, Offsets, Part,
    PartFields, Parts, Upstream, EMPTY_HEADER,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// A command or header name: 1 to 64 RFC 9110 `tchar` bytes.
fn token(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!#$%&'*+.^_`|~0-9A-Za-z-]{{1,{max}}}")).expect("valid regex")
}

/// A header value: no control characters (tab allowed inside), no surrounding
/// spaces or tabs, any other Unicode; possibly empty.
fn value() -> impl Strategy<Value = String> {
    proptest::string::string_regex("([^\\p{Cc} \t]([^\\p{Cc}]|\t){0,30}[^\\p{Cc} \t])?|[^\\p{Cc} \t]")
        .expect("valid regex")
}

/// Owned header fields, not named `multipart` (that name is the codec's for multipart messages).
fn headers(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    vec(
        (token(20), value()).prop_filter("multipart is reserved for the offsets", |(n, _)| {
            !n.eq_ignore_ascii_case(names::MULTIPART)
        }),
        0..max,
    )
}

fn borrowed(owned: &[(String, String)]) -> Vec<Header<'_>> {
    owned.iter().map(|(name, value)| Header { name, value }).collect()
}

fn owned(headers: &[Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect()
}

/// Owned fields of one part.
type OwnedPart = (Vec<(String, String)>, Vec<u8>);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_parse_gives_the_same_fields(
        command in token(64),
        fields in headers(10),
        body in vec(any::<u8>(), 0..200),
    ) {
        let hs = borrowed(&fields);
        let len = encoded_len(&command, &hs, &body);
        let mut out = vec![0u8; len];
        prop_assert_eq!(encode(&command, &hs, &body, &mut out), Ok(len));

        let mut storage = vec![EMPTY_HEADER; fields.len()];
        let msg = parse(&out, &mut storage).expect("encoded message parses");
        prop_assert_eq!(msg.command, command.as_str());
        prop_assert_eq!(owned(msg.headers), fields);
        prop_assert_eq!(msg.body, &body[..]);
    }

    #[test]
    fn encoded_len_is_exact_and_one_byte_short_writes_nothing(
        command in token(64),
        fields in headers(6),
        body in vec(any::<u8>(), 0..100),
    ) {
        let hs = borrowed(&fields);
        let len = encoded_len(&command, &hs, &body);
        // A larger buffer: the returned length is the length written, the rest untouched.
        let mut out = vec![0xAAu8; len + 8];
        prop_assert_eq!(encode(&command, &hs, &body, &mut out), Ok(len));
        prop_assert!(out[len..].iter().all(|&b| b == 0xAA));

        let mut short = vec![0xAAu8; len - 1];
        prop_assert_eq!(encode(&command, &hs, &body, &mut short), Err(Error::BufferTooSmall));
        prop_assert!(short.iter().all(|&b| b == 0xAA));
    }

    #[test]
    fn encode_multipart_then_split_gives_the_same_parts(
        command in token(64),
        fields in headers(4),
        parts in vec((headers(4), vec(any::<u8>(), 0..60)), 1..6),
    ) {
        let hs = borrowed(&fields);
        let part_headers: Vec<Vec<Header<'_>>> = parts.iter().map(|(h, _)| borrowed(h)).collect();
        let part_fields: Vec<PartFields<'_>> = parts
            .iter()
            .zip(&part_headers)
            .map(|((_, body), headers)| PartFields { headers, body })
            .collect();
        let len = multipart_encoded_len(&command, &hs, &part_fields);
        let mut out = vec![0xAAu8; len + 4];
        prop_assert_eq!(encode_multipart(&command, &hs, &part_fields, &mut out), Ok(len));
        prop_assert!(out[len..].iter().all(|&b| b == 0xAA));
        let mut short = vec![0xAAu8; len - 1];
        prop_assert_eq!(encode_multipart(&command, &hs, &part_fields, &mut short), Err(Error::BufferTooSmall));
        prop_assert!(short.iter().all(|&b| b == 0xAA));

        let mut storage = vec![EMPTY_HEADER; fields.len() + 1];
        let msg = parse(&out[..len], &mut storage).expect("encoded multipart message parses");
        prop_assert_eq!(msg.command, command.as_str());
        prop_assert_eq!(msg.headers[fields.len()].name, names::MULTIPART);
        prop_assert_eq!(owned(&msg.headers[..fields.len()]), fields);

        let mut split = vec![Part::default(); parts.len()];
        let split = msg.split_parts(&mut split).expect("encoded parts split");
        prop_assert_eq!(split.len(), parts.len());
        let mut got: Vec<OwnedPart> = Vec::new();
        for part in split {
            let mut part_storage = [EMPTY_HEADER; 4];
            let p = part.parse(msg.body, &mut part_storage).expect("encoded part parses");
            prop_assert_eq!(p.body, part.body(msg.body));
            got.push((owned(p.headers), p.body.to_vec()));
        }
        prop_assert_eq!(got, parts);
    }

    #[test]
    fn parse_never_panics(bytes in vec(any::<u8>(), 0..300), n in 0usize..6, versioned in any::<bool>()) {
        // With the version prefix, random bytes reach the command and header rules too.
        let bytes = if versioned { [&b"LHTTP/1.0 "[..], &bytes].concat() } else { bytes };
        let mut storage = vec![EMPTY_HEADER; n];
        if let Ok(msg) = parse(&bytes, &mut storage) {
            exercise(&msg);
        }
    }

    #[test]
    fn parse_never_panics_on_near_valid_input(
        headers in vec("[a-z:]{0,6}[ \t]?[ -~\r\n\t:]{0,12}", 0..6),
        body in vec(any::<u8>(), 0..60),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut bytes = format!("LHTTP/1.0 cmd{eol}").into_bytes();
        for h in &headers {
            bytes.extend_from_slice(h.as_bytes());
            bytes.extend_from_slice(eol.as_bytes());
        }
        bytes.extend_from_slice(eol.as_bytes());
        bytes.extend_from_slice(&body);
        let mut storage = [EMPTY_HEADER; 8];
        if let Ok(msg) = parse(&bytes, &mut storage) {
            exercise(&msg);
        }
    }

    #[test]
    fn multipart_never_panics(offsets in "[0-9 \t]{0,24}|[ -~]{0,24}", body in vec(any::<u8>(), 0..80)) {
        for part in Parts::new(&body, Offsets::new(&offsets)).take(32) {
            match part {
                Ok(p) => check_part(&p, &body),
                Err(e) => prop_assert!(matches!(
                    e,
                    Error::PartOffset | Error::Part | Error::NewLine | Error::HeaderName | Error::HeaderValue
                )),
            }
        }
        for offset in Offsets::new(&offsets).take(32) {
            let _ = offset;
        }
    }

    #[test]
    fn multipart_with_valid_offsets_never_panics(
        body in vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b':'), Just(b'k'), any::<u8>()], 1..80),
        cuts in vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let mut offsets: Vec<usize> = cuts.iter().map(|c| c.index(body.len())).collect();
        offsets.push(0);
        offsets.sort_unstable();
        offsets.dedup();
        let text = offsets.iter().map(usize::to_string).collect::<Vec<_>>().join(" ");
        let mut storage = [Part::default(); 8];
        if let Ok(parts) = Parts::new(&body, Offsets::new(&text)).collect_into(&mut storage) {
            prop_assert_eq!(parts.len(), offsets.len());
            for p in parts {
                check_part(p, &body);
            }
        }
    }

    #[test]
    fn upstream_never_panics(value in "[ -~\t]{0,40}|\\PC{0,40}") {
        if let Ok(u) = Upstream::parse(&value) {
            prop_assert!(!u.method.is_empty() && !u.url.is_empty());
            prop_assert!(!u.url.contains([' ', '\t']));
        }
    }
}

/// Walks every view of a parsed message; none of them may panic.
fn exercise(msg: &lhttp_core::Message<'_, '_>) {
    for h in msg.headers {
        assert!(msg.header(h.name).is_some());
    }
    let _ = msg.subscribe().count() + msg.publish().count() + msg.unsubscribe().count();
    let _ = msg.upstream();
    let _ = msg.multipart().map(Iterator::count);
    let mut storage = [Part::default(); 4];
    if let Ok(parts) = msg.split_parts(&mut storage) {
        for p in parts {
            check_part(p, msg.body);
        }
    }
    // Whatever parses re-encodes (values come back stripped, single-line) to the same fields.
    let mut out = vec![0u8; msg.encoded_len()];
    assert_eq!(msg.encode(&mut out), Ok(out.len()));
    let mut again = vec![EMPTY_HEADER; msg.headers.len()];
    assert_eq!(parse(&out, &mut again).as_ref(), Ok(msg));
}

/// A part from splitting lies within the body and parses on its own.
fn check_part(p: &Part, body: &[u8]) {
    assert!(p.start + p.len <= body.len());
    assert!(p.start <= p.body_start && p.body_start <= p.start + p.len);
    let mut headers = [EMPTY_HEADER; 8];
    match p.parse(body, &mut headers) {
        Ok(m) => assert_eq!(m.body, p.body(body)),
        Err(e) => assert_eq!(e, Error::TooManyHeaders),
    }
}
