//! Test harness for the cluster tests: real `nats-server` processes on free
//! ports, lhttpd nodes in-process (or as processes, to SIGKILL them), a small
//! WebSocket client and a raw HTTP/1.1 client.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use lhttp_server::{Config, Handle, Server};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for an expected state before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `n` distinct free ports: all listeners are held until every port is chosen,
/// so the kernel cannot hand the same port out twice.
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<StdListener> = (0..n)
        .map(|_| StdListener::bind("127.0.0.1:0").expect("free port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect()
}

fn nats_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("NATS_SERVER") {
        return p.into();
    }
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
    {
        let p = PathBuf::from(dir).join("nats-server");
        if p.is_file() {
            return p;
        }
    }
    panic!("nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER");
}

/// One nats-server process; killed when dropped.
pub struct Nats {
    /// Client port.
    pub port: u16,
    /// Extra arguments (cluster and routes), reused on restart.
    args: Vec<String>,
    child: Option<Child>,
}

impl Nats {
    /// Starts a standalone nats-server on a free port.
    pub async fn start() -> Nats {
        Nats::start_with(free_port(), Vec::new()).await
    }

    /// Starts nats-server on `port` with extra arguments.
    pub async fn start_with(port: u16, args: Vec<String>) -> Nats {
        let mut n = Nats {
            port,
            args,
            child: None,
        };
        n.spawn().await;
        n
    }

    /// Three nats-servers joined by routes; returns them in order.
    pub async fn cluster3() -> Vec<Nats> {
        let ports = free_ports(6);
        let (routes, clients) = ports.split_at(3);
        let list = routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut out = Vec::new();
        for (i, rp) in routes.iter().enumerate() {
            let args = vec![
                "--cluster_name".into(),
                "lhttp-test".into(),
                "--cluster".into(),
                format!("nats://127.0.0.1:{rp}"),
                "--routes".into(),
                list.clone(),
                "-n".into(),
                format!("n{i}"),
            ];
            out.push(Nats::start_with(clients[i], args).await);
        }
        out
    }

    /// The URL lhttpd connects to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) {
        let child = Command::new(nats_binary())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "nats-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port with the same arguments.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A config joining NATS at `url` with the default prefix.
pub fn cluster_config(url: &str) -> Config {
    let mut c = Config::default();
    c.cluster.nats = Some(url.to_string());
    // Test clients do not answer close frames: do not wait for them at shutdown.
    c.limits.shutdown_grace = Duration::from_millis(200);
    // A loaded CI machine may answer slowly; calls return as soon as every node answered.
    c.cluster.timeout = Duration::from_secs(5);
    c
}

/// An in-process lhttpd node.
pub struct Node {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state.
    pub handle: Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Node {
    /// Starts a node with `config` on a free port.
    pub async fn start(config: Config) -> Node {
        Node::start_server(Server::new(config)).await
    }

    /// Starts an assembled server on a free port.
    pub async fn start_server(server: Server) -> Node {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handle = server.handle();
        let task = tokio::spawn(server.run(listener, std::future::pending()));
        Node { addr, handle, task }
    }

    /// Waits until this node sees `n` nodes (itself included) answering.
    pub async fn wait_nodes(&self, n: usize) {
        let d = self.handle.directory();
        wait_for(|| {
            let d = d.clone();
            async move { d.nodes().len() == n }
        })
        .await;
    }

    /// Stops the node gracefully.
    pub async fn stop(self) {
        self.handle.shutdown();
        let _ = self.task.await;
    }
}

/// An lhttpd process (so that it can be killed with SIGKILL); killed when dropped.
pub struct NodeProcess {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl NodeProcess {
    /// Runs the lhttpd binary with `args` on a free port and waits until it listens.
    pub async fn start(args: &[&str]) -> NodeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
            .args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start lhttpd");
        let stdout = child.stdout.take().expect("stdout");
        // lhttpd prints `lhttpd listening on ADDR` first.
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
        });
        let line = tokio::time::timeout(WAIT, line)
            .await
            .expect("lhttpd started")
            .expect("join")
            .expect("read");
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .expect("address");
        NodeProcess { addr, child }
    }

    /// Kills the process with SIGKILL (no goodbye to the cluster) and reaps it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns true, failing after [`WAIT`].
pub async fn wait_for<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if check().await {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "state not reached in {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client speaking LHTTP.
pub struct Ws {
    /// The client id from the `connected` message.
    pub id: String,
    stream: Stream,
    acks: u64,
}

/// A received message: its command, headers block and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The whole message as text.
    pub raw: String,
}

impl Received {
    /// The command of the start line.
    pub fn command(&self) -> &str {
        self.raw
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("LHTTP/1.0 ")
            .trim()
    }

    /// The body (after the blank line).
    pub fn body(&self) -> &str {
        self.raw.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }

