//! A small TCP load balancer in front of the nodes, as a deployment would
//! have: each balancer prefers one node and sends a new connection to the
//! first healthy node from there on; health is a `GET /healthz` answered
//! within a short timeout, checked for every node several times a second, so
//! a killed or frozen node stops getting new connections.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How often each node's health is checked, and how long an answer may take.
const CHECK_EVERY: Duration = Duration::from_millis(200);
const CHECK_TIMEOUT: Duration = Duration::from_millis(400);

/// The nodes behind every balancer and whether each answered its last check.
#[derive(Debug)]
pub struct Backends {
    nodes: Mutex<Vec<(SocketAddr, bool)>>,
    checker: Mutex<Option<JoinHandle<()>>>,
}

impl Backends {
    /// `nodes`, all taken as healthy, checked from now on.
    pub fn start(nodes: &[SocketAddr]) -> Arc<Backends> {
        let b = Arc::new(Backends {
            nodes: Mutex::new(nodes.iter().map(|&a| (a, true)).collect()),
            checker: Mutex::new(None),
        });
        let weak = Arc::downgrade(&b);
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let Some(b) = weak.upgrade() else { return };
                let addrs: Vec<SocketAddr> = b.nodes.lock().unwrap().iter().map(|n| n.0).collect();
                let checks = addrs.iter().map(|&a| healthy(a));
                let results = futures_util::future::join_all(checks).await;
                let mut nodes = b.nodes.lock().unwrap();
                for (n, ok) in nodes.iter_mut().zip(results) {
                    n.1 = ok;
                }
            }
        });
        *b.checker.lock().unwrap() = Some(task);
        b
    }

    /// Node `i` is now at `addr` (restarted), unchecked yet.
    pub fn replace(&self, i: usize, addr: SocketAddr) {
        self.nodes.lock().unwrap()[i] = (addr, false);
    }

    /// The first healthy node from `prefer` on, else `prefer` itself.
    fn pick(&self, prefer: usize) -> SocketAddr {
        let nodes = self.nodes.lock().unwrap();
        let n = nodes.len();
        (0..n)
            .map(|k| nodes[(prefer + k) % n])
            .find(|node| node.1)
            .unwrap_or(nodes[prefer % n])
            .0
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        if let Some(t) = self.checker.lock().unwrap().take() {
            t.abort();
        }
    }
}

/// Whether `addr` answers `GET /healthz` with an HTTP status line in time
/// (any status: a node without NATS is still alive and serves its clients).
async fn healthy(addr: SocketAddr) -> bool {
    let check = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut buf = [0u8; 16];
        let n = s.read(&mut buf).await.ok()?;
        Some(buf[..n].starts_with(b"HTTP/1."))
    };
    matches!(tokio::time::timeout(CHECK_TIMEOUT, check).await, Ok(Some(true)))
}

/// One balancer: a listening address whose connections are piped to a node.
pub struct Balancer {
    /// Where clients connect.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Balancer {
    /// A balancer preferring node `prefer` of `backends`.
    pub async fn start(prefer: usize, backends: Arc<Backends>) -> std::io::Result<Balancer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let to = backends.pick(prefer);
                tokio::spawn(async move {
                    // A dead node: the client's attempt fails and it backs off.
                    let connect = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(to));
                    let Ok(Ok(mut outbound)) = connect.await else { return };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        Ok(Balancer { addr, task })
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
