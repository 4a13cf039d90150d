//! Channel history in NATS JetStream across lhttpd nodes joined through a real
//! `nats-server -js`: one stream for the cluster, so offsets and the epoch are
//! the same on every node, a client recovers on any node, and the epoch outlives
//! the nodes (spec 13.6).
use crate::cluster_support;
use cluster_support::*;
use lhttp_server::Namespace;
use std::time::Duration;

fn js_config(url: &str, size: usize) -> lhttp_server::Config {
    let mut c = cluster_config(url);
    c.namespace = Namespace {
        history_size: size,
        history_ttl: Duration::from_secs(60),
        recover_max: 300,
        ..Namespace::default()
    };
    c
}

/// The `offset` and `epoch` a publication carries.
fn position(m: &Received) -> (u64, String) {
    let offset = m.header("offset").expect("offset").parse().unwrap();
    (offset, m.header("epoch").expect("epoch").to_string())
}

/// Subscribes `ws` to `channel` (with a `since` when given); returns the
/// publications sent before the ack, and the ack.
async fn join(ws: &mut Ws, channel: &str, since: Option<&(u64, String)>) -> (Vec<Received>, Received) {
    let since = since.map_or(String::new(), |(o, e)| format!("since:{channel} {e}:{o}\r\n"));
    ws.send(&format!("LHTTP/1.0 sub\r\nsubscribe:{channel}\r\n{since}id:j\r\n\r\n"))
        .await;
    let mut got = Vec::new();
    loop {
        let m = ws.recv_any().await;
        if m.command() == "ack" {
            return (got, m);
        }
        assert_ne!(m.command(), "error", "{m:?}");
        got.push(m);
    }
}

