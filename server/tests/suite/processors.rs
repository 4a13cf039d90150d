//! Processors and filters: the application's side of the server.
use crate::common;
use common::*;
use lhttp_server::{Config, Context, Filter, Processor, Reject, Server, CLOSE_POLICY};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The original's test server: adds headers, changes the command, sends the body back.
struct Echo;
impl Processor for Echo {
    fn on_message(&self, ctx: &mut Context<'_>) {
        ctx.set_command("auth");
        ctx.add_header("header-key", "header-value");
        ctx.add_header("header-key2", "header-value2");
        let body = ctx.body().to_vec();
        ctx.send(&body).unwrap();
    }
}

#[tokio::test]
async fn echo_sets_command_and_adds_headers_keeping_the_request_ones() {
    let s = start(Server::build(Config::default()).await.unwrap().processor("chat", Echo)).await;
    let mut c = Client::connect(&s).await;
    // Byte for byte what the original Go test client sends.
    c.send("LHTTP/1.0 chat\r\ncontent-type:json\r\npublish:channel_jack\r\n\r\n{to:jack,from:mike,message:hello jack,time:1990-1210 5:30:48}").await;
    let m = c.recv().await;
    assert_eq!(m.command, "auth");
    assert_eq!(m.header("content-type"), Some("json"));
    assert_eq!(m.header("header-key"), Some("header-value"));
    assert_eq!(m.header("header-key2"), Some("header-value2"));
    assert_eq!(
        m.text(),
        "{to:jack,from:mike,message:hello jack,time:1990-1210 5:30:48}"
    );
    s.stop().await;
}

/// Publishes a rewritten message: subscribers get what the processor left on the reply.
struct Shout;
impl Processor for Shout {
    fn on_message(&self, ctx: &mut Context<'_>) {
        ctx.set_command("shout");
        let from = ctx.client_id().to_string();
        ctx.add_header("from", &from);
        let loud = ctx.body_str().unwrap_or("").to_uppercase();
        ctx.set_body(loud);
    }
}

#[tokio::test]
async fn publish_carries_the_reply_the_processor_left() {
    let s = start(Server::build(Config::default()).await.unwrap().processor("say", Shout)).await;
    let mut sub = Client::connect(&s).await;
    sub.subscribe("room").await;
    let mut p = Client::connect(&s).await;
    p.send("LHTTP/1.0 say\r\npublish:room\r\n\r\nhi there").await;
    let m = sub.recv().await;
    assert_eq!(m.command, "shout");
    assert_eq!(m.text(), "HI THERE");
    assert_eq!(m.header("from"), Some(p.client_id.as_str()));
    s.stop().await;
}

/// A part as recorded: its headers and its body as text.
type SeenPart = (Vec<(String, String)>, String);

/// Records the parts it sees.
struct Upload(Arc<Mutex<Vec<SeenPart>>>);
impl Processor for Upload {
    fn on_message(&self, ctx: &mut Context<'_>) {
        let parts = ctx.parts().unwrap();
        let mut seen = self.0.lock().unwrap();
        for p in parts {
            let headers = p
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_string()))
                .collect();
            seen.push((headers, String::from_utf8_lossy(p.body).into()));
        }
        let _ = ctx.send(b"ok");
    }
}

#[tokio::test]
async fn multipart_parts_reach_the_processor_and_bad_offsets_get_an_error() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = start(
        Server::build(Config::default())
            .await
            .unwrap()
            .processor("upload", Upload(seen.clone())),
    )
    .await;
    let mut c = Client::connect(&s).await;
    c.send("LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2")
        .await;
    assert_eq!(c.recv().await.text(), "ok");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], (vec![("k1".into(), "v1".into())], "body1".into()));
        assert_eq!(seen[1], (vec![("k2".into(), "v2".into())], "body2".into()));
    }
    // The original Go server panicked on these.
    for (offsets, code) in [
        ("0 999", "PartOffset"),
        ("0 x", "PartOffset"),
        ("5 0", "PartOffset"),
        ("0 3", "Part"),
    ] {
        c.send(&format!(
            "LHTTP/1.0 upload\r\nmultipart:{offsets}\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2"
        ))
        .await;
        let e = c.expect_error().await;
        assert_eq!(e.header("code"), Some(code), "offsets {offsets}");
        assert_eq!(e.header("command"), Some("upload"));
    }
    assert_eq!(seen.lock().unwrap().len(), 2, "the processor never saw the bad ones");
    s.stop().await;
}

