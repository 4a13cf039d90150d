//! lhttpd nodes joining a cluster: in-process (common's running server, with a cluster
//! config) or as processes, so that a test can kill one with SIGKILL.

use super::running::{start, start_with};
use super::{wait_for, WAIT};
use lhttp_server::cluster::HandleExt;
use lhttp_server::{Config, Server};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// An in-process lhttpd node: a running server; `stop` shuts it down gracefully.
pub use super::running::Running as Node;

impl Node {
    /// Starts a node with `config` on a free port.
    pub async fn start(config: Config) -> Node {
        start_with(config).await
    }

    /// Starts an assembled server on a free port.
    pub async fn start_server(server: Server) -> Node {
        start(server).await
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