/// Publishes and waits for the ack (the entry is in the stream then).
async fn publish(ws: &mut Ws, channel: &str, body: &str) {
    let ack = ws.request("send", &[("publish", channel)], body).await;
    assert_eq!(ack.command(), "ack", "{ack:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_recovers_on_another_node_with_the_same_offsets_and_epoch() {
    let (nats, _dir) = nats_jetstream().await;
    let a = Node::start(js_config(&nats.url(), 100)).await;
    let b = Node::start(js_config(&nats.url(), 100)).await;
    let mut pub_b = Ws::connect(b.addr).await;
    history_ready(&mut pub_b).await;
    let mut sub_a = Ws::connect(a.addr).await;
    history_ready(&mut sub_a).await;
    let (old, ack) = join(&mut sub_a, "room", None).await;
    assert!(old.is_empty());
    let start = ack.header("position").expect("position").to_string();
    assert!(start.starts_with("room "), "{start}");
    for i in 1..=5 {
        publish(&mut pub_b, "room", &format!("m{i}")).await;
    }
    let mut last = (0, String::new());
    let mut offsets = Vec::new();
    for i in 1..=5 {
        let m = sub_a.recv().await;
        assert_eq!(m.body(), format!("m{i}"));
        last = position(&m);
        offsets.push(last.0);
    }
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    assert_eq!(
        start,
        format!("room {}:0", last.1),
        "an empty channel starts at 0 in the stream's epoch"
    );
    drop(sub_a);
    for i in 6..=8 {
        publish(&mut pub_b, "room", &format!("m{i}")).await;
    }
    // Back on the other node: exactly the 3 missed, in order, then recovered.
    let mut back = Ws::connect(b.addr).await;
    let (got, ack) = join(&mut back, "room", Some(&last)).await;
    let bodies: Vec<&str> = got.iter().map(Received::body).collect();
    assert_eq!(bodies, ["m6", "m7", "m8"]);
    assert!(got.iter().all(|m| position(m).1 == last.1), "one epoch on every node");
    assert_eq!(ack.header("recovered"), Some("room"), "{ack:?}");
    let top = position(got.last().unwrap());
    assert_eq!(
        ack.header("position"),
        Some(format!("room {}:{}", top.1, top.0).as_str())
    );
    // Live ones follow, once each.
    publish(&mut pub_b, "room", "m9").await;
    let m = back.recv().await;
    assert_eq!(m.body(), "m9");
    assert!(position(&m).0 > top.0);
    // Reconnecting twice with no traffic: nothing repeated.
    let now = position(&m);
    for _ in 0..2 {
        let mut again = Ws::connect(a.addr).await;
        let (got, ack) = join(&mut again, "room", Some(&now)).await;
        assert!(got.is_empty(), "{got:?}");
        assert_eq!(ack.header("recovered"), Some("room"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_much_missed_or_another_epoch_is_unrecovered_and_nothing_old_is_sent() {
    let (nats, _dir) = nats_jetstream().await;
    let a = Node::start(js_config(&nats.url(), 3)).await;
    let mut p = Ws::connect(a.addr).await;
    history_ready(&mut p).await;
    let mut s = Ws::connect(a.addr).await;
    join(&mut s, "chat:x", None).await;
    publish(&mut p, "chat:x", "first").await;
    let seen = position(&s.recv().await);
    drop(s);
    for i in 0..5 {
        publish(&mut p, "chat:x", &format!("n{i}")).await;
    }
    let mut back = Ws::connect(a.addr).await;
    let (got, ack) = join(&mut back, "chat:x", Some(&seen)).await;
    assert!(got.is_empty(), "nothing old: {got:?}");
    assert_eq!(ack.header("unrecovered"), Some("chat:x"), "{ack:?}");
    // A wrong epoch.
    let mut other = Ws::connect(a.addr).await;
    let (got, ack) = join(&mut other, "chat:x", Some(&(1, "0123456789abcdef".into()))).await;
    assert!(got.is_empty());
    assert_eq!(ack.header("unrecovered"), Some("chat:x"));
    // Live ones still come after an unrecovered join.
    publish(&mut p, "chat:x", "live").await;
    assert_eq!(back.recv().await.body(), "live");
    assert_eq!(other.recv().await.body(), "live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_epoch_belongs_to_the_stream_and_outlives_the_nodes() {
    let (nats, _dir) = nats_jetstream().await;
    let a = Node::start(js_config(&nats.url(), 10)).await;
    let mut p = Ws::connect(a.addr).await;
    history_ready(&mut p).await;
    let mut s = Ws::connect(a.addr).await;
    join(&mut s, "room", None).await;
    publish(&mut p, "room", "before").await;
    let seen = position(&s.recv().await);
    drop((p, s));
    a.stop().await;
    let b = Node::start(js_config(&nats.url(), 10)).await;
    let mut p = Ws::connect(b.addr).await;
    history_ready(&mut p).await;
    publish(&mut p, "room", "after").await;
    let mut back = Ws::connect(b.addr).await;
    let (got, ack) = join(&mut back, "room", Some(&seen)).await;
    let bodies: Vec<&str> = got.iter().map(Received::body).collect();
    assert_eq!(bodies, ["after"], "{ack:?}");
    assert_eq!(position(&got[0]).1, seen.1, "same epoch after the node restarted");
    assert_eq!(ack.header("recovered"), Some("room"));
    // History reads come from the stream too.
    let r = back.request("h", &[("history", "room")], "").await;
    assert_eq!(r.command(), "ack", "{r:?}");
    assert!(r.body().contains("before") && r.body().contains("after"), "{r:?}");
}

/// A TCP forwarder between a node and nats-server that the test can cut: the
/// node's NATS connection drops and cannot come back until it is restored, as
/// on a broken link, while the other nodes go on publishing.
struct Link {
    url: String,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pipes: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Link {
    async fn to(port: u16) -> Link {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("nats://{}", listener.local_addr().unwrap());
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let pipes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (o, p) = (open.clone(), pipes.clone());
        tokio::spawn(async move {
            while let Ok((mut from, _)) = listener.accept().await {
                if !o.load(Ordering::SeqCst) {
                    continue;
                }
                let pipe = tokio::spawn(async move {
                    if let Ok(mut to) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut from, &mut to).await;
                    }
                });
                p.lock().unwrap().push(pipe);
            }
        });
        Link { url, open, pipes }
    }

    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        self.pipes.lock().unwrap().drain(..).for_each(|p| p.abort());
    }

    fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Whether the node at `addr` reaches NATS (its `/healthz`).
async fn broker_up(addr: std::net::SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let _ = s
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    out.contains("\"broker_up\":true")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_missed_entries_fills_the_hole_from_the_stream() {
    let (nats, _dir) = nats_jetstream().await;
    let link = Link::to(nats.port).await;
    let a = Node::start(js_config(&link.url, 100)).await;
    let b = Node::start(js_config(&nats.url(), 100)).await;
    let mut p = Ws::connect(b.addr).await;
    history_ready(&mut p).await;
    let mut s = Ws::connect(a.addr).await;
    history_ready(&mut s).await;
    join(&mut s, "room", None).await;
    publish(&mut p, "room", "m1").await;
    assert_eq!(s.recv().await.body(), "m1");
    link.cut();
    wait_for(|| async { !broker_up(a.addr).await }).await;
    for i in 2..=4 {
        publish(&mut p, "room", &format!("m{i}")).await;
    }
    link.restore();
    wait_for(|| async { broker_up(a.addr).await }).await;
    publish(&mut p, "room", "m5").await;
    // Node A missed m2..m4 live; m5 names m4 as its channel's previous entry,
    // so A reads them from the stream and delivers all, in order.
    let got: Vec<String> = {
        let mut v = Vec::new();
        for _ in 2..=5 {
            v.push(s.recv().await.body().to_string());
        }
        v
    };
    assert_eq!(got, ["m2", "m3", "m4", "m5"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hole_the_stream_no_longer_holds_closes_the_channels_subscribers_with_4002() {
    let (nats, _dir) = nats_jetstream().await;
    let link = Link::to(nats.port).await;
    let a = Node::start(js_config(&link.url, 2)).await;
    let b = Node::start(js_config(&nats.url(), 2)).await;
    let mut p = Ws::connect(b.addr).await;
    history_ready(&mut p).await;
    let mut s = Ws::connect(a.addr).await;
    history_ready(&mut s).await;
    join(&mut s, "room", None).await;
    publish(&mut p, "room", "m1").await;
    assert_eq!(s.recv().await.body(), "m1");
    link.cut();
    wait_for(|| async { !broker_up(a.addr).await }).await;
    for i in 2..=6 {
        publish(&mut p, "room", &format!("m{i}")).await;
    }
    link.restore();
    wait_for(|| async { broker_up(a.addr).await }).await;
    publish(&mut p, "room", "m7").await;
    // The stream keeps 2 entries per channel: m2..m4 are gone, so A cannot fill
    // the hole and tells its subscriber to reconnect (and learn it is unrecovered).
    assert_eq!(s.closed().await, 4002);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_stream_is_a_new_epoch_its_subscribers_are_told_and_recover_nothing_old() {
    let (nats, _dir) = nats_jetstream().await;
    let a = Node::start(js_config(&nats.url(), 10)).await;
    let mut p = Ws::connect(a.addr).await;
    history_ready(&mut p).await;
    let mut s = Ws::connect(a.addr).await;
    join(&mut s, "room", None).await;
    publish(&mut p, "room", "old").await;
    let seen = position(&s.recv().await);
    // The stream is lost (deleted by hand here; a JetStream failure in practice).
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    js.delete_stream("LHTTP_lhttp").await.unwrap();
    assert_eq!(s.closed().await, 4002, "its subscribers are told");
    let mut back = Ws::connect(a.addr).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let ack = loop {
        let (got, ack) = join(&mut back, "room", Some(&seen)).await;
        assert!(got.is_empty(), "nothing of the old epoch: {got:?}");
        if ack.header("unrecovered") == Some("room") {
            break ack;
        }
        assert!(tokio::time::Instant::now() < deadline, "{ack:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let now = ack.header("position").expect("position");
    assert!(!now.contains(&seen.1), "a new epoch: {now} after {}", seen.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_during_a_flood_on_another_node_loses_and_repeats_nothing() {
    let (nats, _dir) = nats_jetstream().await;
    let a = Node::start(js_config(&nats.url(), 1000)).await;
    let b = Node::start(js_config(&nats.url(), 1000)).await;
    let mut p = Ws::connect(b.addr).await;
    history_ready(&mut p).await;
    let mut first = Ws::connect(a.addr).await;
    history_ready(&mut first).await;
    join(&mut first, "room", None).await;
    for i in 1..=50 {
        publish(&mut p, "room", &format!("m{i}")).await;
    }
    let mut seen = (0, String::new());
    for i in 1..=50 {
        let m = first.recv().await;
        assert_eq!(m.body(), format!("m{i}"));
        seen = position(&m);
    }
    drop(first);
    // A flood from node B, without waiting for acks; the client comes back on
    // node A in the middle of it.
    for i in 51..=150 {
        p.send(&format!("LHTTP/1.0 chat\r\npublish:room\r\n\r\nm{i}")).await;
    }
    let mut back = Ws::connect(a.addr).await;
    let since = format!("since:room {}:{}\r\n", seen.1, seen.0);
    back.send(&format!("LHTTP/1.0 sub\r\nsubscribe:room\r\n{since}id:j\r\n\r\n"))
        .await;
    for i in 151..=400 {
        p.send(&format!("LHTTP/1.0 chat\r\npublish:room\r\n\r\nm{i}")).await;
    }
    let mut got = Vec::new();
    let mut ack = None;
    while got.len() < 350 {
        let m = back.recv_any().await;
        match m.command() {
            "ack" => ack = Some(m),
            "error" => panic!("{m:?}"),
            _ => got.push(m.body().to_string()),
        }
    }
    let want: Vec<String> = (51..=400).map(|i| format!("m{i}")).collect();
    assert_eq!(got, want, "every publication once, in order");
    let ack = match ack {
        Some(a) => a,
        None => back.recv_any().await,
    };
    assert_eq!(ack.header("recovered"), Some("room"), "{ack:?}");
}

// A stream that trims one channel's entries (its per-channel limit) must not
// make another channel's recovery look incomplete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_channel_is_recovered_after_other_channels_were_trimmed() {
    let (nats, _dir) = nats_jetstream().await;
    let a = Node::start(js_config(&nats.url(), 2)).await;
    let mut p = Ws::connect(a.addr).await;
    history_ready(&mut p).await;
    // Subscribed while the channel is empty: position 0 of the stream's epoch.
    let mut s = Ws::connect(a.addr).await;
    let (_, ack) = join(&mut s, "quiet", None).await;
    let since = ack
        .header("position")
        .and_then(|p| p.strip_prefix("quiet "))
        .expect("position");
    let (epoch, offset) = since.split_once(':').expect("epoch:offset");
    assert_eq!(offset, "0");
    let since = (0, epoch.to_string());
    drop(s);
    // Another channel outgrows its 2 entries: the stream drops its first one,
    // none of `quiet`'s.
    for i in 0..3 {
        publish(&mut p, "busy", &format!("b{i}")).await;
    }
    // Nothing of `quiet` was published: nothing was missed.
    let mut back = Ws::connect(a.addr).await;
    let (got, ack) = join(&mut back, "quiet", Some(&since)).await;
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(ack.header("recovered"), Some("quiet"), "{ack:?}");
    // One publication of `quiet` while away: recovered with it.
    drop(back);
    publish(&mut p, "quiet", "q1").await;
    let mut again = Ws::connect(a.addr).await;
    let (got, ack) = join(&mut again, "quiet", Some(&since)).await;
    let bodies: Vec<&str> = got.iter().map(Received::body).collect();
    assert_eq!(bodies, ["q1"], "{ack:?}");
    assert_eq!(ack.header("recovered"), Some("quiet"), "{ack:?}");
}
