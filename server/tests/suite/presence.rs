//! Presence on one node (spec/PROTOCOL.md, section 15), end to end with raw
//! WebSocket clients: join, publication and leave in order; members and counts
//! with self-declared and backend-bound uids; the grace of a reconnect; the
//! capped list; refusals; the HTTP API.
use crate::common;
use common::*;
use lhttp_server::cluster::HandleExt;
use lhttp_server::{Config, Namespace, PresenceConfig, SubscribeRule};
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(400);

/// The default namespace keeps presence and sends join/leave, with `grace` seconds.
fn presence(grace: u64) -> Config {
    let mut c = Config {
        namespace: Namespace {
            presence: true,
            join_leave: true,
            ..Namespace::default()
        },
        presence: PresenceConfig {
            grace: Duration::from_secs(grace),
            client_identity: true,
            ..PresenceConfig::default()
        },
        ..Config::default()
    };
    c.namespaces.insert("plain".into(), Namespace::default());
    c.namespaces.insert(
        "members".into(),
        Namespace {
            presence: true,
            subscribe: SubscribeRule::Authenticated,
            ..Namespace::default()
        },
    );
    c
}

/// Connects as self-declared `uid` with `{"name": <name>}`.
async fn connect_as(r: &Running, uid: &str, name: &str) -> Client {
    let info = format!("{{\"name\":\"{name}\"}}");
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("uid", uid)
        .append_pair("info", &info)
        .finish();
    Client::connect_url(&format!("{}?{q}", r.url())).await
}

/// Reads the next message, which must be a `join` or `leave` of `client` on `channel`.
async fn expect_event(c: &mut Client, command: &str, channel: &str, client: &str) -> Msg {
    let m = c.recv().await;
    assert_eq!(
        (m.command.as_str(), m.header("channel"), m.header("client")),
        (command, Some(channel), Some(client)),
        "{m:?}"
    );
    m
}

/// Subscribes `c` to `channel`: its own `join` comes first, then the ack.
async fn join(c: &mut Client, channel: &str) {
    c.send(&format!("LHTTP/1.0 subscribe\r\nsubscribe:{channel}\r\nid:s\r\n\r\n"))
        .await;
    let me = c.client_id.clone();
    expect_event(c, "join", channel, &me).await;
    let ack = c.recv().await;
    assert_eq!((ack.command.as_str(), ack.header("id")), ("ack", Some("s")), "{ack:?}");
}

async fn query(c: &mut Client, header: &str, channel: &str) -> Msg {
    c.request("presence", &[(header, channel)], "", "q").await
}

