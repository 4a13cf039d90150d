//! The `lhttp` command-line tool against a real lhttpd: `send` prints every reply to
//! the raw messages piped in, `pub` publishes over WebSocket and over HTTP, `presence`
//! lists a channel's members and counts, `sub --body-only` marks join and leave events.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestServer;

fn lhttp(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lhttp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lhttp");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_prints_every_reply() {
    let server = TestServer::start().await;
    let url = server.ws_url();
    let input = "LHTTP/1.0 chat\\r\\nsubscribe:r\\r\\npublish:r\\r\\n\\r\\nhi there\nHTTP/1.1 GET\\r\\n\\r\\n\n";
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || lhttp(&["send", &url], input))
        .await
        .unwrap();
    assert!(ok, "{stderr}");
    assert!(stdout.contains("LHTTP/1.0 chat\npublish:r\n\nhi there\n"), "{stdout}");
    assert!(stdout.contains("LHTTP/1.0 error\ncode:Version\n"), "{stdout}");
    assert!(stderr.contains("not valid LHTTP (Version)"), "{stderr}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pub_over_websocket_and_http() {
    let server = TestServer::start().await;
    let client = lhttp_client::Client::connect(&server.ws_url()).await.unwrap();
    client.subscribe(&["news"]).await.unwrap();
    for url in [server.ws_url(), server.http_url()] {
        let args = [
            "pub",
            url.as_str(),
            "news",
            "line\\tone",
            "--command",
            "flash",
            "-H",
            "k: v",
        ];
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            lhttp(&args, "")
        })
        .await
        .unwrap();
        assert!(ok, "{url}: {stderr}");
        assert_eq!(stdout, "delivered to 1 subscriber(s)\n");
        let msg = client.recv().await.unwrap().unwrap();
        assert_eq!(
            (msg.command(), msg.header("k"), msg.body()),
            ("flash", Some("v"), &b"line\tone"[..])
        );
    }
    // Without --command the message is a chat line, as in every SDK.
    let url = server.ws_url();
    let (ok, _, stderr) = tokio::task::spawn_blocking(move || lhttp(&["pub", &url, "news", "hi"], ""))
        .await
        .unwrap();
    assert!(ok, "{stderr}");
    let msg = client.recv().await.unwrap().unwrap();
    assert_eq!((msg.command(), msg.body()), (lhttp_client::DEFAULT_COMMAND, &b"hi"[..]));
    let (ok, _, stderr) = tokio::task::spawn_blocking(|| lhttp(&["sub", "ws://127.0.0.1:1/", "x"], ""))
        .await
        .unwrap();
    assert!(!ok);
    assert!(stderr.contains("could not connect"), "{stderr}");
    server.stop().await;
}

#[test]
fn help_describes_the_tool_not_the_crate() {
    let (ok, stdout, stderr) = lhttp(&["--help"], "");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Talk to an lhttp server from the terminal"), "{stdout}");
    assert!(!stdout.contains("async and blocking"), "{stdout}");
    for command in ["sub", "pub", "send", "presence"] {
        assert!(stdout.contains(command), "{stdout}");
    }
}

/// Presence and join/leave for the default namespace, no grace, self-declared
/// identity; `quiet` keeps no presence.
fn presence_server() -> lhttp_server::Config {
    let mut config = lhttp_server::Config::default();
    config.namespace.presence = true;
    config.namespace.join_leave = true;
    config.presence.grace = Duration::ZERO;
    config.presence.client_identity = true;
    config
        .namespaces
        .insert("quiet".into(), lhttp_server::Namespace::default());
    config
}

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// `lhttp` with `args` (no stdin), off the async test's threads.
async fn run(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        lhttp(&args, "")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_prints_the_members_and_the_counts() {
    let server = TestServer::start_with(presence_server(), loopback()).await;
    let ann_url = format!("{}?uid=ann&info=%7B%22name%22%3A%22Ann%22%7D", server.ws_url());
    let ann = lhttp_client::Client::connect(&ann_url).await.unwrap();
    let anon = lhttp_client::Client::connect(&server.ws_url()).await.unwrap();
    ann.subscribe(&["room"]).await.unwrap();
    anon.subscribe(&["room"]).await.unwrap();
    let url = server.ws_url();

    let (ok, stdout, stderr) = run(vec!["presence".into(), url.clone(), "room".into()]).await;
    assert!(ok, "{stderr}");
    let mut members = [
        format!("  {} uid:ann {{\"name\":\"Ann\"}}", ann.client_id().unwrap()),
        format!("  {} uid:- {{}}", anon.client_id().unwrap()),
    ];
    // Listed in client id order, as the server answers.
    members.sort_by_key(|line| line.split_whitespace().next().unwrap().to_owned());
    assert_eq!(
        stdout,
        format!("room: 2 connections, 1 user\n{}\n{}\n", members[0], members[1])
    );

    let (ok, stdout, stderr) = run(vec!["presence".into(), url.clone(), "room".into(), "--stats".into()]).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "room: 2 connections, 1 user\n");

    let (ok, stdout, stderr) = run(vec!["presence".into(), url, "quiet:room".into()]).await;
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("NoPresence"), "{stderr}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_body_only_prints_bodies_on_stdout_and_join_and_leave_on_stderr() {
    let server = TestServer::start_with(presence_server(), loopback()).await;
    let url = server.ws_url();
    // Its own join, bob's join, then bob's line: the one message counted.
    let mut sub = Command::new(env!("CARGO_BIN_EXE_lhttp"))
        .args(["sub", &url, "room", "--body-only", "--count", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lhttp sub");
    let stderr = sub.stderr.take().unwrap();
    let (greeting, mut log) = tokio::task::spawn_blocking(move || {
        let mut log = BufReader::new(stderr);
        let mut line = String::new();
        log.read_line(&mut line).unwrap();
        (line, log)
    })
    .await
    .unwrap();
    // "lhttp: subscribed to room (client-id <id>)"
    let sub_id = greeting
        .trim_end()
        .strip_suffix(')')
        .and_then(|l| l.rsplit_once("client-id "))
        .map(|(_, id)| id.to_owned())
        .unwrap_or_else(|| panic!("a greeting with the client id: {greeting:?}"));

    let bob_url = format!("{url}?uid=bob&info=%7B%22name%22%3A%22Bob%22%7D");
    let bob = lhttp_client::Client::connect(&bob_url).await.unwrap();
    let bob_id = bob.client_id().unwrap();
    bob.subscribe(&["room"]).await.unwrap();
    bob.publish(&["room"], "chat", &[], b"hello from bob").await.unwrap();
    bob.close().await.unwrap();

    let out = tokio::task::spawn_blocking(move || sub.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from bob\n",
        "stdout holds the bodies only"
    );
    let mut events = String::new();
    std::io::Read::read_to_string(&mut log, &mut events).unwrap();
    assert_eq!(
        events,
        format!("* {sub_id} joined room\n* bob ({bob_id}) joined room {{\"name\":\"Bob\"}}\n"),
        "the events before the counted message, on stderr, in order (bob's leave comes after it)"
    );
    server.stop().await;
}
