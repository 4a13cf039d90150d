//! The binding's own conversions, run as wasm in Node (`wasm-bindgen-test-runner`):
//! JavaScript values in, core's and the session's answers out, and every wrong
//! type or value a clear `Error` (with `code`) or `TypeError`. The same module's
//! behaviour under a real lhttpd is js-sdk's tests; these pin the layer between.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, ArrayBuffer, BigInt, Object, Reflect, Uint8Array};
use lhttp_wasm::{codec, position, presence, session, Session};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const CONNECTED: &str = "LHTTP/1.0 connected\r\nclient-id:n-1\r\nmax-channels:64\r\nmax-subscriptions:1024\r\n\r\n";

fn get(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).expect("a readable property")
}

fn code(err: &JsValue) -> String {
    get(err, "code").as_string().unwrap_or_default()
}

/// The error of a call that must fail.
fn refused<T>(result: Result<T, JsValue>, why: &str) -> JsValue {
    match result {
        Ok(_) => panic!("expected an error: {why}"),
        Err(e) => e,
    }
}

fn is_type_error(err: &JsValue) -> bool {
    err.is_instance_of::<js_sys::TypeError>()
}

fn pairs(list: &[(&str, &str)]) -> JsValue {
    list.iter()
        .map(|(n, v)| JsValue::from(Array::of2(&(*n).into(), &(*v).into())))
        .collect::<Array>()
        .into()
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (name, value) in fields {
        Reflect::set(&obj, &JsValue::from_str(name), value).expect("set");
    }
    obj.into()
}

#[wasm_bindgen_test]
fn parse_reads_a_string_bytes_and_an_array_buffer_alike() {
    let text = "LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi";
    let bytes = Uint8Array::from(text.as_bytes());
    let buffer: ArrayBuffer = bytes.buffer();
    for input in [JsValue::from_str(text), bytes.clone().into(), buffer.into()] {
        let msg = codec::parse(&input, None).expect("a valid message");
        assert_eq!(msg.command(), "chat");
        assert_eq!(msg.header("publish").as_deref(), Some("room"));
        assert_eq!(msg.text().as_deref(), Some("hi"));
    }
}

#[wasm_bindgen_test]
fn parse_errors_carry_core_names_and_wrong_types_are_type_errors() {
    let err = refused(codec::parse(&"HTTP/1.1 200 OK\r\n\r\n".into(), None), "not lhttp");
    assert_eq!(code(&err), "Version");
    assert!(!is_type_error(&err));
    let err = refused(
        codec::parse(&"LHTTP/1.0 a\r\nx:1\r\ny:2\r\n\r\n".into(), Some(1)),
        "too many",
    );
    assert_eq!(code(&err), "TooManyHeaders");
    let err = refused(codec::parse(&JsValue::from_f64(7.0), None), "a number is no message");
    assert!(is_type_error(&err));
}

#[wasm_bindgen_test]
fn encode_round_trips_and_refuses_what_would_not_parse_back() {
    let bytes = codec::encode("chat", &pairs(&[("publish", "room")]), &"hello".into()).expect("encodes");
    assert_eq!(bytes, b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhello");
    let err = refused(
        codec::encode("chat", &pairs(&[("x", "a\r\nb")]), &JsValue::UNDEFINED),
        "CRLF",
    );
    assert_eq!(code(&err), "HeaderValue");
    let err = refused(codec::encode("two words", &JsValue::NULL, &JsValue::NULL), "a space");
    assert_eq!(code(&err), "Command");
    // A header that is not a [name, value] pair of strings is the caller's type mistake.
    let bad = Array::of1(&Array::of1(&"only-a-name".into()));
    assert!(is_type_error(&refused(
        codec::encode("chat", &bad.into(), &JsValue::NULL),
        "bad pair"
    )));
}

#[wasm_bindgen_test]
fn encode_into_a_short_buffer_writes_nothing() {
    let mut out = [0u8; 8];
    let err = refused(
        codec::encode_into(&mut out, "chat", &JsValue::NULL, &"a long body".into()),
        "short",
    );
    assert_eq!(code(&err), "BufferTooSmall");
    assert_eq!(out, [0u8; 8]);
    let mut out = [0u8; 64];
    let n = codec::encode_into(&mut out, "chat", &JsValue::NULL, &"x".into()).expect("fits");
    assert_eq!(&out[..n as usize], b"LHTTP/1.0 chat\r\n\r\nx");
}

#[wasm_bindgen_test]
fn multipart_parts_come_back_as_they_went_in() {
    let parts: Array = [
        object(&[("headers", pairs(&[("name", "a")])), ("body", "one".into())]),
        object(&[("body", Uint8Array::from(&b"two"[..]).into())]),
    ]
    .into_iter()
    .collect();
    let bytes = codec::encode_multipart("upload", &JsValue::NULL, &parts.into()).expect("encodes");
    let msg = codec::parse(&Uint8Array::from(bytes.as_slice()).into(), None).expect("parses");
    let read = msg.parts(None, None).expect("splits");
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].header("name").as_deref(), Some("a"));
    assert_eq!(read[1].body(), b"two");
    let none: JsValue = Array::new().into();
    assert_eq!(
        code(&refused(
            codec::encode_multipart("upload", &JsValue::NULL, &none),
            "no parts"
        )),
        "PartOffset"
    );
}