    /// The first header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.raw.split_once("\r\n\r\n").map_or(self.raw.as_str(), |(h, _)| h);
        head.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

impl Ws {
    /// Connects to `addr` with a path and query (e.g. `/?key=1`) and reads the `connected` message.
    pub async fn connect_path(addr: SocketAddr, path: &str) -> Ws {
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(format!("ws://{addr}{path}")))
            .await
            .expect("connect in time")
            .expect("connect");
        let mut ws = Ws {
            id: String::new(),
            stream,
            acks: 0,
        };
        let hello = ws.recv_any().await;
        assert_eq!(hello.command(), "connected");
        ws.id = hello.header("client-id").expect("client-id").to_string();
        ws
    }

    /// Connects to `addr` at `/`.
    pub async fn connect(addr: SocketAddr) -> Ws {
        Ws::connect_path(addr, "/").await
    }

    /// Sends a text message.
    pub async fn send(&mut self, text: &str) {
        self.stream.send(Frame::Text(text.into())).await.expect("send");
    }

    /// Sends `command` with `headers` plus an `id`, waits for its ack, returns it
    /// (or the error reply).
    pub async fn request(&mut self, command: &str, headers: &[(&str, &str)], body: &str) -> Received {
        self.acks += 1;
        let id = format!("t{}", self.acks);
        let mut text = format!("LHTTP/1.0 {command}\r\n");
        for (n, v) in headers {
            text.push_str(&format!("{n}:{v}\r\n"));
        }
        text.push_str(&format!("id:{id}\r\n\r\n{body}"));
        self.send(&text).await;
        loop {
            let m = self.recv_any().await;
            if matches!(m.command(), "ack" | "error") && m.header("id") == Some(id.as_str()) {
                return m;
            }
        }
    }

    /// Subscribes to channels (space-separated) and waits for the ack.
    pub async fn subscribe(&mut self, channels: &str) {
        let r = self.request("sub", &[("subscribe", channels)], "").await;
        assert_eq!(r.command(), "ack", "{r:?}");
    }

    /// Unsubscribes and waits for the ack.
    pub async fn unsubscribe(&mut self, channels: &str) {
        let r = self.request("unsub", &[("unsubscribe", channels)], "").await;
        assert_eq!(r.command(), "ack", "{r:?}");
    }

    /// Publishes `body` to channels with command `chat` and waits for the ack.
    pub async fn publish(&mut self, channels: &str, body: &str) {
        let r = self.request("chat", &[("publish", channels)], body).await;
        assert_eq!(r.command(), "ack", "{r:?}");
    }

    /// The next message of any kind (fails after [`WAIT`] or on close).
    pub async fn recv_any(&mut self) -> Received {
        loop {
            let f = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a message in time");
            match f {
                Some(Ok(Frame::Text(t))) => return Received { raw: t.to_string() },
                Some(Ok(Frame::Binary(b))) => {
                    return Received {
                        raw: String::from_utf8_lossy(&b).into_owned(),
                    }
                }
                Some(Ok(Frame::Close(c))) => panic!("closed: {c:?}"),
                Some(Ok(_)) => continue,
                other => panic!("connection ended: {other:?}"),
            }
        }
    }

    /// The next delivered message, skipping acks and probe messages (bodies starting with `probe`).
    pub async fn recv(&mut self) -> Received {
        loop {
            let m = self.recv_any().await;
            if m.command() == "ack" || m.body().starts_with("probe") {
                continue;
            }
            return m;
        }
    }

    /// Reads until the close frame and returns its code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            let f = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("close in time");
            match f {
                Some(Ok(Frame::Close(c))) => return c.map_or(1005, |c| u16::from(c.code)),
                Some(Ok(_)) => continue,
                _ => return 1006,
            }
        }
    }
}

/// Publishes probes from `from` on `channel` until `to` (subscribed there) receives
/// one: the cluster now carries that channel between the two nodes. Probes are
/// skipped by [`Ws::recv`].
pub async fn wait_route(from: &mut Ws, to: &mut Ws, channel: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    for i in 0.. {
        assert!(tokio::time::Instant::now() < deadline, "{channel} never crossed nodes");
        from.publish(channel, &format!("probe {i}")).await;
        let got = tokio::time::timeout(Duration::from_millis(100), async {
            loop {
                let m = to.recv_any().await;
                if m.body().starts_with("probe") {
                    return;
                }
            }
        })
        .await;
        if got.is_ok() {
            return;
        }
    }
}

/// A raw HTTP/1.1 request; returns the status and body.
pub async fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.expect("http connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.expect("http write");
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .expect("http answer in time")
        .expect("http read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

/// Calls `POST /api/<call>` with a JSON body and returns the parsed `result`.
pub async fn api(addr: SocketAddr, call: &str, args: serde_json::Value) -> serde_json::Value {
    let (status, body) = http(addr, "POST", &format!("/api/{call}"), &[], &args.to_string()).await;
    assert_eq!(status, 200, "{call}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    v["result"].clone()
}
