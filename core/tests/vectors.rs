//! Runs the shared conformance vectors of `spec/vectors/*.json` against
//! `lhttp-core`, so the behaviour every SDK inherits is pinned as data
//! (format: `spec/vectors/README.md`). Every failing vector is reported by id.

use lhttp_core::{
    encode, encode_multipart, encoded_len, multipart_encoded_len, parse, Error, Header, Message, Part, PartFields,
    EMPTY_HEADER,
};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Header storage used when a vector gives no `max_headers` / `max_part_headers`.
const DEFAULT_HEADERS: usize = 32;
/// Part storage used when a vector gives no `max_parts`.
const DEFAULT_PARTS: usize = 32;
/// The fewest vectors the suite must hold.
const MIN_VECTORS: usize = 80;

type Vector = Map<String, Value>;
type Check = Result<(), String>;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors")
}

/// Every `*.json` file of the vectors folder, sorted, with its vectors.
fn load_all() -> Vec<(String, Vec<Vector>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("spec/vectors exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let vectors = json["vectors"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no \"vectors\" array"))
                .iter()
                .map(|v| {
                    v.as_object()
                        .unwrap_or_else(|| panic!("{name}: a vector is not an object"))
                        .clone()
                })
                .collect();
            (name, vectors)
        })
        .collect()
}

fn hex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex {s:?}: {e}")))
        .collect()
}

/// Bytes given as `<key>` (a string, its UTF-8) or `<key>_hex`; `None` when neither is present.
fn bytes_opt(v: &Vector, key: &str) -> Result<Option<Vec<u8>>, String> {
    if let Some(s) = v.get(key) {
        let s = s.as_str().ok_or(format!("{key} is not a string"))?;
        return Ok(Some(s.as_bytes().to_vec()));
    }
    match v.get(&format!("{key}_hex")) {
        Some(h) => hex(h.as_str().ok_or(format!("{key}_hex is not a string"))?).map(Some),
        None => Ok(None),
    }
}

fn bytes(v: &Vector, key: &str) -> Result<Vec<u8>, String> {
    bytes_opt(v, key)?.ok_or(format!("missing {key} or {key}_hex"))
}

fn string(v: &Vector, key: &str) -> Result<String, String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(format!("missing string {key}"))
}

fn size(v: &Vector, key: &str, default: usize) -> Result<usize, String> {
    match v.get(key) {
        None => Ok(default),
        Some(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(format!("{key} is not a size")),
    }
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or(format!("{what} is not an array"))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_owned)
                .ok_or(format!("{what} holds a non-string"))
        })
        .collect()
}

/// `[["name","value"], ...]` as owned pairs.
fn pairs(v: &Value, what: &str) -> Result<Vec<(String, String)>, String> {
    v.as_array()
        .ok_or(format!("{what} is not an array"))?
        .iter()
        .map(|p| match strings(p, what)?.as_slice() {
            [n, v] => Ok((n.clone(), v.clone())),
            _ => Err(format!("{what} entry is not [name, value]")),
        })
        .collect()
}

fn as_headers(pairs: &[(String, String)]) -> Vec<Header<'_>> {
    pairs.iter().map(|(name, value)| Header { name, value }).collect()
}

