//! Cross-node fan-out against single-node fan-out, same workload, same run.
//!
//! Starts a nats-server and two lhttpd nodes (A and B) in this process, then
//! measures deliveries/s of one publisher on node A to N subscribers:
//! - single-node: the subscribers are on A too;
//! - cross-node: the subscribers are on B, so every message crosses NATS once
//!   and B fans it out.
//!
//! The publisher keeps at most `WINDOW` messages ahead of the slowest
//! subscriber, so nobody is dropped as a slow consumer. Run it in release mode:
//!
//! ```text
//! cargo run --release -p lhttp-server --example cluster_bench -- [subscribers] [messages] [rounds]
//! ```

use futures_util::{SinkExt, StreamExt};
use lhttp_server::{Config, Server};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as Frame;

/// Most messages the publisher may be ahead of the slowest subscriber.
const WINDOW: u64 = 256;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The nats-server process, killed on drop.
struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_nats() -> Result<(Nats, String), Error> {
    let bin = std::env::var("NATS_SERVER").unwrap_or_else(|_| {
        let sbin = "/usr/sbin/nats-server";
        if std::path::Path::new(sbin).is_file() {
            sbin.into()
        } else {
            "nats-server".into()
        }
    });
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let nats = Nats(child);
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok((nats, format!("nats://127.0.0.1:{port}")));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("nats-server did not start".into())
}

async fn start_node(nats: &str) -> Result<(SocketAddr, lhttp_server::Handle), Error> {
    let mut config = Config::default();
    config.cluster.nats = Some(nats.into());
    config.limits.max_queue = 4 * WINDOW as usize;
    config.limits.shutdown_grace = Duration::from_millis(100);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = Server::build(config).await?;
    let handle = server.handle();
    tokio::spawn(server.run(listener, std::future::pending()));
    Ok((addr, handle))
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects and subscribes; returns once the subscription is acknowledged.
async fn subscriber(addr: SocketAddr, channel: &str) -> Result<Ws, Error> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await?;
    let sub = format!("LHTTP/1.0 sub\r\nsubscribe:{channel}\r\nid:s\r\n\r\n");
    ws.send(Frame::Text(sub.into())).await?;
    while let Some(f) = ws.next().await {
        if let Frame::Text(t) = f? {
            if t.starts_with("LHTTP/1.0 ack") {
                return Ok(ws);
            }
        }
    }
    Err("closed before the ack".into())
}

/// Reads deliveries and counts them in `count` until the connection ends.
fn count_deliveries(mut ws: Ws, count: Arc<AtomicU64>) {
    tokio::spawn(async move {
        while let Some(Ok(f)) = ws.next().await {
            if let Frame::Text(t) = f {
                if t.starts_with("LHTTP/1.0 chat") {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
}

fn slowest(counts: &[Arc<AtomicU64>]) -> u64 {
    counts.iter().map(|c| c.load(Ordering::Relaxed)).min().unwrap_or(0)
}

/// Publishes `messages` from a client on `publisher_node` to `subscribers`
/// clients on `subscriber_node`; returns deliveries per second.
async fn fan_out(
    publisher_node: SocketAddr,
    subscriber_node: SocketAddr,
    channel: &str,
    subscribers: usize,
    messages: u64,
) -> Result<f64, Error> {
    let mut counts = Vec::new();
    for _ in 0..subscribers {
        let c = Arc::new(AtomicU64::new(0));
        count_deliveries(subscriber(subscriber_node, channel).await?, c.clone());
        counts.push(c);
    }
    let (mut publisher, _) = tokio_tungstenite::connect_async(format!("ws://{publisher_node}/")).await?;
    let body = "x".repeat(100);
    let msg = format!("LHTTP/1.0 chat\r\npublish:{channel}\r\n\r\n{body}");
    // Until the first message crosses (NATS interest may take a moment), probe.
    while slowest(&counts) == 0 {
        publisher.send(Frame::Text(msg.clone().into())).await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut settled = slowest(&counts);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = counts.iter().map(|c| c.load(Ordering::Relaxed)).max().unwrap_or(0);
        if now == settled && slowest(&counts) == now {
            break;
        }
        settled = now;
    }
    let base: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let done = |counts: &[Arc<AtomicU64>]| -> u64 {
        counts
            .iter()
            .zip(&base)
            .map(|(c, b)| c.load(Ordering::Relaxed) - b)
            .min()
            .unwrap_or(0)
    };
    let start = Instant::now();
    let mut sent = 0;
    while sent < messages {
        while sent - done(&counts) >= WINDOW {
            tokio::task::yield_now().await;
        }
        publisher.feed(Frame::Text(msg.clone().into())).await?;
        sent += 1;
        if sent % 32 == 0 {
            publisher.flush().await?;
        }
    }
    publisher.flush().await?;
    while done(&counts) < messages {
        if start.elapsed() > Duration::from_secs(120) {
            return Err("subscribers did not receive everything".into());
        }
        tokio::task::yield_now().await;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok((messages * subscribers as u64) as f64 / secs)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let subscribers = args.next().transpose()?.unwrap_or(100) as usize;
    let messages = args.next().transpose()?.unwrap_or(5_000);
    let rounds = args.next().transpose()?.unwrap_or(3);
    let (_nats, url) = start_nats().await?;
    let (a, _ha) = start_node(&url).await?;
    let (b, _hb) = start_node(&url).await?;
    println!("{subscribers} subscribers, {messages} messages of 100 bytes, {rounds} rounds each, window {WINDOW}");
    println!(
        "{:<8} {:>22} {:>22} {:>8}",
        "round", "single-node deliv/s", "cross-node deliv/s", "ratio"
    );
    let (mut single_all, mut cross_all) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let single = fan_out(a, a, &format!("single{round}"), subscribers, messages).await?;
        let cross = fan_out(a, b, &format!("cross{round}"), subscribers, messages).await?;
        println!("{round:<8} {single:>22.0} {cross:>22.0} {:>8.2}", cross / single);
        single_all.push(single);
        cross_all.push(cross);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.total_cmp(y));
        v[v.len() / 2]
    };
    let (s, c) = (median(&mut single_all), median(&mut cross_all));
    println!("{:<8} {s:>22.0} {c:>22.0} {:>8.2}", "median", c / s);
    Ok(())
}
