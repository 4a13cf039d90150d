//! The `lhttpd` binary itself: flags, the TOML config file, environment
//! variables, the listening line scripts read, the refusal to open an
//! unauthenticated publish on a public address, and TLS files it cannot use.
use crate::common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn config_file_sets_the_limits_and_flags_override_it() {
    let dir = std::env::temp_dir().join(format!("lhttpd-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lhttpd.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:1\"\npublish_token = \"from-file\"\n[limits]\nmax_message_size = 100\nmax_channels = 3\n",
    )
    .unwrap();
    // --listen wins over the file's address; the file's limits and token apply.
    let (child, addr) = lhttpd(
        &[
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--max-channels",
            "1",
        ],
        &[],
    );
    let mut c = Client::connect_url(&format!("ws://{addr}/")).await;
    c.send(&format!("LHTTP/1.0 chat\r\n\r\n{}", "x".repeat(200))).await;
    assert_eq!(c.expect_error().await.header("code"), Some("MessageTooLarge"));
    c.send("LHTTP/1.0 chat\r\nsubscribe:a b\r\n\r\n").await;
    assert_eq!(
        c.expect_error().await.header("code"),
        Some("TooManyChannels"),
        "the flag overrides the file"
    );
    let msg = b"LHTTP/1.0 chat\r\npublish:a\r\n\r\nhi";
    assert_eq!(http(&addr, "POST", "/publish", &[], msg).await.0, 401);
    assert_eq!(
        http(&addr, "POST", "/publish", &[("Authorization", "Bearer from-file")], msg)
            .await
            .0,
        200
    );
    stop(child);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn environment_variables_configure_it_too() {
    let (child, addr) = lhttpd(
        &[],
        &[("LHTTPD_LISTEN", "127.0.0.1:0"), ("LHTTPD_PUBLISH_TOKEN", "from-env")],
    );
    let msg = b"LHTTP/1.0 chat\r\npublish:a\r\n\r\nhi";
    assert_eq!(http(&addr, "POST", "/publish", &[], msg).await.0, 401);
    assert_eq!(
        http(&addr, "POST", "/publish", &[("Authorization", "Bearer from-env")], msg)
            .await
            .0,
        200
    );
    stop(child);
}

#[test]
fn a_public_address_without_a_token_is_refused_unless_insecure_is_explicit() {
    let out = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--publish-token") && err.contains("--insecure-open-publish"),
        "{err}"
    );
    let (child, addr) = lhttpd(&["--listen", "0.0.0.0:0", "--insecure-open-publish"], &[]);
    assert!(addr.starts_with("0.0.0.0:"));
    stop(child);
}

#[test]
fn help_names_every_operator_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--static",
        "--publish-token",
        "--upstream-allow",
        "--max-message-size",
        "--config",
        "--log",
        "--nats",
        "--tls-cert",
        "--tls-key",
        "--allowed-origin",
        "--max-queue-bytes",
        "--message-rate",
        "--message-burst",
        "--connection-rate",
        "--connection-burst",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

#[tokio::test]
async fn tls_files_are_checked_before_listening_and_then_the_port_speaks_tls_only() {
    let dir = std::env::temp_dir().join(format!("lhttpd-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = lhttp_tls::testing::self_signed_pem(&["localhost"]);
    let (other_cert, _) = lhttp_tls::testing::self_signed_pem(&["localhost"]);
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (cert, key, other_cert) = (
        file("cert.pem", &cert),
        file("key.pem", &key),
        file("other.pem", &other_cert),
    );
    let refused = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(refused(&["--tls-cert", &cert]).contains("--tls-key"));
    let missing = dir.join("missing.pem");
    let err = refused(&["--tls-cert", &cert, "--tls-key", missing.to_str().unwrap()]);
    assert!(err.contains("missing.pem"), "{err}");
    let err = refused(&["--tls-cert", &other_cert, "--tls-key", &key]);
    assert!(err.contains("do not fit"), "{err}");
    let err = refused(&["--tls-cert", &key, "--tls-key", &key]);
    assert!(err.contains("no certificate"), "{err}");

    // With both, the same port answers TLS only: a plain HTTP request gets no answer.
    let (child, addr) = lhttpd(
        &["--listen", "127.0.0.1:0", "--tls-cert", &cert, "--tls-key", &key],
        &[],
    );
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));
    stop(child);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn its_log_in_a_pipe_has_no_colour_codes_and_names_the_allowed_origins_and_pages() {
    let read_log = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
            .args(["--listen", "127.0.0.1:0", "--log", "info"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut started = String::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            if line.contains("lhttpd started") {
                started = line;
                break;
            }
        }
        stop(child);
        started
    };
    let line = read_log(&[
        "--allowed-origin",
        "https://app.example",
        "--static",
        "/srv/www",
        "--mount",
        "/sdk=/srv/sdk",
    ]);
    assert!(line.contains("https://app.example"), "{line}");
    assert!(line.contains("pages=/ from /srv/www, /sdk from /srv/sdk"), "{line}");
    assert!(!line.contains('\x1b'), "colour codes in a piped log: {line:?}");
    let line = read_log(&[]);
    assert!(line.contains("same origin only"), "{line}");
    // Without --static: the chat demo built into the binary when the build had the wasm
    // (scripts/build-wasm.sh), else the built-in page, saying why (embedded.rs serves them).
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../js-sdk/wasm/lhttp_wasm_bg.wasm")
        .is_file();
    if built {
        assert!(line.contains("pages=/ and /js-sdk built in"), "{line}");
    } else {
        assert!(
            line.contains("pages=built-in page: this binary was built without the demo"),
            "{line}"
        );
    }
}

#[tokio::test]
async fn rate_limit_flags_and_variables_apply_and_each_refusal_warns_once_naming_its_flag() {
    // The message rate from flags, the connection rate from the environment.
    let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--message-rate",
            "0.01",
            "--message-burst",
            "1",
        ])
        .envs([("LHTTPD_CONNECTION_RATE", "0.01"), ("LHTTPD_CONNECTION_BURST", "1")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = address(&mut child);
    let mut c = Client::connect_url(&format!("ws://{addr}/")).await;
    c.request("chat", &[], "", "1").await;
    for id in ["2", "3"] {
        c.send(&format!("LHTTP/1.0 chat\r\nid:{id}\r\n\r\n")).await;
    }
    assert_eq!(c.expect_error().await.header("code"), Some("RateLimited"));
    // A burst of one: the first refusal in a row closes too.
    assert!(matches!(c.event().await, Event::Closed(Some(1008))));
    let (status, body) = http(
        &addr,
        "GET",
        "/",
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ],
        "",
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("RateLimited"), "{body}");
    let _ = child.kill();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    let _ = child.wait();
    let warns: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warns.len(), 2, "one line per kind, however many refusals: {log}");
    assert!(warns.iter().any(|l| l.contains("--message-rate")), "{log}");
    assert!(warns.iter().any(|l| l.contains("--connection-rate")), "{log}");
}