#[tokio::test]
async fn a_subscriber_sees_join_then_message_then_leave() {
    let r = start_with(presence(0)).await;
    let mut a = Client::connect(&r).await;
    join(&mut a, "room").await;
    let mut b = connect_as(&r, "bob", "Bob").await;
    join(&mut b, "room").await;
    let bob = b.client_id.clone();
    let joined = expect_event(&mut a, "join", "room", &bob).await;
    assert_eq!(
        (joined.header("uid"), joined.text()),
        (Some("bob"), r#"{"name":"Bob"}"#)
    );
    b.send("LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi").await;
    assert_eq!(a.recv().await.text(), "hi");
    b.request("chat", &[("unsubscribe", "room")], "", "u").await;
    let leave = expect_event(&mut a, "leave", "room", &bob).await;
    assert_eq!(leave.header("reason"), Some("unsubscribe"));
    join(&mut b, "room").await;
    expect_event(&mut a, "join", "room", &bob).await;
    drop(b);
    let leave = expect_event(&mut a, "leave", "room", &bob).await;
    assert_eq!(leave.header("reason"), Some("disconnect"));
    r.stop().await;
}

#[tokio::test]
async fn members_and_counts_group_connections_by_uid() {
    let r = start_with(presence(0)).await;
    let mut ann1 = connect_as(&r, "ann", "Ann").await;
    let mut ann2 = connect_as(&r, "ann", "Ann").await;
    let mut anon = Client::connect(&r).await;
    for c in [&mut ann1, &mut ann2, &mut anon] {
        c.subscribe("room").await;
    }
    let stats = query(&mut anon, "presence-stats", "room").await;
    assert_eq!(
        (stats.header("connections"), stats.header("users")),
        (Some("3"), Some("1"))
    );
    assert!(stats.text().is_empty(), "stats carry no members");
    let list = query(&mut anon, "presence", "room").await;
    let members: serde_json::Value = serde_json::from_str(list.text()).unwrap();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 3);
    let mut clients: Vec<&str> = members.iter().map(|m| m["client"].as_str().unwrap()).collect();
    clients.sort();
    let mut want = vec![
        ann1.client_id.as_str(),
        ann2.client_id.as_str(),
        anon.client_id.as_str(),
    ];
    want.sort();
    assert_eq!(clients, want);
    let ann = members.iter().find(|m| m["client"] == ann1.client_id.as_str()).unwrap();
    assert_eq!(
        (ann["uid"].as_str(), ann["info"]["name"].as_str()),
        (Some("ann"), Some("Ann"))
    );
    assert_eq!(list.header("capped"), None);

    // A uid a backend binds counts too; the directory and presence agree.
    let dir = r.handle.directory();
    let p = dir.presence("room").await;
    assert_eq!((p.connections, p.users, p.members.len(), p.capped), (3, 1, 3, false));
    drop(ann2);
    until(|| r.handle.subscriber_count("room") == 2).await;
    let p = dir.presence_stats("room").await;
    assert_eq!(
        (p.connections, p.users),
        (2, 1),
        "one of ann's connections left, she is still in"
    );
    r.stop().await;
}

#[tokio::test]
async fn a_reconnect_within_the_grace_sends_no_leave_and_no_join() {
    let r = start_with(presence(2)).await;
    let mut watcher = Client::connect(&r).await;
    join(&mut watcher, "room").await;
    let mut ann = connect_as(&r, "ann", "Ann").await;
    ann.subscribe("room").await;
    let first = ann.client_id.clone();
    expect_event(&mut watcher, "join", "room", &first).await;
    drop(ann);
    until(|| r.handle.subscriber_count("room") == 1).await;
    // Still a member during the grace.
    let stats = query(&mut watcher, "presence-stats", "room").await;
    assert_eq!(stats.header("connections"), Some("2"));
    let mut back = connect_as(&r, "ann", "Ann").await;
    back.subscribe("room").await;
    back.send("LHTTP/1.0 chat\r\npublish:room\r\n\r\nback").await;
    // The first thing the watcher gets is the publication: no leave, no join.
    assert_eq!(watcher.recv().await.text(), "back");
    let list = query(&mut watcher, "presence", "room").await;
    assert!(
        list.text().contains(&back.client_id) && !list.text().contains(&first),
        "{}",
        list.text()
    );
    // Gone for good: the leave comes once the grace runs out.
    let second = back.client_id.clone();
    drop(back);
    let leave = expect_event(&mut watcher, "leave", "room", &second).await;
    assert_eq!(leave.header("reason"), Some("disconnect"));
    assert!(watcher.try_recv(QUIET).await.is_none(), "one leave only");
    let stats = query(&mut watcher, "presence-stats", "room").await;
    assert_eq!(stats.header("connections"), Some("1"));
    r.stop().await;
}

#[tokio::test]
async fn a_long_member_list_is_capped_and_says_so() {
    let mut config = presence(0);
    config.presence.max_members = 2;
    config.namespace.join_leave = false;
    let r = start_with(config).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut c = Client::connect(&r).await;
        c.subscribe("room").await;
        clients.push(c);
    }
    let list = query(&mut clients[0], "presence", "room").await;
    assert_eq!(
        (list.header("connections"), list.header("capped")),
        (Some("3"), Some("true"))
    );
    let members: Vec<serde_json::Value> = serde_json::from_str(list.text()).unwrap();
    assert_eq!(members.len(), 2);
    assert!(clients[0].try_recv(QUIET).await.is_none(), "join_leave off: no events");
    r.stop().await;
}

