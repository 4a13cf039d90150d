//! A network partition between one node and NATS, inside one machine: the node
//! reaches nats-server through this TCP relay, and cutting the relay stops every
//! byte both ways without closing anything, as a dropped route or a firewall rule
//! would (a black hole, not a reset). Healing it lets the held bytes through.
//! Connections made while cut wait, as a SYN to an unreachable host does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A relay in front of nats-server whose link can be cut and healed.
pub struct Partition {
    /// Where the node connects instead of nats-server.
    pub addr: SocketAddr,
    cut: Arc<watch::Sender<bool>>,
    task: JoinHandle<()>,
}

impl Partition {
    /// A relay to `upstream`, carrying bytes.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Partition> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cut = Arc::new(watch::Sender::new(false));
        let link = cut.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let mut open = link.subscribe();
                tokio::spawn(async move {
                    if wait_open(&mut open).await.is_err() {
                        return;
                    }
                    let connect = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(upstream));
                    // nats-server down: the node sees its connection end and tries again.
                    let Ok(Ok(outbound)) = connect.await else { return };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    let up = pipe(in_read, out_write, open.clone());
                    let down = pipe(out_read, in_write, open);
                    // Either side closing closes both, as one TCP connection would.
                    tokio::select! { _ = up => {}, _ = down => {} }
                });
            }
        });
        Ok(Partition { addr, cut, task })
    }

    /// Stops every byte both ways from now on.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Lets bytes through again, the held ones first.
    pub fn heal(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Waits until the link is not cut; `Err` when the relay is gone.
async fn wait_open(open: &mut watch::Receiver<bool>) -> Result<(), watch::error::RecvError> {
    open.wait_for(|cut| !cut).await.map(|_| ())
}

/// Copies `from` to `to`, holding each read while the link is cut.
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut open: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        wait_open(&mut open).await.map_err(std::io::Error::other)?;
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        wait_open(&mut open).await.map_err(std::io::Error::other)?;
        to.write_all(&buf[..n]).await?;
    }
}
