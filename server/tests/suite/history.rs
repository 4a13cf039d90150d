//! Channel history and loss-free recovery on one node, memory backend
//! (spec/PROTOCOL.md, section 13), end to end with raw WebSocket clients: the
//! positions publications and acks carry, recovery that is exact or refused
//! whole, history reads, refusals that subscribe nothing, and the HTTP API.
use crate::common;
use common::*;
use lhttp_core::OwnedMessage;
use lhttp_server::{Config, Namespace};
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(300);

/// Every channel keeps history: `size` publications for `ttl_secs`, `recover_max`.
fn history(size: usize, ttl_secs: u64, recover_max: usize) -> Config {
    Config {
        namespace: Namespace {
            history_size: size,
            history_ttl: Duration::from_secs(ttl_secs),
            recover_max,
            ..Namespace::default()
        },
        ..Config::default()
    }
}

/// An epoch and an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pos {
    epoch: String,
    offset: u64,
}

impl Pos {
    fn since(&self, channel: &str) -> String {
        format!("{channel} {}:{}", self.epoch, self.offset)
    }
}

/// Every value of the headers called `name`.
fn all<'a>(m: &'a Msg, name: &str) -> Vec<&'a str> {
    m.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The `position` an ack gives `channel`.
fn position(ack: &Msg, channel: &str) -> Pos {
    let value = all(ack, "position")
        .into_iter()
        .find(|v| v.split(' ').next() == Some(channel))
        .unwrap_or_else(|| panic!("no position for {channel} in {ack:?}"));
    let (_, p) = lhttp_core::position::parse_channel(value).unwrap();
    Pos {
        epoch: p.epoch.into(),
        offset: p.offset,
    }
}

/// The position a publication carries (its `channel`, `offset`, `epoch`).
fn carried(m: &Msg) -> (String, Pos) {
    assert_eq!(all(m, "channel").len(), 1, "one channel header: {m:?}");
    let offset = m.header("offset").expect("offset").parse().unwrap();
    let epoch = m.header("epoch").expect("epoch").to_string();
    (m.header("channel").unwrap().to_string(), Pos { epoch, offset })
}

/// Sends a request with `id` and returns what came before its ack, and the ack.
async fn exchange(c: &mut Client, headers: &[(&str, &str)], id: &str) -> (Vec<Msg>, Msg) {
    let mut raw = "LHTTP/1.0 chat\r\n".to_string();
    for (n, v) in headers {
        raw.push_str(&format!("{n}:{v}\r\n"));
    }
    raw.push_str(&format!("id:{id}\r\n\r\n"));
    c.send(&raw).await;
    let mut before = Vec::new();
    loop {
        let m = c.recv().await;
        if m.header("id") == Some(id) && (m.command == "ack" || m.command == "error") {
            return (before, m);
        }
        before.push(m);
    }
}

/// Subscribes to `channels`, recovering from each `since`; returns the recovered
/// publications and the ack.
async fn resubscribe(c: &mut Client, channels: &str, since: &[String]) -> (Vec<Msg>, Msg) {
    let mut h = vec![("subscribe", channels)];
    h.extend(since.iter().map(|s| ("since", s.as_str())));
    let (before, ack) = exchange(c, &h, "resub").await;
    assert_eq!(ack.command, "ack", "{ack:?}");
    (before, ack)
}

/// Publishes `body` to `channels` and waits for the ack.
async fn publish(p: &mut Client, channels: &str, body: &str) -> Msg {
    p.request("chat", &[("publish", channels)], body, "pub").await
}

fn bodies(ms: &[Msg]) -> Vec<&str> {
    ms.iter().map(Msg::text).collect()
}

