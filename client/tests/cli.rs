//! The `lhttp` command-line tool against a real lhttpd: `send` prints every reply to
//! the raw messages piped in, `pub` publishes over WebSocket and over HTTP.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

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
    for command in ["sub", "pub", "send"] {
        assert!(stdout.contains(command), "{stdout}");
    }
}