#[wasm_bindgen_test]
fn channel_lists_refuse_names_that_would_read_back_differently() {
    assert_eq!(
        codec::channel_list(vec!["a".into(), "b".into()]).expect("two names"),
        "a b"
    );
    assert_eq!(code(&refused(codec::channel_list(vec![]), "empty")), "Channel");
    assert_eq!(
        code(&refused(codec::channel_list(vec!["a b".into()]), "a space")),
        "Channel"
    );
}

#[wasm_bindgen_test]
fn the_error_name_lists_are_core_s() {
    let names = codec::error_names();
    assert!(names.iter().any(|n| n == "HeaderName"));
    assert_eq!(names.len(), lhttp_core::Error::ALL.len());
    assert!(codec::server_error_names().iter().any(|n| n == "Forbidden"));
}

#[wasm_bindgen_test]
fn positions_are_exact_numbers_or_bigints_and_nothing_else() {
    let p = position::from_js(&object(&[("epoch", "e1".into()), ("offset", 41.0.into())])).expect("a number");
    assert_eq!(p.as_position().offset, 41);
    let big = BigInt::new(&JsValue::from_str("9007199254740993")).expect("bigint");
    let p = position::from_js(&object(&[("epoch", "e1".into()), ("offset", big.into())])).expect("a bigint");
    assert_eq!(p.as_position().offset, 9_007_199_254_740_993);
    for offset in [JsValue::from_f64(-1.0), JsValue::from_f64(1.5), "7".into()] {
        let err = refused(
            position::from_js(&object(&[("epoch", "e1".into()), ("offset", offset)])),
            "refused",
        );
        assert_eq!(code(&err), "Position");
    }
    // Out: an offset a JS number cannot hold exactly is refused, not rounded.
    let far = lhttp_core::position::Position::new("e1", 1 << 60).expect("a position");
    assert_eq!(code(&refused(position::to_js(far), "past 2^53")), "Position");
    let near = lhttp_core::position::Position::new("e1", (1 << 53) - 1).expect("a position");
    assert_eq!(
        get(&position::to_js(near).expect("fits"), "offset").as_f64(),
        Some(9_007_199_254_740_991.0)
    );
}

#[wasm_bindgen_test]
fn a_session_config_names_its_unknown_or_mistyped_key() {
    let err = refused(Session::new(&object(&[("reconect", true.into())])), "a typo");
    assert!(is_type_error(&err));
    assert!(get(&err, "message")
        .as_string()
        .unwrap_or_default()
        .contains("reconect"));
    let err = refused(Session::new(&object(&[("requestTimeout", (-5.0).into())])), "negative");
    assert!(get(&err, "message")
        .as_string()
        .unwrap_or_default()
        .contains("requestTimeout"));
    assert!(Session::new(&JsValue::UNDEFINED).is_ok());
}