#[tokio::test]
async fn a_client_back_gets_exactly_what_it_missed_then_live_ones() {
    let s = start_with(history(100, 60, 300)).await;
    let mut p = Client::connect(&s).await;
    let mut a = Client::connect(&s).await;
    let (_, ack) = resubscribe(&mut a, "room", &[]).await;
    let start = position(&ack, "room");
    assert_eq!(start.offset, 0, "an empty stream is at 0");
    assert_eq!(
        all(&ack, "recovered").len() + all(&ack, "unrecovered").len(),
        0,
        "a first subscribe reports neither"
    );
    for i in 1..=5 {
        publish(&mut p, "room", &format!("m{i}")).await;
    }
    let mut last = start.clone();
    for i in 1..=5 {
        let m = a.recv().await;
        let (ch, pos) = carried(&m);
        assert_eq!(
            (ch.as_str(), pos.offset, m.text()),
            ("room", i, format!("m{i}").as_str())
        );
        assert_eq!(pos.epoch, start.epoch);
        last = pos;
    }
    drop(a);
    for i in 6..=8 {
        publish(&mut p, "room", &format!("m{i}")).await;
    }
    let mut b = Client::connect(&s).await;
    let (got, ack) = resubscribe(&mut b, "room", &[last.since("room")]).await;
    assert_eq!(bodies(&got), ["m6", "m7", "m8"]);
    let offsets: Vec<u64> = got.iter().map(|m| carried(m).1.offset).collect();
    assert_eq!(offsets, [6, 7, 8]);
    assert_eq!(ack.header("recovered"), Some("room"));
    assert_eq!(ack.header("unrecovered"), None);
    assert_eq!(position(&ack, "room").offset, 8);
    publish(&mut p, "room", "m9").await;
    assert_eq!(carried(&b.recv().await).1.offset, 9, "live after the recovered ones");
    drop(b);
    // Back twice with no traffic: nothing repeated.
    let at = Pos {
        offset: 9,
        ..start.clone()
    };
    for _ in 0..2 {
        let mut c = Client::connect(&s).await;
        let (got, ack) = resubscribe(&mut c, "room", &[at.since("room")]).await;
        assert!(got.is_empty(), "{got:?}");
        assert_eq!(ack.header("recovered"), Some("room"));
        assert!(c.try_recv(QUIET).await.is_none());
    }
    s.stop().await;
}

#[tokio::test]
async fn recovery_is_refused_whole_when_history_cannot_cover_the_gap() {
    // Size 3; recover_max 4.
    let s = start_with(history(3, 60, 4)).await;
    let mut p = Client::connect(&s).await;
    let mut c = Client::connect(&s).await;
    let (_, ack) = resubscribe(&mut c, "room", &[]).await;
    let start = position(&ack, "room");
    for i in 1..=5 {
        publish(&mut p, "room", &i.to_string()).await;
    }
    let cases = [
        // More than history_size while away: offset 1 was trimmed.
        (start.since("room"), false),
        // Another epoch.
        (format!("room other-epoch:{}", 4), false),
        // Beyond the top.
        (format!("room {}:9", start.epoch), false),
        // Within the ring and recover_max.
        (format!("room {}:3", start.epoch), true),
    ];
    let mut back = Vec::new();
    for (since, ok) in cases {
        let mut c = Client::connect(&s).await;
        let (got, ack) = resubscribe(&mut c, "room", std::slice::from_ref(&since)).await;
        if ok {
            assert_eq!(bodies(&got), ["4", "5"], "{since}");
            assert_eq!(ack.header("recovered"), Some("room"));
        } else {
            assert!(got.is_empty(), "{since}: nothing old, got {got:?}");
            assert_eq!(ack.header("unrecovered"), Some("room"), "{since}");
            assert_eq!(ack.header("recovered"), None);
        }
        assert_eq!(position(&ack, "room").offset, 5, "the position either way");
        back.push(c);
        assert_eq!(
            s.handle.subscriber_count("room"),
            1 + back.len(),
            "subscribed either way"
        );
    }
    publish(&mut p, "room", "live").await;
    for c in &mut back {
        assert_eq!(c.recv().await.text(), "live");
    }
    s.stop().await;
}

#[tokio::test]
async fn a_gap_over_recover_max_is_unrecovered() {
    let s = start_with(history(100, 60, 2)).await;
    let mut p = Client::connect(&s).await;
    let mut c = Client::connect(&s).await;
    let (_, ack) = resubscribe(&mut c, "room", &[]).await;
    let start = position(&ack, "room");
    for i in 1..=3 {
        publish(&mut p, "room", &i.to_string()).await;
    }
    let mut c = Client::connect(&s).await;
    let (got, ack) = resubscribe(&mut c, "room", &[start.since("room")]).await;
    assert!(got.is_empty());
    assert_eq!(ack.header("unrecovered"), Some("room"));
    let one = Pos { offset: 1, ..start };
    let (got, ack) = resubscribe(&mut Client::connect(&s).await, "room", &[one.since("room")]).await;
    assert_eq!(bodies(&got), ["2", "3"], "two is within recover_max");
    assert_eq!(ack.header("recovered"), Some("room"));
    s.stop().await;
}

