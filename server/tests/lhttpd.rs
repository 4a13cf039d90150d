//! The `lhttpd` binary itself: flags, the TOML config file, environment
//! variables, the listening line scripts read, and the refusal to open an
//! unauthenticated publish on a public address.
mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts lhttpd with `args` and `env`, returning it and its address.
fn lhttpd(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("lhttpd listening on ")
        .expect(&line)
        .to_string();
    (child, addr)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

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
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}
