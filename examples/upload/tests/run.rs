//! Runs the upload example binary, sends the seed's multipart message and checks what it printed.
use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn upload_prints_every_part() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_upload"))
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.unwrap();
    let _connected = ws.next().await.unwrap().unwrap();
    ws.send(Message::text(
        "LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2",
    ))
    .await
    .unwrap();
    let reply = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(reply.contains("parts:2\r\n"), "{reply}");
    let mut printed = Vec::new();
    for _ in 0..2 {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        printed.push(l.trim().to_string());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        printed,
        [
            "part 0: headers [k1=v1] body \"body1\"",
            "part 1: headers [k2=v2] body \"body2\""
        ]
    );
}