#[tokio::test]
async fn a_restarted_server_has_a_new_epoch_and_recovers_nothing_old() {
    let s = start_with(history(100, 60, 300)).await;
    let mut p = Client::connect(&s).await;
    publish(&mut p, "room", "before").await;
    let (_, ack) = resubscribe(&mut Client::connect(&s).await, "room", &[]).await;
    let before = position(&ack, "room");
    assert_eq!(before.offset, 1);
    s.stop().await;
    let s = start_with(history(100, 60, 300)).await;
    let mut c = Client::connect(&s).await;
    let (got, ack) = resubscribe(&mut c, "room", &[before.since("room")]).await;
    assert!(got.is_empty());
    assert_eq!(ack.header("unrecovered"), Some("room"));
    let after = position(&ack, "room");
    assert_ne!(after.epoch, before.epoch);
    assert_eq!(after.offset, 0);
    s.stop().await;
}

#[tokio::test]
async fn a_publish_to_two_history_channels_is_an_entry_in_each_and_both_recover() {
    // `h` keeps history, the default namespace does not.
    let mut config = Config::default();
    config.namespaces.insert(
        "h".into(),
        Namespace {
            history_size: 100,
            history_ttl: Duration::from_secs(60),
            recover_max: 300,
            ..Namespace::default()
        },
    );
    let s = start_with(config).await;
    let mut p = Client::connect(&s).await;
    let mut c = Client::connect(&s).await;
    let (_, ack) = resubscribe(&mut c, "h:a h:b plain1 plain2", &[]).await;
    assert_eq!(
        all(&ack, "position").len(),
        2,
        "only the channels with history: {ack:?}"
    );
    let (a0, b0) = (position(&ack, "h:a"), position(&ack, "h:b"));
    let ack = publish(&mut p, "h:a h:b plain1 plain2", "x").await;
    assert_eq!(
        ack.header("deliveries"),
        Some("3"),
        "an entry per history channel, once for the rest"
    );
    let mut got: Vec<(String, u64)> = Vec::new();
    let mut plain = 0;
    for _ in 0..3 {
        let m = c.recv().await;
        if m.header("channel").is_some() {
            let (ch, pos) = carried(&m);
            got.push((ch, pos.offset));
        } else {
            assert_eq!(m.header("offset"), None);
            plain += 1;
        }
    }
    got.sort();
    assert_eq!(got, [("h:a".to_string(), 1), ("h:b".to_string(), 1)]);
    assert_eq!(plain, 1);
    assert!(c.try_recv(QUIET).await.is_none(), "nothing more");
    drop(c);
    publish(&mut p, "h:a h:b", "y").await;
    publish(&mut p, "h:b", "z").await;
    let mut c = Client::connect(&s).await;
    let a1 = Pos { offset: 1, ..a0 };
    let b1 = Pos { offset: 1, ..b0 };
    let (got, ack) = resubscribe(&mut c, "h:a h:b", &[a1.since("h:a"), b1.since("h:b")]).await;
    let mut seen: Vec<(String, u64, &str)> = got
        .iter()
        .map(|m| {
            let (ch, pos) = carried(m);
            (ch, pos.offset, m.text())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("h:a".to_string(), 2, "y"),
            ("h:b".to_string(), 2, "y"),
            ("h:b".to_string(), 3, "z")
        ]
    );
    assert_eq!(ack.header("recovered"), Some("h:a h:b"));
    s.stop().await;
}