/// A session opened on `n-1`.
fn open_session() -> Session {
    let mut s = Session::new(&object(&[("seed", 1.0.into())])).expect("a session");
    s.start(0.0);
    assert_eq!(get(&s.poll_transmit(), "type").as_string().as_deref(), Some("connect"));
    s.socket_opened(1.0);
    s.received(2.0, &CONNECTED.into()).expect("bytes");
    let opened = s.poll_event();
    assert_eq!(get(&opened, "type").as_string().as_deref(), Some("opened"));
    assert_eq!(get(&opened, "clientId").as_string().as_deref(), Some("n-1"));
    assert_eq!(get(&get(&opened, "limits"), "maxChannels").as_f64(), Some(64.0));
    assert!(get(&get(&opened, "limits"), "maxHeaders").is_null());
    s
}

#[wasm_bindgen_test]
fn a_session_speaks_in_plain_objects() {
    let mut s = open_session();
    let channels: JsValue = Array::of1(&"room".into()).into();
    let id = s.subscribe(10.0, &channels).expect("a request id");
    let frame = s.poll_transmit();
    assert_eq!(get(&frame, "type").as_string().as_deref(), Some("frame"));
    let text = get(&frame, "text").as_string().expect("a text frame");
    assert_eq!(
        text,
        format!("LHTTP/1.0 subscribe\r\nsubscribe:room\r\nid:{id}\r\n\r\n")
    );
    assert_eq!(
        get(&frame, "data").dyn_into::<Uint8Array>().expect("bytes").to_vec(),
        text.as_bytes()
    );
    s.received(11.0, &format!("LHTTP/1.0 ack\r\nid:{id}\r\n\r\n").into())
        .expect("bytes");
    let acked = s.poll_event();
    assert_eq!(get(&acked, "type").as_string().as_deref(), Some("acked"));
    assert_eq!(get(&acked, "id").as_f64(), Some(id));
    assert_eq!(s.subscriptions(), vec!["room".to_string()]);
    // A bad channel throws the session's error, and nothing is sent.
    let bad: JsValue = Array::of1(&"two words".into()).into();
    assert_eq!(code(&refused(s.subscribe(12.0, &bad), "bad name")), "Channel");
    assert!(s.poll_transmit().is_undefined());
    // A channel list that is not strings is a TypeError.
    let numbers: JsValue = Array::of1(&JsValue::from_f64(1.0)).into();
    assert!(is_type_error(&refused(s.subscribe(13.0, &numbers), "not strings")));
}

#[wasm_bindgen_test]
fn a_server_error_reaches_javascript_with_its_name_and_request() {
    let mut s = open_session();
    let channels: JsValue = Array::of1(&"room".into()).into();
    let id = s
        .publish(10.0, &channels, "chat", &JsValue::NULL, &"hi".into())
        .expect("a request id");
    let _ = s.poll_transmit();
    let reply = format!("LHTTP/1.0 error\r\nid:{id}\r\ncode:Forbidden\r\ncommand:chat\r\n\r\nnot yours");
    s.received(11.0, &reply.into()).expect("bytes");
    let failed = s.poll_event();
    assert_eq!(get(&failed, "type").as_string().as_deref(), Some("failed"));
    let err = get(&failed, "error");
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(code(&err), "Forbidden");
    assert_eq!(get(&err, "command").as_string().as_deref(), Some("chat"));
}

#[wasm_bindgen_test]
fn a_final_close_gives_up_with_the_close_code() {
    let mut s = open_session();
    s.socket_closed(20.0, Some(4001), Some("taken over".into()));
    let closed = s.poll_event();
    assert_eq!(get(&closed, "type").as_string().as_deref(), Some("closed"));
    assert_eq!(get(&closed, "code").as_f64(), Some(4001.0));
    let gave_up = s.poll_event();
    assert_eq!(get(&gave_up, "type").as_string().as_deref(), Some("gave_up"));
    assert_eq!(code(&get(&gave_up, "error")), "Closed");
    assert_eq!(get(&get(&gave_up, "error"), "closeCode").as_f64(), Some(4001.0));
    assert_eq!(
        get(&get(&gave_up, "asError"), "code").as_string().as_deref(),
        Some("Closed")
    );
    assert_eq!(s.state(), "ended");
}