#[tokio::test]
async fn bad_queries_and_forged_events_are_refused() {
    let r = start_with(presence(0)).await;
    let mut c = Client::connect(&r).await;
    let refuse = |headers: &'static [(&'static str, &'static str)]| headers;
    for (headers, code) in [
        (refuse(&[("presence", "plain:x")]), "NoPresence"),
        (refuse(&[("presence", "members:x")]), "Forbidden"),
        (
            refuse(&[("presence", "room"), ("presence-stats", "room")]),
            "BadRequest",
        ),
        (refuse(&[("presence-stats", "a b")]), "Channel"),
    ] {
        let raw = websocket_request(&mut c.ws, "presence", headers, "", "9").await;
        let m = Msg::parse(&raw);
        assert_eq!(
            (m.command.as_str(), m.header("code")),
            ("error", Some(code)),
            "{headers:?}"
        );
    }
    for forged in ["join", "LEAVE"] {
        let raw = websocket_request(&mut c.ws, forged, &[("publish", "room")], "", "9").await;
        assert_eq!(Msg::parse(&raw).header("code"), Some("ReservedCommand"));
    }
    r.stop().await;
}

#[tokio::test]
async fn a_bad_self_declared_identity_closes_with_1008() {
    let r = start_with(presence(0)).await;
    let url = format!("{}?uid=ann&info=%5B1%5D", r.url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::StreamExt;
    let close = tokio::time::timeout(WAIT, async {
        while let Some(Ok(f)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Close(c) = f {
                return c;
            }
        }
        None
    })
    .await
    .unwrap()
    .expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert!(close.reason.starts_with("BadRequest"), "{}", close.reason);
    r.stop().await;
}

#[tokio::test]
async fn backends_read_presence_over_http() {
    let r = start_with(presence(0)).await;
    let mut ann = connect_as(&r, "ann", "Ann").await;
    ann.subscribe("room").await;
    let (status, body) = http(r.http(), "POST", "/api/presence", &[], r#"{"channel":"room"}"#).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["result"]["connections"], 1);
    assert_eq!(v["result"]["members"][0]["uid"], "ann");
    assert_eq!(v["result"]["members"][0]["info"]["name"], "Ann");
    let (status, body) = http(r.http(), "POST", "/api/presence_stats", &[], r#"{"channel":"room"}"#).await;
    assert_eq!((status, body.contains(r#""users":1"#)), (200, true), "{body}");
    let (status, body) = http(r.http(), "POST", "/api/presence", &[], r#"{"channel":"plain:x"}"#).await;
    assert_eq!((status, body.contains("NoPresence")), (400, true), "{body}");
    let (status, body) = http(r.http(), "POST", "/api/presence", &[], r#"{"chan":"room"}"#).await;
    assert_eq!((status, body.contains("BadRequest")), (400, true), "{body}");
    r.stop().await;
}

#[tokio::test]
async fn events_are_not_kept_in_history() {
    let mut config = presence(0);
    config.namespace.history_size = 10;
    config.namespace.history_ttl = Duration::from_secs(60);
    let r = start_with(config).await;
    let mut a = Client::connect(&r).await;
    join(&mut a, "room").await;
    let mut b = Client::connect(&r).await;
    join(&mut b, "room").await;
    b.send("LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi").await;
    let bob = b.client_id.clone();
    expect_event(&mut a, "join", "room", &bob).await;
    let hi = a.recv().await;
    assert_eq!(
        (hi.text(), hi.header("offset")),
        ("hi", Some("1")),
        "the publication is the first entry"
    );
    drop(b);
    let leave = expect_event(&mut a, "leave", "room", &bob).await;
    assert_eq!(leave.header("offset"), None, "an event has no position");
    let read = a.request("history", &[("history", "room")], "", "h").await;
    let mut ack = lhttp_core::OwnedMessage::new(&read.command);
    ack.headers_mut().extend(read.headers.iter().cloned());
    ack.set_body(read.body.clone());
    let page = lhttp_session::History::read(&ack).unwrap();
    let commands: Vec<&str> = page.publications.iter().map(|m| m.command()).collect();
    assert_eq!(commands, ["chat"], "only the publication is kept");
    r.stop().await;
}
