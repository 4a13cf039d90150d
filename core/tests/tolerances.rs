//! One short table per tolerance decision of the protocol (see `spec/PROTOCOL.md`):
//! each row is an input and what the parser must make of it. The tables skip
//! rustfmt so each case stays on one line.

use lhttp_core::{parse, Error, Header, Part, EMPTY_HEADER};

/// What a row expects: the parsed fields, or an error.
enum Expect<'a> {
    /// Command, `(name, value)` headers in order, body.
    Parses(&'a str, &'a [(&'a str, &'a str)], &'a [u8]),
    /// The error the parser must return.
    Fails(Error),
}

use Expect::{Fails, Parses};

/// One case: what it shows, the input, the expected outcome.
type Row<'a> = (&'a str, &'a [u8], Expect<'a>);

/// Parses every row with room for 8 headers and compares.
fn table(rows: &[Row<'_>]) {
    for (what, input, expect) in rows {
        let mut storage = [EMPTY_HEADER; 8];
        let got = parse(input, &mut storage);
        match (expect, got) {
            (Parses(command, headers, body), Ok(msg)) => {
                let want: Vec<Header<'_>> = headers.iter().map(|&(name, value)| Header { name, value }).collect();
                assert_eq!(msg.command, *command, "{what}: command");
                assert_eq!(msg.headers, &want[..], "{what}: headers");
                assert_eq!(msg.body, *body, "{what}: body");
            }
            (Fails(want), Err(e)) => assert_eq!(e, *want, "{what}: error"),
            (Parses(..), Err(e)) => panic!("{what}: expected to parse, got {}", e.as_str()),
            (Fails(want), Ok(msg)) => panic!("{what}: expected {}, parsed {msg:?}", want.as_str()),
        }
    }
}

#[test]
#[rustfmt::skip]
fn optional_whitespace_around_values() {
    table(&[
        ("none", b"LHTTP/1.0 c\r\nk:v\r\n\r\n", Parses("c", &[("k", "v")], b"")),
        ("space after colon", b"LHTTP/1.0 c\r\nk: v\r\n\r\n", Parses("c", &[("k", "v")], b"")),
        ("tabs and spaces", b"LHTTP/1.0 c\r\nk:\t  v \t\r\n\r\n", Parses("c", &[("k", "v")], b"")),
        ("inner spaces kept", b"LHTTP/1.0 c\r\nk: a  b \r\n\r\n", Parses("c", &[("k", "a  b")], b"")),
        ("only whitespace is empty", b"LHTTP/1.0 c\r\nk: \t \r\n\r\n", Parses("c", &[("k", "")], b"")),
        ("empty value", b"LHTTP/1.0 c\r\nk:\r\n\r\n", Parses("c", &[("k", "")], b"")),
        ("space before colon", b"LHTTP/1.0 c\r\nk :v\r\n\r\n", Fails(Error::HeaderName)),
        ("leading whitespace", b"LHTTP/1.0 c\r\n k:v\r\n\r\n", Fails(Error::HeaderName)),
    ]);
}

#[test]
#[rustfmt::skip]
fn values_may_hold_colons() {
    table(&[
        ("url", b"LHTTP/1.0 c\r\nupstream:GET http://h:80/p\r\n\r\n", Parses("c", &[("upstream", "GET http://h:80/p")], b"")),
        ("split at the first colon", b"LHTTP/1.0 c\r\na::b:\r\n\r\n", Parses("c", &[("a", ":b:")], b"")),
        ("no colon", b"LHTTP/1.0 c\r\nnocolon\r\n\r\n", Fails(Error::HeaderName)),
        ("empty name", b"LHTTP/1.0 c\r\n:v\r\n\r\n", Fails(Error::HeaderName)),
    ]);
}

#[test]
#[rustfmt::skip]
fn body_is_everything_after_the_first_blank_line() {
    table(&[
        ("body holds a blank line", b"LHTTP/1.0 c\r\nk:v\r\n\r\na\r\n\r\nb", Parses("c", &[("k", "v")], b"a\r\n\r\nb")),
        ("body looks like headers", b"LHTTP/1.0 c\r\n\r\nk:v\r\n", Parses("c", &[], b"k:v\r\n")),
        ("body with a lone CR", b"LHTTP/1.0 c\r\n\r\na\rb", Parses("c", &[], b"a\rb")),
    ]);
}

#[test]
#[rustfmt::skip]
fn blank_line_may_be_left_out_when_there_is_no_body() {
    table(&[
        ("headers then end", b"LHTTP/1.0 c\r\nk:v\r\n", Parses("c", &[("k", "v")], b"")),
        ("last header unterminated", b"LHTTP/1.0 c\r\nk:v", Parses("c", &[("k", "v")], b"")),
        ("start line only", b"LHTTP/1.0 c\r\n", Parses("c", &[], b"")),
        ("start line unterminated", b"LHTTP/1.0 c", Parses("c", &[], b"")),
    ]);
}

#[test]
#[rustfmt::skip]
fn empty_body() {
    table(&[
        ("original subpub", b"LHTTP/1.0 subpub\r\nsubscribe:camera_123\r\n\r\n", Parses("subpub", &[("subscribe", "camera_123")], b"")),
        ("no headers", b"LHTTP/1.0 ping\r\n\r\n", Parses("ping", &[], b"")),
    ]);
}

#[test]
#[rustfmt::skip]
fn bare_line_feeds() {
    table(&[
        ("all bare", b"LHTTP/1.0 c\nk:v\n\nbody", Parses("c", &[("k", "v")], b"body")),
        ("mixed", b"LHTTP/1.0 c\r\nk:v\n\r\nbody", Parses("c", &[("k", "v")], b"body")),
        ("lone CR in start line", b"LHTTP/1.0 c\rk:v\r\n\r\n", Fails(Error::NewLine)),
        ("lone CR in header", b"LHTTP/1.0 c\r\nk:v\r\r\n\r\n", Fails(Error::NewLine)),
        ("CR at the very end", b"LHTTP/1.0 c\r\nk:v\r", Fails(Error::NewLine)),
    ]);
}

#[test]
#[rustfmt::skip]
fn bodies_are_bytes_but_names_and_values_are_text() {
    table(&[
        ("non-UTF-8 body", b"LHTTP/1.0 c\r\n\r\n\xff\xfe\x00\x01", Parses("c", &[], b"\xff\xfe\x00\x01")),
        ("UTF-8 value", "LHTTP/1.0 c\r\nk:caf\u{e9} \u{1f600}\r\n\r\n".as_bytes(), Parses("c", &[("k", "caf\u{e9} \u{1f600}")], b"")),
        ("tab inside value", b"LHTTP/1.0 c\r\nk:a\tb\r\n\r\n", Parses("c", &[("k", "a\tb")], b"")),
        ("non-UTF-8 value", b"LHTTP/1.0 c\r\nk:\xff\r\n\r\n", Fails(Error::HeaderValue)),
        ("NUL in value", b"LHTTP/1.0 c\r\nk:a\x00b\r\n\r\n", Fails(Error::HeaderValue)),
        ("DEL in value", b"LHTTP/1.0 c\r\nk:a\x7fb\r\n\r\n", Fails(Error::HeaderValue)),
        ("non-UTF-8 name", b"LHTTP/1.0 c\r\n\xff:v\r\n\r\n", Fails(Error::HeaderName)),
        ("non-ASCII name", "LHTTP/1.0 c\r\nX-\u{c9}:v\r\n\r\n".as_bytes(), Fails(Error::HeaderName)),
        ("non-UTF-8 command", b"LHTTP/1.0 \xff\r\n\r\n", Fails(Error::Command)),
    ]);
}

#[test]
#[rustfmt::skip]
fn versions() {
    table(&[
        ("LHTTP/1.0", b"LHTTP/1.0 c\r\n\r\n", Parses("c", &[], b"")),
        ("LHTTP/1.1", b"LHTTP/1.1 c\r\n\r\n", Fails(Error::Version)),
        ("HTTP/1.1", b"HTTP/1.1 GET\r\n\r\n", Fails(Error::Version)),
        ("lower case", b"lhttp/1.0 c\r\n\r\n", Fails(Error::Version)),
        ("no space", b"LHTTP/1.0c\r\n\r\n", Fails(Error::Version)),
        ("tab instead of space", b"LHTTP/1.0\tc\r\n\r\n", Fails(Error::Version)),
        ("leading space", b" LHTTP/1.0 c\r\n\r\n", Fails(Error::Version)),
        ("truncated", b"LHTTP/1", Fails(Error::Version)),
        ("empty input", b"", Fails(Error::Version)),
    ]);
}

#[test]
#[rustfmt::skip]
fn command_length_and_characters() {
    let longest = format!("LHTTP/1.0 {}\r\n\r\n", "a".repeat(64));
    let too_long = format!("LHTTP/1.0 {}\r\n\r\n", "a".repeat(65));
    table(&[
        ("version then end of line", b"LHTTP/1.0\r\n\r\n", Fails(Error::Command)),
        ("version then end of input", b"LHTTP/1.0", Fails(Error::Command)),
        ("empty command", b"LHTTP/1.0 \r\n\r\n", Fails(Error::Command)),
        ("64 bytes", longest.as_bytes(), Parses(&longest[10..74], &[], b"")),
        ("65 bytes", too_long.as_bytes(), Fails(Error::Command)),
        ("space inside", b"LHTTP/1.0 a b\r\n\r\n", Fails(Error::Command)),
        ("trailing space", b"LHTTP/1.0 chat \r\n\r\n", Fails(Error::Command)),
        ("tchar punctuation", b"LHTTP/1.0 a.b-c_d~e!\r\n\r\n", Parses("a.b-c_d~e!", &[], b"")),
        ("slash", b"LHTTP/1.0 a/b\r\n\r\n", Fails(Error::Command)),
    ]);
}

#[test]
#[rustfmt::skip]
fn duplicate_headers_are_kept_in_order() {
    table(&[
        ("original chat", b"LHTTP/1.0 chat\r\nsubscribe:chatroom\r\npublish:chatroom\r\n\r\nhello", Parses("chat", &[("subscribe", "chatroom"), ("publish", "chatroom")], b"hello")),
        ("same name thrice", b"LHTTP/1.0 c\r\nsubscribe:a\r\nSubscribe:b\r\nsubscribe:a\r\n\r\n", Parses("c", &[("subscribe", "a"), ("Subscribe", "b"), ("subscribe", "a")], b"")),
    ]);
    let mut storage = [EMPTY_HEADER; 8];
    let msg = parse(b"LHTTP/1.0 c\r\nsubscribe:a  b\r\nSUBSCRIBE:\tc\r\nsubscribe:\r\n\r\n", &mut storage).unwrap();
    assert_eq!(msg.header("subscribe"), Some("a  b"), "first value wins");
    assert_eq!(msg.header_values("subscribe").collect::<Vec<_>>(), ["a  b", "c", ""]);
    assert_eq!(msg.subscribe().collect::<Vec<_>>(), ["a", "b", "c"], "merged, empty entries skipped");
}

#[test]
fn header_storage_limit() {
    let input = b"LHTTP/1.0 c\r\na:1\r\nb:2\r\nc:3\r\n\r\n";
    for (n, expect) in [(2, Err(Error::TooManyHeaders)), (3, Ok(3)), (4, Ok(3))] {
        let mut storage = vec![EMPTY_HEADER; n];
        assert_eq!(
            parse(input, &mut storage).map(|m| m.headers.len()),
            expect,
            "storage for {n}"
        );
    }
    let mut none: [Header<'_>; 0] = [];
    assert_eq!(
        parse(b"LHTTP/1.0 c\r\n\r\nbody", &mut none).map(|m| m.body),
        Ok(&b"body"[..])
    );
}

#[test]
fn lookup_ignores_ascii_case_and_keeps_the_sent_case() {
    let mut storage = [EMPTY_HEADER; 8];
    let msg = parse(b"LHTTP/1.0 c\r\nContent-Type:text/plain\r\n\r\n", &mut storage).unwrap();
    for (name, want) in [
        ("Content-Type", Some("text/plain")),
        ("content-type", Some("text/plain")),
        ("CONTENT-TYPE", Some("text/plain")),
        ("content_type", None),
        ("content-typ", None),
        ("", None),
    ] {
        assert_eq!(msg.header(name), want, "lookup of {name:?}");
    }
    assert_eq!(msg.headers[0].name, "Content-Type", "case preserved");
}

/// Expected parts: each part's `(name, value)` headers and body.
type WantParts<'a> = Result<&'a [(&'a [(&'a str, &'a str)], &'a [u8])], Error>;

#[test]
#[rustfmt::skip]
fn multipart_offsets_and_parts() {
    // Parts at 0, 14 and 28; the body is 33 bytes.
    let body = b"k1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2\r\n\r\n\xff";
    let rows: &[(&str, &str, WantParts<'_>)] = &[
        ("seed example", "0 14", Ok(&[(&[("k1", "v1")], b"body1"), (&[("k2", "v2")], b"body2\r\n\r\n\xff")])),
        ("extra spaces", "  0   14 ", Ok(&[(&[("k1", "v1")], b"body1"), (&[("k2", "v2")], b"body2\r\n\r\n\xff")])),
        ("one part", "0", Ok(&[(&[("k1", "v1")], b"body1k2:v2\r\n\r\nbody2\r\n\r\n\xff")])),
        ("zero-header part", "0 14 28", Ok(&[(&[("k1", "v1")], b"body1"), (&[("k2", "v2")], b"body2"), (&[], b"\r\n\xff")])),
        ("no offsets", "", Err(Error::PartOffset)),
        ("not starting at 0", "14", Err(Error::PartOffset)),
        ("decreasing", "0 14 10", Err(Error::PartOffset)),
        ("repeated", "0 14 14", Err(Error::PartOffset)),
        ("beyond the body", "0 99", Err(Error::PartOffset)),
        ("at the body's end", "0 33", Err(Error::PartOffset)),
        ("not a number", "0 x", Err(Error::PartOffset)),
        ("sign", "0 +14", Err(Error::PartOffset)),
        ("overflow", "0 99999999999999999999999", Err(Error::PartOffset)),
        ("cut inside headers", "0 3", Err(Error::Part)),
    ];
    for (what, offsets, expect) in rows {
        let input = [format!("LHTTP/1.0 up\r\nmultipart:{offsets}\r\n\r\n").as_bytes(), body].concat();
        let mut storage = [EMPTY_HEADER; 4];
        let msg = parse(&input, &mut storage).unwrap();
        let mut parts = [Part::default(); 3];
        let got = msg.split_parts(&mut parts).map(|parts| parts.iter().map(|p| owned_part(p, msg.body)).collect::<Vec<_>>());
        let want = expect.map(|parts| parts.iter().map(|(h, b)| (h.to_vec(), b.to_vec())).collect::<Vec<_>>());
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn more_parts_than_storage() {
    let mut storage = [EMPTY_HEADER; 4];
    let msg = parse(b"LHTTP/1.0 up\r\nmultipart:0 3 6\r\n\r\n\r\na\r\nb\r\nc", &mut storage).unwrap();
    let mut two = [Part::default(); 2];
    assert_eq!(msg.split_parts(&mut two), Err(Error::TooManyParts));
    let mut three = [Part::default(); 3];
    assert_eq!(msg.split_parts(&mut three).map(<[Part]>::len), Ok(3));
}

/// A part's headers and body, read with `Part::parse`.
fn owned_part<'b>(p: &Part, body: &'b [u8]) -> (Vec<(&'b str, &'b str)>, Vec<u8>) {
    let mut headers = [EMPTY_HEADER; 4];
    let m = p.parse(body, &mut headers).unwrap();
    (m.headers.iter().map(|h| (h.name, h.value)).collect(), m.body.to_vec())
}