#[test]
fn a_queue_bound_below_the_message_size_is_refused_from_the_flag_or_the_variable() {
    let refused = |args: &[&str], env: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
            .args(["--listen", "127.0.0.1:0", "--max-message-size", "2000"])
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&["--max-queue-bytes", "1000"], &[]);
    assert!(
        err.contains("max_queue_bytes (1000)") && err.contains("max_message_size (2000)"),
        "{err}"
    );
    let err = refused(&[], &[("LHTTPD_MAX_QUEUE_BYTES", "1999")]);
    assert!(err.contains("max_queue_bytes (1999)"), "{err}");
    // At the bound it starts.
    let (child, _) = lhttpd(
        &[
            "--listen",
            "127.0.0.1:0",
            "--max-message-size",
            "2000",
            "--max-queue-bytes",
            "2000",
        ],
        &[],
    );
    stop(child);
}

/// Reads the ack of a presence query sent by `c`, or the error reply.
async fn presence_of(c: &mut Client, channel: &str) -> Msg {
    c.send(&format!("LHTTP/1.0 presence\r\npresence:{channel}\r\nid:p\r\n\r\n"))
        .await;
    loop {
        let m = c.recv().await;
        if m.header("id") == Some("p") {
            return m;
        }
    }
}

#[tokio::test]
async fn presence_settings_come_from_the_environment_as_scripts_chat_sets_them() {
    let (child, addr) = lhttpd(
        &[],
        &[
            ("LHTTPD_LISTEN", "127.0.0.1:0"),
            ("LHTTPD_PRESENCE", "true"),
            ("LHTTPD_JOIN_LEAVE", "true"),
            ("LHTTPD_CLIENT_IDENTITY", "true"),
            ("LHTTPD_PRESENCE_MAX_MEMBERS", "1"),
        ],
    );
    let mut ann = Client::connect_url(&format!("ws://{addr}/?uid=ann")).await;
    ann.send("LHTTP/1.0 subscribe\r\nsubscribe:room\r\n\r\n").await;
    let join = ann.recv().await;
    assert_eq!((join.command.as_str(), join.header("uid")), ("join", Some("ann")));
    let mut bob = Client::connect_url(&format!("ws://{addr}/?uid=bob")).await;
    bob.subscribe("room").await;
    let p = presence_of(&mut ann, "room").await;
    assert_eq!(
        (p.header("connections"), p.header("capped")),
        (Some("2"), Some("true")),
        "{p:?}"
    );
    stop(child);
}