/// Refuses connections without `?token=good` and messages with a `forbidden` header.
struct Auth {
    order: Arc<Mutex<Vec<&'static str>>>,
    name: &'static str,
}
impl Filter for Auth {
    fn on_open(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let q = ctx.handshake().and_then(|h| h.uri.query()).unwrap_or("");
        if q.split('&').any(|kv| kv == "token=good") {
            Ok(())
        } else {
            Err(Reject::forbidden("bad token"))
        }
    }
    fn before_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        self.order.lock().unwrap().push(self.name);
        if ctx.header("forbidden").is_some() {
            return Err(Reject::forbidden("not allowed"));
        }
        Ok(())
    }
}

struct Count(Arc<AtomicUsize>);
impl Processor for Count {
    fn on_open(&self, _: &mut Context<'_>) {
        self.0.fetch_add(100, Ordering::SeqCst);
    }
    fn on_message(&self, _: &mut Context<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn on_close(&self, _: &mut Context<'_>) {
        self.0.fetch_add(10_000, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn filters_reject_connections_and_messages_in_registration_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let server = Server::build(Config::default())
        .await
        .unwrap()
        .filter(Auth {
            order: order.clone(),
            name: "first",
        })
        .filter(Auth {
            order: order.clone(),
            name: "second",
        })
        .processor("chat", Count(count.clone()));
    let s = start(server).await;

    // Refused at open: close 1008, no processor on_open.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/?token=bad", s.addr))
        .await
        .unwrap();
    let mut raw = Client {
        ws,
        client_id: String::new(),
    };
    match raw.event().await {
        Event::Closed(code) => assert_eq!(code, Some(CLOSE_POLICY)),
        Event::Message(m) => panic!("expected a close, got {m:?}"),
    }
    ws = raw.ws;
    drop(ws);

    let mut c = Client::connect_url(&format!("ws://{}/chat?token=good", s.addr)).await;
    c.send("LHTTP/1.0 chat\r\nforbidden:yes\r\nsubscribe:secret\r\n\r\n")
        .await;
    let e = c.expect_error().await;
    assert_eq!(e.header("code"), Some("Forbidden"));
    assert_eq!(
        s.handle.subscriber_count("secret"),
        0,
        "rejected before the built-in subscribe ran"
    );
    c.request("chat", &[], "", "ok").await;
    assert_eq!(*order.lock().unwrap(), ["first", "first", "second"]);
    assert_eq!(
        count.load(Ordering::SeqCst),
        101,
        "on_open once, on_message once (not for the rejected one)"
    );
    drop(c);
    until(|| count.load(Ordering::SeqCst) == 10_101).await;
    s.stop().await;
}

#[tokio::test]
async fn a_command_without_processor_still_gets_the_builtin_headers() {
    let s = start(Server::build(Config::default()).await.unwrap().processor("chat", Echo)).await;
    let mut a = Client::connect(&s).await;
    // Byte for byte what the original JS SDK sends to subscribe.
    a.send("LHTTP/1.0 subpub\r\nsubscribe:camera_123\r\n\r\n").await;
    until(|| s.handle.subscriber_count("camera_123") == 1).await;
    let mut b = Client::connect(&s).await;
    b.send("LHTTP/1.0 subpub\r\npublish:camera_123\r\n\r\nframe").await;
    assert_eq!(a.recv().await.text(), "frame");
    s.stop().await;
}

#[tokio::test]
async fn reserved_commands_are_refused_for_clients_and_processors() {
    let s = start_with(Config::default()).await;
    let mut c = Client::connect(&s).await;
    c.send("LHTTP/1.0 ack\r\nid:7\r\n\r\n").await;
    let e = c.expect_error().await;
    assert_eq!((e.header("code"), e.header("id")), (Some("ReservedCommand"), Some("7")));
    s.stop().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let r = Server::build(Config::default())
        .await
        .unwrap()
        .processor("error", Echo)
        .run(listener, async {})
        .await;
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
}