#[tokio::test]
async fn a_recovery_during_a_flood_loses_and_repeats_nothing() {
    const N: u64 = 2000;
    let mut config = history(10_000, 60, 10_000);
    config.limits.max_queue = 50_000;
    let s = start_with(config).await;
    let mut c = Client::connect(&s).await;
    let (_, ack) = resubscribe(&mut c, "room", &[]).await;
    let start = position(&ack, "room");
    let mut p = Client::connect(&s).await;
    let flood = tokio::spawn(async move {
        for i in 1..=N {
            p.send(&format!("LHTTP/1.0 chat\r\npublish:room\r\n\r\n{i}")).await;
            if i % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        p
    });
    let mut last = 0;
    while last < 100 {
        last = carried(&c.recv().await).1.offset;
    }
    drop(c);
    let at = Pos { offset: last, ..start };
    let mut c = Client::connect(&s).await;
    let (got, ack) = resubscribe(&mut c, "room", &[at.since("room")]).await;
    assert_eq!(ack.header("recovered"), Some("room"));
    let mut offsets: Vec<u64> = got.iter().map(|m| carried(m).1.offset).collect();
    while offsets.last().copied().unwrap_or(last) < N {
        offsets.push(carried(&c.recv().await).1.offset);
    }
    let want: Vec<u64> = (last + 1..=N).collect();
    assert_eq!(offsets, want, "contiguous: nothing lost, nothing repeated");
    assert!(c.try_recv(QUIET).await.is_none());
    flood.await.unwrap();
    s.stop().await;
}

/// The ack of a history read, as every SDK reads it (lhttp-session).
fn read_history(ack: &Msg) -> lhttp_session::History {
    let mut m = OwnedMessage::new(ack.command.clone()).with_body(ack.body.clone());
    for (n, v) in &ack.headers {
        m = m.with_header(n.clone(), v.clone());
    }
    lhttp_session::History::read(&m).unwrap()
}

#[tokio::test]
async fn history_reads_with_limit_since_and_reverse() {
    let mut config = history(100, 60, 3);
    config.namespaces.insert("off".into(), Namespace::default());
    let s = start_with(config).await;
    let mut p = Client::connect(&s).await;
    for i in 1..=5 {
        p.request(
            "chat",
            &[("publish", "room"), ("x-n", &i.to_string())],
            &format!("m{i}"),
            "p",
        )
        .await;
    }
    let read = |h: &lhttp_session::History| {
        h.publications
            .iter()
            .map(|m| {
                (
                    m.header("offset").unwrap().to_string(),
                    m.body_text().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let pairs = |v: &[(u64, &str)]| {
        v.iter()
            .map(|(o, b)| (o.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    let ack = p
        .request("chat", &[("history", "room"), ("limit", "2")], "", "h1")
        .await;
    let h = read_history(&ack);
    assert_eq!(read(&h), pairs(&[(1, "m1"), (2, "m2")]));
    assert_eq!(h.position.offset, 5);
    let first = &h.publications[0];
    assert_eq!(first.command(), "chat");
    assert_eq!(first.header("x-n"), Some("1"), "the publication's own headers");
    assert_eq!(first.header("channel"), Some("room"));
    let epoch = h.position.epoch.clone();
    let ack = p
        .request(
            "chat",
            &[("history", "room"), ("reverse", "true"), ("limit", "2")],
            "",
            "h2",
        )
        .await;
    assert_eq!(read(&read_history(&ack)), pairs(&[(5, "m5"), (4, "m4")]));
    let since = format!("{epoch}:3");
    let ack = p
        .request("chat", &[("history", "room"), ("since", &since)], "", "h3")
        .await;
    assert_eq!(read(&read_history(&ack)), pairs(&[(4, "m4"), (5, "m5")]));
    // The default limit and its cap are recover_max (3).
    let ack = p
        .request("chat", &[("history", "room"), ("limit", "50")], "", "h4")
        .await;
    assert_eq!(read_history(&ack).publications.len(), 3);
    let ack = p.request("chat", &[("history", "room")], "", "h5").await;
    assert_eq!(read_history(&ack).publications.len(), 3);
    // Another epoch: nothing, and the current position.
    let ack = p
        .request("chat", &[("history", "room"), ("since", "old:1")], "", "h6")
        .await;
    let h = read_history(&ack);
    assert!(h.publications.is_empty());
    assert_eq!(h.position.epoch, epoch);
    // An empty history: no multipart, no body.
    let ack = p.request("chat", &[("history", "empty")], "", "h7").await;
    assert_eq!(ack.header("multipart"), None);
    assert!(ack.body.is_empty());
    assert_eq!(position(&ack, "empty").offset, 0);
    // A channel without history.
    let (_, err) = exchange(&mut p, &[("history", "off:room")], "h8").await;
    assert_eq!(err.header("code"), Some("NoHistory"));
    for (h, code) in [
        (("limit", "many"), "BadRequest"),
        (("since", "nope"), "Position"),
        (("reverse", "yes"), "BadRequest"),
    ] {
        let (_, err) = exchange(&mut p, &[("history", "room"), h], "bad").await;
        assert_eq!(
            (err.command.as_str(), err.header("code")),
            ("error", Some(code)),
            "{h:?}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn bad_since_headers_are_refused_and_nothing_is_subscribed() {
    let s = start_with(history(100, 60, 300)).await;
    let mut c = Client::connect(&s).await;
    for (headers, code) in [
        (vec![("subscribe", "a"), ("since", "b E:1")], "BadRequest"),
        (
            vec![("subscribe", "a b"), ("since", "a E:1"), ("since", "a E:2")],
            "BadRequest",
        ),
        (vec![("subscribe", "a b"), ("since", "a E")], "Position"),
        (vec![("subscribe", "a b"), ("since", "a bad!epoch:1")], "Position"),
        (vec![("since", "a E:1")], "BadRequest"),
    ] {
        let (_, err) = exchange(&mut c, &headers, "x").await;
        assert_eq!(
            (err.command.as_str(), err.header("code")),
            ("error", Some(code)),
            "{headers:?}"
        );
        assert_eq!(s.handle.subscriber_count("a") + s.handle.subscriber_count("b"), 0);
    }
    // A since on a channel without history: subscribed, unrecovered.
    let mut config = Config::default();
    config.namespaces.insert(
        "h".into(),
        Namespace {
            history_size: 10,
            history_ttl: Duration::from_secs(60),
            recover_max: 10,
            ..Namespace::default()
        },
    );
    let s2 = start_with(config).await;
    let mut c = Client::connect(&s2).await;
    let (_, ack) = resubscribe(&mut c, "plain", &["plain E:1".to_string()]).await;
    assert_eq!(ack.header("unrecovered"), Some("plain"));
    assert_eq!(ack.header("position"), None);
    assert_eq!(s2.handle.subscriber_count("plain"), 1);
    s.stop().await;
    s2.stop().await;
}

#[tokio::test]
async fn client_sent_position_headers_are_stripped() {
    let mut config = history(100, 60, 300);
    config.namespaces.insert("off".into(), Namespace::default());
    let s = start_with(config).await;
    let mut c = Client::connect(&s).await;
    c.subscribe("room off:x").await;
    let mut p = Client::connect(&s).await;
    let forged = [
        ("publish", "room off:x"),
        ("channel", "evil"),
        ("Offset", "999"),
        ("epoch", "forged"),
        ("position", "room forged:1"),
        ("recovered", "room"),
        ("unrecovered", "room"),
        ("x-kept", "yes"),
    ];
    p.request("chat", &forged, "hi", "p").await;
    for _ in 0..2 {
        let m = c.recv().await;
        assert_eq!(m.header("x-kept"), Some("yes"));
        for h in ["position", "recovered", "unrecovered"] {
            assert_eq!(m.header(h), None, "{h} in {m:?}");
        }
        if m.header("channel").is_some() {
            let (ch, pos) = carried(&m);
            assert_eq!((ch.as_str(), pos.offset), ("room", 1));
            assert_ne!(pos.epoch, "forged");
            assert_eq!(all(&m, "offset").len(), 1);
        } else {
            assert_eq!((m.header("offset"), m.header("epoch")), (None, None), "{m:?}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn publications_expire_after_their_ttl() {
    let s = start_with(history(100, 1, 300)).await;
    let mut p = Client::connect(&s).await;
    publish(&mut p, "room", "short-lived").await;
    let ack = p.request("chat", &[("history", "room")], "", "h").await;
    let h = read_history(&ack);
    assert_eq!(h.publications.len(), 1);
    let at0 = Pos {
        epoch: h.position.epoch.clone(),
        offset: 0,
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let ack = p.request("chat", &[("history", "room")], "", "h").await;
        if read_history(&ack).publications.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not expired in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut c = Client::connect(&s).await;
    let (got, ack) = resubscribe(&mut c, "room", &[at0.since("room")]).await;
    assert!(got.is_empty());
    assert_eq!(ack.header("unrecovered"), Some("room"), "what it missed has expired");
    s.stop().await;
}

#[tokio::test]
async fn http_publish_answers_positions_and_api_history_reads() {
    let mut config = history(100, 60, 300);
    config.publish_token = Some("s3cret".into());
    config.namespaces.insert("off".into(), Namespace::default());
    let s = start_with(config).await;
    let auth = [("Authorization", "Bearer s3cret")];
    let mut c = Client::connect(&s).await;
    c.subscribe("room off:x").await;
    let (status, body) = http(
        s.addr,
        "POST",
        "/publish",
        &auth,
        "LHTTP/1.0 chat\r\npublish:room off:x\r\nx-n:1\r\noffset:999\r\nepoch:forged\r\n\r\nhello",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["deliveries"], 2, "the entry of room, the message once for off:x");
    for _ in 0..2 {
        let m = c.recv().await;
        assert_eq!(m.header("x-n"), Some("1"));
        match m.header("channel") {
            Some(_) => assert_eq!(carried(&m).1.offset, 1),
            None => assert_eq!((m.header("offset"), m.header("epoch")), (None, None), "{m:?}"),
        }
    }
    let room = v["positions"]["room"].as_str().unwrap().to_string();
    assert!(room.ends_with(":1"), "{body}");
    assert!(v["positions"].get("off:x").is_none());
    let epoch = room.trim_end_matches(":1");
    let (status, body) = http(s.addr, "POST", "/api/history", &auth, r#"{"channel":"room","limit":5}"#).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["result"]["position"], room.as_str());
    let publication = &v["result"]["publications"][0];
    assert_eq!(publication["offset"], 1);
    assert_eq!(publication["command"], "chat");
    assert_eq!(publication["body"], "hello");
    assert!(publication["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "x-n" && h[1] == "1"));
    let args = format!(r#"{{"channel":"room","since":"{epoch}:1","reverse":true}}"#);
    let (_, body) = http(s.addr, "POST", "/api/history", &auth, args).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["result"]["publications"].as_array().unwrap().len(), 0);
    let (status, body) = http(s.addr, "POST", "/api/history", &auth, r#"{"channel":"off:x"}"#).await;
    assert_eq!((status, body.contains("NoHistory")), (400, true), "{body}");
    let (status, body) = http(
        s.addr,
        "POST",
        "/api/history",
        &auth,
        r#"{"channel":"room","since":"x"}"#,
    )
    .await;
    assert_eq!((status, body.contains("Position")), (400, true), "{body}");
    let (status, body) = http(s.addr, "POST", "/api/history", &auth, r#"{"chanel":"room"}"#).await;
    assert_eq!((status, body.contains("BadRequest")), (400, true), "{body}");
    let (status, _) = http(s.addr, "POST", "/api/history", &[], r#"{"channel":"room"}"#).await;
    assert_eq!(status, 401);
    let (_, metrics) = http(s.addr, "GET", "/metrics", &[], "").await;
    assert!(metrics.contains("lhttp_history_streams 1"), "{metrics}");
    s.stop().await;
}

/// Runs `lhttpd` on a free port with `args` and `env`; returns it and its address.
fn lhttpd(args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String) {
    common::lhttpd(&[&["--listen", "127.0.0.1:0"], args].concat(), env)
}

#[tokio::test]
async fn lhttpd_takes_the_default_namespace_from_flags_and_environment_and_refuses_bad_ones() {
    for (args, env) in [
        (vec!["--history-size", "10", "--history-ttl", "60"], vec![]),
        (
            vec![],
            vec![("LHTTPD_HISTORY_SIZE", "10"), ("LHTTPD_HISTORY_TTL", "60")],
        ),
    ] {
        let (mut child, addr) = lhttpd(&args, &env);
        let mut c = Client::connect_url(&format!("ws://{addr}/")).await;
        let (_, ack) = resubscribe(&mut c, "room", &[]).await;
        assert_eq!(position(&ack, "room").offset, 0, "{args:?} {env:?}");
        let _ = child.kill();
        let _ = child.wait();
    }
    let dir = std::env::temp_dir().join(format!("lhttpd-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[namespaces.\"a:b\"]\nhistory_size = 1\nhistory_ttl = 1\n").unwrap();
    for (args, needle) in [
        (vec!["--recover-max".to_string(), "0".to_string()], "recover_max"),
        (vec!["--config".to_string(), file.display().to_string()], "\"a:b\""),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lhttpd"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--history-size",
        "--history-ttl",
        "--recover-max",
        "[namespaces.<name>]",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