#[tokio::test]
async fn presence_settings_come_from_the_config_file_per_namespace() {
    let dir = std::env::temp_dir().join(format!("lhttpd-presence-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lhttpd.toml");
    std::fs::write(
        &file,
        "[presence]\ngrace = 0\nclient_identity = true\n[namespaces.chat]\npresence = true\n",
    )
    .unwrap();
    let (child, addr) = lhttpd(&["--config", file.to_str().unwrap(), "--listen", "127.0.0.1:0"], &[]);
    let mut c = Client::connect_url(&format!("ws://{addr}/?uid=ann")).await;
    c.subscribe("chat:1").await;
    let p = presence_of(&mut c, "chat:1").await;
    assert_eq!((p.command.as_str(), p.header("users")), ("ack", Some("1")));
    assert!(p.text().contains(r#""uid":"ann""#), "{}", p.text());
    let p = presence_of(&mut c, "other").await;
    assert_eq!(p.header("code"), Some("NoPresence"), "the default namespace has none");
    stop(child);
    let _ = std::fs::remove_dir_all(dir);
}

/// Starts lhttpd with `args`, its log on a pipe; returns it, its address and the log's reader.
fn lhttpd_logging(args: &[&str]) -> (std::process::Child, String, std::process::ChildStderr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .args(["--listen", "127.0.0.1:0", "--log", "warn"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = address(&mut child);
    let log = child.stderr.take().unwrap();
    (child, addr, log)
}

#[tokio::test]
async fn a_refused_origin_and_a_refused_token_are_logged_with_the_fix_and_without_the_token() {
    let (child, addr, log) = lhttpd_logging(&["--token-hmac-secret", "server-secret"]);
    let upgrade = |extra: &str| {
        format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
        )
    };
    let send = |raw: String| {
        let addr = addr.clone();
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            s.write_all(raw.as_bytes()).await.unwrap();
            let mut head = vec![0; 64];
            let n = s.read(&mut head).await.unwrap();
            String::from_utf8_lossy(&head[..n]).to_string()
        }
    };
    assert!(send(upgrade("Origin: https://elsewhere.example\r\n"))
        .await
        .contains("403"));
    let secret_looking = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.not-a-signature";
    let answer = send(upgrade(&format!("Authorization: Bearer {secret_looking}\r\n"))).await;
    assert!(answer.contains("401"), "{answer}");
    stop(child);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut { log }, &mut text).unwrap();
    assert!(
        text.contains("WARN") && text.contains("--allowed-origin https://elsewhere.example"),
        "{text}"
    );
    assert!(
        text.contains("a connection token was refused") && text.contains("--token-hmac-secret-file"),
        "{text}"
    );
    assert!(
        !text.contains(secret_looking) && !text.contains("not-a-signature"),
        "the token is never logged: {text}"
    );
}

#[test]
fn every_flag_reads_its_lhttpd_variable_and_help_groups_them_by_topic() {
    let out = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for topic in [
        "Server:",
        "Upstream:",
        "Limits:",
        "Cluster:",
        "History:",
        "Presence:",
        "Tokens:",
        "Admin:",
    ] {
        assert!(help.contains(&format!("\n{topic}\n")), "no {topic} group in:\n{help}");
    }
    // Each option's entry (its line and, when wrapped, the next) names its variable.
    let lines: Vec<&str> = help.lines().collect();
    let mut flags = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(flag) = line
            .trim_start()
            .strip_prefix("--")
            .map(|f| f.split([' ', '<']).next().unwrap())
        else {
            continue;
        };
        if flag == "help" || flag == "version" {
            continue;
        }
        flags += 1;
        let entry = format!("{line} {}", lines.get(i + 1).unwrap_or(&""));
        assert!(
            entry.contains("[env: LHTTPD_"),
            "--{flag} reads no LHTTPD_* variable: {entry}"
        );
    }
    assert!(flags >= 50, "only {flags} flags found in:\n{help}");
}

#[tokio::test]
async fn limits_and_mounts_come_from_their_variables() {
    let dir = std::env::temp_dir().join(format!("lhttpd-mount-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), "mounted").unwrap();
    let mount = format!("/files={}", dir.display());
    let (child, addr) = lhttpd(
        &[],
        &[
            ("LHTTPD_LISTEN", "127.0.0.1:0"),
            ("LHTTPD_MAX_HEADERS", "9"),
            ("LHTTPD_MAX_CHANNELS", "3"),
            ("LHTTPD_MAX_SUBSCRIPTIONS", "5"),
            ("LHTTPD_MAX_MESSAGE_SIZE", "2048"),
            ("LHTTPD_MAX_QUEUE_BYTES", "4096"),
            ("LHTTPD_MOUNTS", &mount),
        ],
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.unwrap();
    use futures_util::StreamExt;
    let greeting = ws.next().await.unwrap().unwrap().into_data();
    let g = Msg::parse(&greeting);
    assert_eq!(
        (
            g.header("max-headers"),
            g.header("max-channels"),
            g.header("max-subscriptions"),
            g.header("max-message-size")
        ),
        (Some("9"), Some("3"), Some("5"), Some("2048")),
        "{g:?}"
    );
    let (status, body) = http(&addr, "GET", "/files/hello.txt", &[], "").await;
    assert_eq!((status, body.as_str()), (200, "mounted"));
    stop(child);
    let _ = std::fs::remove_dir_all(dir);
}
