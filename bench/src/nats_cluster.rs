//! A fresh `nats-server -js` and N lhttpd nodes joined through it, and the
//! flat-out fan-out across them: what the cluster scenarios (history-cluster,
//! scale) start and measure, so every cluster measurement is taken the same way.

use crate::args::Args;
use crate::history;
use crate::scenario::{self, Fanout};
use crate::server::{Running, ServerUnderTest};
use crate::{conn, Result};
use lhttp_core::Header;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long nats-server may take to listen, and a node to have the stream.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// Starts one lhttpd node with extra flags (the user's `--lhttpd-arg`s included).
pub type NodeOf<'a> = &'a dyn Fn(&[&str]) -> ServerUnderTest;

/// One cluster fan-out and where its CPU went.
#[derive(Debug, Clone)]
pub struct ClusterFanout {
    /// The fan-out; its `server_cpu` is every lhttpd node's together.
    pub fanout: Fanout,
    /// nats-server's CPU over the same seconds, in percent of one core.
    pub nats_cpu: Option<f64>,
}

/// The nats-server to run: `NATS_SERVER`, else `nats-server` on the PATH or
/// in /usr/sbin, /usr/bin (as the cluster tests find it); `None` if none.
pub fn nats_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NATS_SERVER") {
        return Some(p.into());
    }
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
        .map(|dir| PathBuf::from(dir).join("nats-server"))
        .find(|p| p.is_file())
}

/// A `nats-server -js` on a free port with its store in a fresh directory;
/// dropping it kills the server and removes the store.
pub struct Nats {
    child: Child,
    url: String,
    store: PathBuf,
}

impl Nats {
    /// Starts `binary` and waits until it listens.
    pub async fn start(binary: &Path) -> Result<Nats> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let store = std::env::temp_dir().join(format!("lhttp-bench-js-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&store)?;
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&store)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let nats = Nats {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            store,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("nats-server did not listen within {READY_TIMEOUT:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(nats)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// `n` nodes joined through `nats` with `flags`; with flags (history), each
/// has set up the stream before they are returned. On an error the nodes
/// already started are killed as they drop.
pub async fn join(nats: &Nats, node: NodeOf<'_>, n: usize, flags: &[&str]) -> Result<Vec<Running>> {
    let mut all = vec!["--nats", nats.url.as_str()];
    all.extend_from_slice(flags);
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        nodes.push(node(&all).start().await?);
    }
    if !flags.is_empty() {
        for r in &nodes {
            history_ready(&r.url, READY_TIMEOUT).await?;
        }
    }
    Ok(nodes)
}

/// Stops every node.
pub async fn stop(nodes: Vec<Running>) {
    for r in nodes {
        r.stop().await;
    }
}

/// Waits, at most `within`, until the node at `url` answers a history read (its
/// JetStream stream is set up; a subscribe to a channel with history is refused before).
pub async fn history_ready(url: &str, within: Duration) -> Result<()> {
    let mut ws = conn::open(url, 64 * 1024, 0).await?;
    let deadline = Instant::now() + within;
    for n in 0u64.. {
        let tag = format!("ready{n}");
        let headers = [
            Header {
                name: lhttp_core::names::HISTORY,
                value: "ready-check",
            },
            Header {
                name: "limit",
                value: "0",
            },
            Header {
                name: "id",
                value: &tag,
            },
        ];
        match history::request(&mut ws, &headers, &tag).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(format!("{url}: history never ready: {e}").into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    unreachable!("the loop returns")
}

/// The flat-out fan-out on a fresh nats-server and `n` fresh nodes started
/// with `flags`: the publishers on the first node, the subscribers spread
/// evenly over all of them (subscriber `i` on node `i % n`).
pub async fn fanout(nats_bin: &Path, node: NodeOf<'_>, n: usize, args: &Args, flags: &[&str]) -> Result<ClusterFanout> {
    let nats = Nats::start(nats_bin).await?;
    let nodes = join(&nats, node, n, flags).await?;
    let urls: Vec<&str> = nodes.iter().map(|r| r.url.as_str()).collect();
    let mut pids: Vec<Option<u32>> = nodes.iter().map(|r| r.pid).collect();
    pids.push(Some(nats.pid()));
    let first = *urls.first().ok_or("a cluster needs at least one node")?;
    let measured = scenario::fanout_across(&urls, first, &pids, args, true).await;
    stop(nodes).await;
    let (mut fanout, cpu) = measured?;
    fanout.server_cpu = cpu[..n].iter().copied().sum();
    Ok(ClusterFanout {
        fanout,
        nats_cpu: cpu[n],
    })
}