fn got_pairs(headers: &[Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect()
}

/// The expected error of a vector, checked to be a real error name.
fn expected_error(v: &Vector) -> Result<Option<Error>, String> {
    match v.get("error") {
        None => Ok(None),
        Some(e) => {
            let name = e.as_str().ok_or("error is not a string")?;
            Error::from_name(name)
                .map(Some)
                .ok_or(format!("unknown error name {name:?}"))
        }
    }
}

/// Compares bytes, showing them as text first for a readable failure.
fn compare_bytes(what: &str, got: &[u8], want: &[u8]) -> Check {
    compare(what, String::from_utf8_lossy(got), String::from_utf8_lossy(want))?;
    compare(what, got, want)
}

fn compare<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Check {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// Compares an outcome with the vector's `error`, returning the value on success.
fn outcome<T>(v: &Vector, got: Result<T, Error>) -> Result<Option<T>, String> {
    match (expected_error(v)?, got) {
        (Some(want), Err(e)) => compare("error", e.as_str(), want.as_str()).map(|_| None),
        (Some(want), Ok(_)) => Err(format!("succeeded, want error {}", want.as_str())),
        (None, Err(e)) => Err(format!("failed with {}", e.as_str())),
        (None, Ok(t)) => Ok(Some(t)),
    }
}

/// parse_valid.json and parse_invalid.json: one message, its fields or its error.
fn check_parse(v: &Vector) -> Check {
    let input = bytes(v, "input")?;
    let mut storage = vec![EMPTY_HEADER; size(v, "max_headers", DEFAULT_HEADERS)?];
    let Some(msg) = outcome(v, parse(&input, &mut storage))? else {
        return Ok(());
    };
    compare("command", msg.command.to_owned(), string(v, "command")?)?;
    compare("headers", got_pairs(msg.headers), pairs(&v["headers"], "headers")?)?;
    compare_bytes("body", msg.body, &bytes(v, "body")?)?;
    if let Some(lookups) = v.get("lookup") {
        for l in lookups.as_array().ok_or("lookup is not an array")? {
            let name = l[0].as_str().ok_or("lookup name is not a string")?;
            compare(&format!("header({name:?})"), msg.header(name), l[1].as_str())?;
        }
    }
    Ok(())
}

/// multipart.json: split the body of a message, then read every part.
fn check_multipart(v: &Vector) -> Check {
    let input = bytes(v, "input")?;
    let mut storage = vec![EMPTY_HEADER; size(v, "max_headers", DEFAULT_HEADERS)?];
    let mut part_storage = vec![Part::default(); size(v, "max_parts", DEFAULT_PARTS)?];
    let part_headers = size(v, "max_part_headers", DEFAULT_HEADERS)?;
    let got = parse(&input, &mut storage).and_then(|msg| {
        let parts = msg.split_parts(&mut part_storage)?;
        let mut read = Vec::new();
        for p in parts {
            let mut headers = vec![EMPTY_HEADER; part_headers];
            let pm = p.parse(msg.body, &mut headers)?;
            read.push((*p, got_pairs(pm.headers), pm.body.to_vec(), p.body(msg.body).to_vec()));
        }
        Ok(read)
    });
    let Some(read) = outcome(v, got)? else {
        return Ok(());
    };
    let want = v.get("parts").and_then(Value::as_array).ok_or("missing parts")?;
    compare("number of parts", read.len(), want.len())?;
    for (i, ((part, headers, body, body_by_offsets), w)) in read.into_iter().zip(want).enumerate() {
        let w = w.as_object().ok_or("a part is not an object")?;
        let want_part = Part {
            start: size(w, "start", usize::MAX)?,
            len: size(w, "len", usize::MAX)?,
            body_start: size(w, "body_start", usize::MAX)?,
        };
        compare(&format!("part {i}"), part, want_part)?;
        compare(
            &format!("part {i} headers"),
            headers,
            pairs(&w["headers"], "part headers")?,
        )?;
        let want_body = bytes(w, "body")?;
        compare_bytes(&format!("part {i} body"), &body, &want_body)?;
        compare_bytes(&format!("part {i} Part::body"), &body_by_offsets, &want_body)?;
    }
    Ok(())
}

/// encode.json: `encode`, or `encode_multipart` when `parts` is present.
fn check_encode(v: &Vector) -> Check {
    let command = string(v, "command")?;
    let header_pairs = pairs(v.get("headers").ok_or("missing headers")?, "headers")?;
    let headers = as_headers(&header_pairs);
    let (got, exact_len) = match v.get("parts") {
        None => {
            let body = bytes(v, "body")?;
            let exact = encoded_len(&command, &headers, &body);
            let mut out = vec![0u8; size(v, "buffer_len", exact)?];
            let got = encode(&command, &headers, &body, &mut out);
            (got.map(|n| (out, n)), exact)
        }
        Some(parts) => {
            let parts = parts.as_array().ok_or("parts is not an array")?;
            let mut owned = Vec::new();
            for p in parts {
                let p = p.as_object().ok_or("a part is not an object")?;
                owned.push((pairs(&p["headers"], "part headers")?, bytes(p, "body")?));
            }
            let part_headers: Vec<Vec<Header<'_>>> = owned.iter().map(|(h, _)| as_headers(h)).collect();
            let fields: Vec<PartFields<'_>> = owned
                .iter()
                .zip(&part_headers)
                .map(|((_, body), headers)| PartFields { headers, body })
                .collect();
            let exact = multipart_encoded_len(&command, &headers, &fields);
            let mut out = vec![0u8; size(v, "buffer_len", exact)?];
            let got = encode_multipart(&command, &headers, &fields, &mut out);
            (got.map(|n| (out, n)), exact)
        }
    };
    let Some((out, n)) = outcome(v, got)? else {
        return Ok(());
    };
    let want = bytes(v, "output")?;
    compare_bytes("output", &out[..n], &want)?;
    compare("encoded length", n, exact_len)?;
    // What is written parses back to the same message.
    let mut storage = vec![EMPTY_HEADER; header_pairs.len() + 1];
    let msg: Message<'_, '_> = parse(&out[..n], &mut storage).map_err(|e| format!("output does not parse: {e:?}"))?;
    compare("round-trip command", msg.command, command.as_str())?;
    compare(
        "round-trip headers",
        &got_pairs(msg.headers)[..header_pairs.len()],
        &header_pairs[..],
    )?;
    Ok(())
}

/// encode.json error vectors: a failed encode writes nothing.
fn check_encode_writes_nothing(v: &Vector) -> Check {
    if v.get("error").is_none() || v.get("parts").is_some() {
        return Ok(());
    }
    let command = string(v, "command")?;
    let header_pairs = pairs(&v["headers"], "headers")?;
    let headers = as_headers(&header_pairs);
    let body = bytes(v, "body")?;
    let exact = encoded_len(&command, &headers, &body);
    let mut out = vec![0u8; size(v, "buffer_len", exact)?];
    let _ = encode(&command, &headers, &body, &mut out);
    compare("bytes written on error", out.iter().filter(|&&b| b != 0).count(), 0)
}

/// channels.json: the channel lists and the upstream header of a message.
fn check_channels(v: &Vector) -> Check {
    let input = bytes(v, "input")?;
    let mut storage = vec![EMPTY_HEADER; size(v, "max_headers", DEFAULT_HEADERS)?];
    let msg = parse(&input, &mut storage).map_err(|e| format!("does not parse: {}", e.as_str()))?;
    let list = |key: &str| -> Result<Vec<String>, String> { v.get(key).map_or(Ok(Vec::new()), |l| strings(l, key)) };
    let owned = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_owned).collect::<Vec<_>>();
    compare("subscribe", owned(&mut msg.subscribe()), list("subscribe")?)?;
    compare("publish", owned(&mut msg.publish()), list("publish")?)?;
    compare("unsubscribe", owned(&mut msg.unsubscribe()), list("unsubscribe")?)?;
    let got = msg
        .upstream()
        .map(|r| r.map(|u| (u.method.to_owned(), u.url.to_owned())));
    match (v.get("upstream_error"), v.get("upstream")) {
        (Some(e), _) => {
            let want = e.as_str().ok_or("upstream_error is not a string")?;
            Error::from_name(want).ok_or(format!("unknown error name {want:?}"))?;
            compare("upstream", got.map(|r| r.map_err(Error::as_str)), Some(Err(want)))
        }
        (None, None | Some(Value::Null)) => compare("upstream", got, None),
        (None, Some(u)) => {
            let want = (
                u["method"].as_str().ok_or("upstream.method")?.to_owned(),
                u["url"].as_str().ok_or("upstream.url")?.to_owned(),
            );
            compare("upstream", got, Some(Ok(want)))
        }
    }
}

/// channel_lists.json: writing a channel-list value.
fn check_channel_list(v: &Vector) -> Check {
    let channels = strings(v.get("channels").ok_or("no channels")?, "channels")?;
    let mut out = vec![0u8; lhttp_core::channel::list_len(&channels)];
    let got = lhttp_core::channel::write_list(&channels, &mut out).map(|n| out[..n].to_vec());
    match outcome(v, got)? {
        None => Ok(()),
        Some(bytes_written) => compare_bytes("output", &bytes_written, &bytes(v, "output")?),
    }
}

/// replies.json: reading a server reply, and writing it back from its fields.
fn check_reply(v: &Vector) -> Check {
    use lhttp_core::reply::{Ack, Connected, ErrorReply, Limits, Reply};
    let input = bytes(v, "input")?;
    let mut storage = vec![EMPTY_HEADER; DEFAULT_HEADERS];
    let msg = parse(&input, &mut storage).map_err(|e| format!("does not parse: {}", e.as_str()))?;
    let want = v.get("reply").ok_or("no reply")?;
    let got = Reply::read(&msg);
    let text = |key: &str| want.get(key).and_then(Value::as_str);
    let number = |key: &str| want.get(key).and_then(Value::as_u64);
    let expected = match text("kind") {
        None => return compare("reply", got, None),
        Some("connected") => Reply::Connected(Connected {
            client_id: text("client_id"),
            limits: Limits {
                max_channels: number("max_channels").map(|n| n as u32),
                max_subscriptions: number("max_subscriptions").map(|n| n as u32),
                max_message_size: number("max_message_size"),
                max_headers: number("max_headers").map(|n| n as u32),
            },
        }),
        Some("ack") => Reply::Ack(Ack {
            id: text("id"),
            deliveries: number("deliveries"),
        }),
        Some("error") => Reply::Error(ErrorReply {
            code: text("code").ok_or("error without code")?,
            detail: text("detail").unwrap_or(""),
            command: text("command"),
            id: text("id"),
            channel: text("channel"),
        }),
        Some(other) => return Err(format!("unknown reply kind {other:?}")),
    };
    compare("reply", got, Some(expected))?;
    if let (Reply::Error(e), Some(known)) = (&expected, text("known")) {
        compare("known code", e.error_code().as_str(), known)?;
    }
    if v.get("write").and_then(Value::as_bool) == Some(false) {
        return Ok(());
    }
    let written = match expected {
        Reply::Connected(c) => c.to_vec(),
        Reply::Ack(a) => a.to_vec(),
        Reply::Error(e) => e.to_vec(),
    }
    .map_err(|e| format!("cannot write back: {}", e.as_str()))?;
    compare_bytes("written back", &written, &input)
}

/// positions.json: reading a position (or a channel and its position) and writing it
/// back, or writing one from its fields.
fn check_position(v: &Vector) -> Check {
    use lhttp_core::position::{self, Position};
    let with_channel = match v.get("form").and_then(Value::as_str) {
        Some("position") => false,
        Some("channel") => true,
        other => return Err(format!("unknown form {other:?}")),
    };
    // The text written, and the length the writer said it would write.
    let write = |channel: &str, p: &Position<'_>| -> Result<(String, usize), Error> {
        let mut out = [0u8; 128];
        let (n, len) = if with_channel {
            (
                position::write_channel(channel, p, &mut out)?,
                position::channel_len(channel, p),
            )
        } else {
            (p.write(&mut out)?, p.encoded_len())
        };
        Ok((String::from_utf8_lossy(&out[..n]).into_owned(), len))
    };
    let got = match (v.get("input"), v.get("write")) {
        (Some(input), None) => {
            let input = input.as_str().ok_or("input is not a string")?;
            let read = if with_channel {
                position::parse_channel(input)
            } else {
                Position::parse(input).map(|p| ("", p))
            };
            read.and_then(|(channel, p)| {
                let text = write(channel, &p)?;
                Ok((channel.to_owned(), p.epoch.to_owned(), p.offset.to_string(), text))
            })
        }
        (None, Some(fields)) => {
            let field = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("");
            let offset = field("offset").parse::<u64>().map_err(|e| format!("offset: {e}"))?;
            let p = Position {
                epoch: field("epoch"),
                offset,
            };
            write(field("channel"), &p).map(|text| {
                (
                    field("channel").to_owned(),
                    p.epoch.to_owned(),
                    p.offset.to_string(),
                    text,
                )
            })
        }
        _ => return Err("a position vector has input or write, not both".into()),
    };
    let Some((channel, epoch, offset, (text, len))) = outcome(v, got)? else {
        return Ok(());
    };
    compare("encoded length", text.len(), len)?;
    if v.get("input").is_some() {
        if with_channel {
            compare("channel", channel, string(v, "channel")?)?;
        }
        compare("epoch", epoch, string(v, "epoch")?)?;
        compare("offset", offset, string(v, "offset")?)?;
    }
    compare("output", text, string(v, "output")?)
}

