//! The admin API (`/admin`, spec/HTTP-API.md "Admin API") against a real
//! server and real WebSocket clients: off without a token, the login and its
//! cookie, Bearer calls, wrong tokens refused and slowed more each time, the
//! read calls following clients, the actions, read-only mode, the event
//! stream, and the token kept out of the logs.
use crate::common;
use common::*;
use lhttp_server::{AdminConfig, Config, PresenceConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "adm1n-t0ken-42";

/// An answer: status, head lines (lower-cased names), body.
struct Answer {
    status: u16,
    head: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A raw HTTP/1.1 request, returning the head too.
async fn call(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let head = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        head,
        body: body.to_string(),
    }
}

const BEARER: (&str, &str) = ("Authorization", "Bearer adm1n-t0ken-42");

async fn get(r: &Running, path: &str) -> Value {
    let a = call(&r.http(), "GET", path, &[BEARER], "").await;
    assert_eq!(a.status, 200, "GET {path}: {}", a.body);
    a.json()
}

async fn post(r: &Running, path: &str, body: Value) -> (u16, Value) {
    let a = call(&r.http(), "POST", path, &[BEARER], &body.to_string()).await;
    (a.status, a.json())
}

fn admin_config(readonly: bool) -> Config {
    Config {
        admin: AdminConfig {
            token: Some(TOKEN.into()),
            readonly,
            ..AdminConfig::default()
        },
        presence: PresenceConfig {
            client_identity: true,
            ..PresenceConfig::default()
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn without_an_admin_token_everything_under_admin_is_404() {
    let r = start_with(Config::default()).await;
    for (method, path) in [
        ("GET", "/admin"),
        ("GET", "/admin/api/overview"),
        ("POST", "/admin/login"),
        ("POST", "/admin/api/publish"),
    ] {
        let a = call(&r.http(), method, path, &[BEARER], "{\"token\":\"x\"}").await;
        assert_eq!(a.status, 404, "{method} {path}");
        assert_eq!(a.json()["error"], "NotFound");
    }
    r.stop().await;
}

#[tokio::test]
async fn wrong_tokens_are_refused_and_each_waits_longer_until_a_right_one() {
    let r = start_with(admin_config(false)).await;
    let addr = r.http();
    let wrong = |body: &'static str| {
        let addr = addr.clone();
        async move { call(&addr, "POST", "/admin/login", &[], body).await }
    };
    let first = wrong(r#"{"token":"guess-1"}"#).await;
    let second = wrong(r#"{"token":"guess-2"}"#).await;
    let bearer = call(
        &addr,
        "GET",
        "/admin/api/overview",
        &[("Authorization", "Bearer guess-3")],
        "",
    )
    .await;
    for a in [&first, &second, &bearer] {
        assert_eq!(a.status, 401, "{}", a.body);
        assert_eq!(a.json()["error"], "Unauthorized");
        assert!(a.header("retry-after").is_some());
        assert!(a.header("set-cookie").is_none());
    }
    let ms = |a: &Answer| a.json()["retry_after_ms"].as_u64().unwrap();
    assert!(
        ms(&first) < ms(&second) && ms(&second) < ms(&bearer),
        "{} {} {}",
        first.body,
        second.body,
        bearer.body
    );
    // A right token resets the address's count.
    let ok = call(
        &addr,
        "POST",
        "/admin/login",
        &[],
        &json!({ "token": TOKEN }).to_string(),
    )
    .await;
    assert_eq!(ok.status, 200);
    let again = wrong(r#"{"token":"guess-4"}"#).await;
    assert_eq!(ms(&again), ms(&first));
    // No credentials at all: 401 at once, nothing counted.
    let none = call(&addr, "GET", "/admin/api/overview", &[], "").await;
    assert_eq!(none.status, 401);
    assert!(none.header("retry-after").is_none());
    r.stop().await;
}

#[tokio::test]
async fn a_login_cookie_and_a_bearer_token_open_the_api() {
    let r = start_with(admin_config(false)).await;
    let addr = r.http();
    let login = call(
        &addr,
        "POST",
        "/admin/login",
        &[],
        &json!({ "token": TOKEN }).to_string(),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.header("set-cookie").unwrap().to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=3600"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains(TOKEN));
    let session = cookie.split(';').next().unwrap();
    assert!(session.starts_with("lhttp_admin=") && session.len() > "lhttp_admin=".len() + 16);
    let with_cookie = call(&addr, "GET", "/admin/api/overview", &[("Cookie", session)], "").await;
    assert_eq!(with_cookie.status, 200, "{}", with_cookie.body);
    let with_bearer = call(&addr, "GET", "/admin/api/overview", &[BEARER], "").await;
    assert_eq!(with_bearer.status, 200);
    let forged = call(
        &addr,
        "GET",
        "/admin/api/overview",
        &[("Cookie", "lhttp_admin=0123456789abcdef")],
        "",
    )
    .await;
    assert_eq!(forged.status, 401);
    r.stop().await;
}

#[tokio::test]
async fn the_read_calls_follow_clients_as_they_connect_and_subscribe() {
    let r = start_with(admin_config(false)).await;
    let o = get(&r, "/admin/api/overview").await;
    assert_eq!(o["totals"]["connections"], 0, "{o}");
    assert_eq!(o["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(o["nodes"][0]["id"], o["node"]);
    assert_eq!(o["readonly"], false);

    let mut a = Client::connect_url(&format!("{}?uid=ann", r.url())).await;
    let mut b = Client::connect(&r).await;
    a.subscribe("room-1").await;
    a.subscribe("room-2").await;
    b.subscribe("room-1").await;
    b.subscribe("lobby").await;
    let o = get(&r, "/admin/api/overview").await;
    let t = &o["totals"];
    assert_eq!(t["connections"], 2, "{o}");
    assert_eq!(t["channels"], 3);
    assert_eq!(t["subscriptions"], 4);
    assert_eq!(t["uids"], 1);
    assert!(t["messages_in"].as_u64().unwrap() >= 4);

    let c = get(&r, "/admin/api/channels?search=room").await;
    assert_eq!(
        c,
        json!({ "channels": [{"name": "room-1", "subscribers": 2}, {"name": "room-2", "subscribers": 1}], "total": 2 })
    );
    let c = get(&r, "/admin/api/channels?limit=1").await;
    assert_eq!(c["channels"], json!([{"name": "lobby", "subscribers": 1}]));
    assert_eq!(c["total"], 3);

    let ch = get(&r, "/admin/api/channel?name=room-1").await;
    assert_eq!(ch["subscribers"], 2);
    assert!(ch.get("presence").is_none() && ch.get("history").is_none(), "{ch}");

    let by_id = get(&r, &format!("/admin/api/client?id={}", a.client_id)).await;
    let client = &by_id["clients"][0];
    assert_eq!(client["uid"], "ann");
    assert_eq!(client["channels"], json!(["room-1", "room-2"]));
    assert_eq!(client["node"], o["node"]);
    let by_uid = get(&r, "/admin/api/client?uid=ann").await;
    assert_eq!(by_uid["clients"][0]["id"], a.client_id.as_str());
    assert_eq!(get(&r, "/admin/api/client?uid=nobody").await["clients"], json!([]));
    r.stop().await;
}

#[tokio::test]
async fn a_channel_shows_its_presence_and_history_when_its_namespace_keeps_them() {
    let mut config = admin_config(false);
    let mut ns = lhttp_server::Namespace {
        presence: true,
        ..Default::default()
    };
    ns.history_size = 10;
    ns.history_ttl = std::time::Duration::from_secs(60);
    config.namespaces = BTreeMap::from([("chat".to_string(), ns)]);
    let r = start_with(config).await;
    let mut a = Client::connect_url(&format!("{}?uid=ann", r.url())).await;
    a.subscribe("chat:room").await;
    let (status, p) = post(&r, "/admin/api/publish", json!({"channel": "chat:room", "body": "hi"})).await;
    assert_eq!(status, 200, "{p}");
    let ch = get(&r, "/admin/api/channel?name=chat:room").await;
    assert_eq!(ch["presence"]["connections"], 1, "{ch}");
    assert_eq!(ch["presence"]["members"][0]["uid"], "ann");
    assert_eq!(ch["history"]["publications"].as_array().unwrap().len(), 1, "{ch}");
    r.stop().await;
}

#[tokio::test]
async fn publish_disconnect_and_unsubscribe_act_on_real_clients() {
    let r = start_with(admin_config(false)).await;
    let mut a = Client::connect_url(&format!("{}?uid=ann", r.url())).await;
    let mut a2 = Client::connect_url(&format!("{}?uid=ann", r.url())).await;
    let mut b = Client::connect(&r).await;
    a.subscribe("room").await;
    b.subscribe("room").await;

    let (status, p) = post(
        &r,
        "/admin/api/publish",
        json!({"channel": "room", "command": "notice", "body": "from the admin", "headers": {"x-from": "ops"}}),
    )
    .await;
    assert_eq!((status, &p["deliveries"]), (200, &json!(2)), "{p}");
    let m = a.recv().await;
    assert_eq!(m.command, "notice");
    assert_eq!(m.header("x-from"), Some("ops"));
    assert_eq!(m.text(), "from the admin");
    assert_eq!(b.recv().await.text(), "from the admin");

    let (status, u) = post(
        &r,
        "/admin/api/unsubscribe",
        json!({"client": b.client_id, "channel": "room"}),
    )
    .await;
    assert_eq!((status, &u["unsubscribed"]), (200, &json!(true)), "{u}");
    let client = get(&r, &format!("/admin/api/client?id={}", b.client_id)).await;
    assert_eq!(client["clients"][0]["channels"], json!([]));
    let (_, p) = post(&r, "/admin/api/publish", json!({"channel": "room", "body": "2"})).await;
    assert_eq!(p["deliveries"], 1);
    assert_eq!(a.recv().await.text(), "2");

    let (status, d) = post(&r, "/admin/api/disconnect", json!({"client": b.client_id})).await;
    assert_eq!((status, &d["closed"]), (200, &json!([b.client_id])), "{d}");
    assert!(matches!(b.event().await, Event::Closed(Some(1000))));

    let (_, d) = post(&r, "/admin/api/disconnect", json!({"uid": "ann"})).await;
    assert_eq!(d["closed"].as_array().unwrap().len(), 2, "{d}");
    for c in [&mut a, &mut a2] {
        assert!(matches!(c.event().await, Event::Closed(Some(1000))));
    }
    until(|| r.handle.connection_count() == 0).await;
    let (status, d) = post(&r, "/admin/api/disconnect", json!({})).await;
    assert_eq!(status, 400, "{d}");
    r.stop().await;
}

#[tokio::test]
async fn read_only_refuses_every_action_server_side_and_still_reads() {
    let r = start_with(admin_config(true)).await;
    let mut a = Client::connect(&r).await;
    a.subscribe("room").await;
    for (path, body) in [
        ("/admin/api/publish", json!({"channel": "room", "body": "x"})),
        ("/admin/api/disconnect", json!({"client": a.client_id})),
        (
            "/admin/api/unsubscribe",
            json!({"client": a.client_id, "channel": "room"}),
        ),
    ] {
        let (status, v) = post(&r, path, body).await;
        assert_eq!((status, v["error"].as_str()), (403, Some("Forbidden")), "{path}: {v}");
    }
    assert!(a.try_recv(std::time::Duration::from_millis(200)).await.is_none());
    assert_eq!(r.handle.subscriber_count("room"), 1);
    let o = get(&r, "/admin/api/overview").await;
    assert_eq!(
        (o["readonly"].as_bool(), &o["totals"]["connections"]),
        (Some(true), &json!(1))
    );
    r.stop().await;
}

#[tokio::test]
async fn the_event_stream_pushes_the_overview_every_second_and_ends_at_shutdown() {
    let r = start_with(admin_config(false)).await;
    let _c = Client::connect(&r).await;
    let mut s = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let req = format!(
        "GET /admin/api/stream HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n",
        r.addr
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut got = String::new();
    let mut buf = vec![0; 8192];
    tokio::time::timeout(WAIT, async {
        while got.matches("event: overview").count() < 2 {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "the stream ended early: {got}");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await
    .expect("two overview events in time");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(
        got.to_ascii_lowercase().contains("content-type: text/event-stream"),
        "{got}"
    );
    // The first event is whole: the second began after it.
    let data = got.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let v: Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["totals"]["connections"], 1, "{v}");
    // Shutdown ends the stream: its last chunk, then the connection.
    r.stop().await;
    tokio::time::timeout(WAIT, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
    })
    .await
    .expect("the stream ends at shutdown");
}

#[test]
fn the_admin_token_is_never_logged_and_debug_hides_it() {
    let c = admin_config(false);
    let debug = format!("{c:?}");
    assert!(!debug.contains(TOKEN) && debug.contains("<redacted>"), "{debug}");

    let dir = std::env::temp_dir().join(format!("lhttp-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .args(["--listen", "127.0.0.1:0", "--log", "debug", "--admin-token-file"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let addr = address(&mut child);
    let log = child.stderr.take().unwrap();
    let wrong = "wr0ng-but-secret-looking";
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let bad = call(
            &addr,
            "POST",
            "/admin/login",
            &[],
            &json!({ "token": wrong }).to_string(),
        )
        .await;
        assert_eq!(bad.status, 401);
        let good = call(
            &addr,
            "POST",
            "/admin/login",
            &[],
            &json!({ "token": TOKEN }).to_string(),
        )
        .await;
        assert_eq!(good.status, 200, "the token file's token: {}", good.body);
        let api = call(&addr, "GET", "/admin/api/overview", &[BEARER], "").await;
        assert_eq!(api.status, 200);
    });
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut { log }, &mut text).unwrap();
    assert!(text.contains("a wrong admin token was refused"), "{text}");
    assert!(
        !text.contains(TOKEN) && !text.contains(wrong),
        "a token in the log: {text}"
    );
}

/// A file of the repository, for comparing what the binary serves with it.
fn repo_file(path: &str) -> Option<Vec<u8>> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)).ok()
}

#[tokio::test]
async fn the_dashboard_page_is_served_from_the_binary_without_auth_only_with_an_admin_token() {
    let r = start_with(admin_config(false)).await;
    let addr = r.http();
    // No credentials: the page and its modules are served (the login form is part of them).
    for (path, file, kind) in [
        ("/admin", "admin/index.html", "text/html"),
        ("/admin/", "admin/index.html", "text/html"),
        ("/admin/app.js", "admin/app.js", "javascript"),
        ("/admin/style.css", "admin/style.css", "text/css"),
    ] {
        let a = call(&addr, "GET", path, &[], "").await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert!(
            a.header("content-type").unwrap_or("").contains(kind),
            "{path}: {:?}",
            a.head
        );
        assert_eq!(a.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(
            Some(a.body.into_bytes()) == repo_file(file),
            "{path} is not {file} as it is now"
        );
    }
    // uPlot, when scripts/build-admin.sh filled admin/vendor/ before this build.
    let uplot = call(&addr, "GET", "/admin/vendor/uPlot.esm.js", &[], "").await;
    match repo_file("admin/vendor/uPlot.esm.js") {
        Some(bytes) => assert!(uplot.status == 200 && uplot.body.into_bytes() == bytes, "uPlot differs"),
        None => assert_eq!(uplot.status, 404),
    }
    // Only the page's own files: not its npm manifest, its tests, or anything else.
    for path in [
        "/admin/package.json",
        "/admin/test/helpers.js",
        "/admin/index.htm",
        "/admin/api",
    ] {
        assert_eq!(call(&addr, "GET", path, &[], "").await.status, 404, "{path}");
    }
    assert_eq!(call(&addr, "POST", "/admin/", &[], "").await.status, 404);
    // The API still needs credentials.
    assert_eq!(call(&addr, "GET", "/admin/api/overview", &[], "").await.status, 401);
    r.stop().await;
}

#[tokio::test]
async fn the_overview_counts_error_replies_by_name_drops_by_namespace_and_uids_per_node() {
    let mut config = admin_config(false);
    config.namespaces = BTreeMap::from([("chat".to_string(), lhttp_server::Namespace::default())]);
    // Small queues, so a reader that stops is cut after a few publications.
    config.limits.max_queue_bytes = 64 << 10;
    let r = start_with(config).await;
    let o = get(&r, "/admin/api/overview").await;
    assert_eq!(o["totals"]["errors"], json!({}), "{o}");
    assert_eq!(o["totals"]["drops_by_namespace"], json!({"": 0, "chat": 0}), "{o}");
    assert_eq!(o["nodes"][0]["uids"], 0);

    // Two error replies by name: a reserved command twice, a bad channel name once.
    let mut a = Client::connect_url(&format!("{}?uid=ann", r.url())).await;
    let _a2 = Client::connect_url(&format!("{}?uid=ann", r.url())).await;
    let _b = Client::connect_url(&format!("{}?uid=bob", r.url())).await;
    for _ in 0..2 {
        a.send("LHTTP/1.0 ack\r\n\r\n").await;
        assert_eq!(a.expect_error().await.header("code"), Some("ReservedCommand"));
    }
    a.send("LHTTP/1.0 chat\r\nsubscribe:bad\x01name\r\n\r\n").await;
    let other = a.expect_error().await.header("code").unwrap_or("").to_string();
    assert_ne!(other, "ReservedCommand");

    // A reader of chat:slow that stops reading is cut: its drops count in the chat namespace.
    let mut slow = Client::connect(&r).await;
    slow.subscribe("chat:slow").await;
    let body = "x".repeat(16 << 10);
    let mut published = 0;
    while r.handle.metrics().drops() == 0 {
        published += 1;
        assert!(published < 100_000, "never cut");
        r.handle.publish(
            &["chat:slow"],
            format!("LHTTP/1.0 chat\r\npublish:chat:slow\r\n\r\n{body}").into(),
        );
        tokio::task::yield_now().await;
    }
    // Publications already queued may still be cut after the first drop (on shards a drop is
    // counted by the shard's thread): read the overview between two equal counts.
    let mut reads = 0;
    let (drops, o) = loop {
        let before = r.handle.metrics().drops();
        let o = get(&r, "/admin/api/overview").await;
        if r.handle.metrics().drops() == before {
            break (before, o);
        }
        reads += 1;
        assert!(reads < 500, "the drop count never settled after publishing stopped");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    let node = &o["nodes"][0];
    let expected_errors = json!({ "ReservedCommand": 2, other.as_str(): 1 });
    assert_eq!(node["errors"], expected_errors, "{o}");
    assert_eq!(o["totals"]["errors"], expected_errors);
    assert_eq!(node["drops_by_namespace"], json!({"": 0, "chat": drops}), "{o}");
    assert_eq!(o["totals"]["drops_by_namespace"], json!({"": 0, "chat": drops}));
    assert_eq!(node["drops"], drops);
    assert_eq!(node["slow_consumers"], 1, "{o}");
    // ann on two connections counts once; the cut reader has no uid.
    assert_eq!(
        (node["uids"].as_u64(), o["totals"]["uids"].as_u64()),
        (Some(2), Some(2)),
        "{o}"
    );
    // The same figures as /metrics.
    let metrics = call(&r.http(), "GET", "/metrics", &[], "").await.body;
    assert!(
        metrics.contains("lhttp_errors_total{code=\"ReservedCommand\"} 2"),
        "{metrics}"
    );
    r.stop().await;
}