#[wasm_bindgen_test]
fn connect_failures_must_be_named() {
    let mut s = Session::new(&JsValue::UNDEFINED).expect("a session");
    s.start(0.0);
    let _ = s.poll_transmit();
    let err = refused(
        s.connect_failed(1.0, &object(&[("name", "Nope".into())])),
        "unknown name",
    );
    assert!(is_type_error(&err));
    s.connect_failed(
        1.0,
        &object(&[
            ("name", "Connect".into()),
            ("status", 503.0.into()),
            ("reason", "busy".into()),
        ]),
    )
    .expect("a refused handshake");
    let failed = s.poll_event();
    assert_eq!(get(&failed, "type").as_string().as_deref(), Some("connect_failed"));
    assert_eq!(get(&get(&failed, "error"), "status").as_f64(), Some(503.0));
}

#[wasm_bindgen_test]
fn presence_answers_and_events_are_read_by_the_session() {
    let reply = codec::parse(
        &"LHTTP/1.0 ack\r\nid:1\r\nconnections:2\r\nusers:1\r\n\r\n[{\"client\":\"n-1\",\"uid\":\"ann\",\"info\":{\"name\":\"Ann\"}},{\"client\":\"n-2\",\"uid\":\"ann\"}]".into(),
        None,
    )
    .expect("parses");
    let answer = presence::read_presence(&reply).expect("reads");
    let members = get(&answer, "members").dyn_into::<Array>().expect("an array");
    assert_eq!(members.length(), 2);
    assert_eq!(get(&members.get(0), "uid").as_string().as_deref(), Some("ann"));
    assert_eq!(
        get(&get(&members.get(0), "info"), "name").as_string().as_deref(),
        Some("Ann")
    );
    assert_eq!(get(&get(&answer, "stats"), "connections").as_f64(), Some(2.0));
    assert_eq!(get(&answer, "capped").as_bool(), Some(false));
    let leave = codec::parse(
        &"LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-2\r\nuid:ann\r\nreason:disconnect\r\n\r\n".into(),
        None,
    )
    .expect("parses");
    let event = leave.presence_event().expect("reads");
    assert_eq!(get(&event, "kind").as_string().as_deref(), Some("leave"));
    assert_eq!(get(&event, "reason").as_string().as_deref(), Some("disconnect"));
    let chat = codec::parse(&"LHTTP/1.0 chat\r\n\r\nhi".into(), None).expect("parses");
    assert!(chat.presence_event().expect("not an event").is_null());
    let broken = codec::parse(&"LHTTP/1.0 ack\r\nid:1\r\n\r\n[{\"client\":".into(), None).expect("parses");
    assert!(presence::read_presence(&broken).is_err());
}

#[wasm_bindgen_test]
fn history_answers_keep_positions_exact() {
    let part = |offset: &str, body: &str| {
        object(&[
            ("headers", pairs(&[("command", "chat"), ("offset", offset)])),
            ("body", body.into()),
        ])
    };
    let parts: Array = [part("1", "a"), part("2", "b")].into_iter().collect();
    let bytes = codec::encode_multipart("ack", &pairs(&[("id", "3"), ("position", "room e1:2")]), &parts.into())
        .expect("encodes");
    let reply = codec::parse(&Uint8Array::from(bytes.as_slice()).into(), None).expect("parses");
    let answer = session::read_history(&reply).expect("reads");
    assert_eq!(get(&answer, "channel").as_string().as_deref(), Some("room"));
    assert_eq!(
        get(&get(&answer, "position"), "epoch").as_string().as_deref(),
        Some("e1")
    );
    assert_eq!(get(&get(&answer, "position"), "offset").as_f64(), Some(2.0));
    let publications = get(&answer, "publications").dyn_into::<Array>().expect("an array");
    assert_eq!(publications.length(), 2);
    // Each publication is a JS `Message`: read through its own getters and methods.
    let second = publications.get(1);
    assert_eq!(get(&second, "text").as_string().as_deref(), Some("b"));
    let header = get(&second, "header").dyn_into::<js_sys::Function>().expect("a method");
    assert_eq!(
        header
            .call1(&second, &"offset".into())
            .expect("call")
            .as_string()
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        header
            .call1(&second, &"epoch".into())
            .expect("call")
            .as_string()
            .as_deref(),
        Some("e1")
    );
    let bad = codec::parse(&"LHTTP/1.0 ack\r\nid:3\r\nposition:room nope\r\n\r\n".into(), None).expect("parses");
    assert_eq!(
        code(&refused(session::read_history(&bad), "a bad position")),
        "Position"
    );
}