/// The error names a vector expects, wherever it names one.
fn error_names(v: &Vector) -> impl Iterator<Item = &str> {
    ["error", "upstream_error"]
        .into_iter()
        .filter_map(|k| v.get(k).and_then(Value::as_str))
}

#[test]
fn conformance_vectors() {
    let files = load_all();
    let mut failures = Vec::new();
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut total = 0;
    for (file, vectors) in &files {
        for v in vectors {
            total += 1;
            let id = v.get("id").and_then(Value::as_str).unwrap_or("<no id>").to_owned();
            if !ids.insert(id.clone()) {
                failures.push(format!("{file} {id}: duplicate id"));
            }
            if v.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
                failures.push(format!("{file} {id}: no description"));
            }
            names.extend(error_names(v).map(str::to_owned));
            let result = match file.as_str() {
                "parse_valid.json" | "parse_invalid.json" => check_parse(v),
                "multipart.json" => check_multipart(v),
                "encode.json" => check_encode(v).and_then(|()| check_encode_writes_nothing(v)),
                "channels.json" => check_channels(v),
                "channel_lists.json" => check_channel_list(v),
                "replies.json" => check_reply(v),
                "positions.json" => check_position(v),
                other => Err(format!("no checker for {other}")),
            };
            if let Err(e) = result {
                failures.push(format!("{file} {id}: {e}"));
            }
        }
    }
    for e in Error::ALL {
        if !names.contains(e.as_str()) {
            failures.push(format!("no vector expects error {}", e.as_str()));
        }
    }
    if total < MIN_VECTORS {
        failures.push(format!("only {total} vectors, want at least {MIN_VECTORS}"));
    }
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
