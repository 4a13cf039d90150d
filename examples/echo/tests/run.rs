//! Runs the echo example binary and talks to it over a real WebSocket.
use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn echo_changes_the_command_and_adds_headers() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echo"))
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .unwrap();
    let _connected = ws.next().await.unwrap().unwrap();
    ws.send(Message::text("LHTTP/1.0 chat\r\ncontent-type:json\r\n\r\nhello"))
        .await
        .unwrap();
    let reply = ws.next().await.unwrap().unwrap().into_text().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        reply.as_str(),
        "LHTTP/1.0 auth\r\ncontent-type:json\r\nheader-key:header-value\r\nheader-key2:header-value2\r\n\r\nhello"
    );
}
