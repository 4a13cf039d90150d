//! The chaos run's processes: one `nats-server -js` that can be stopped and
//! started again on the same port with the same store, and lhttpd nodes that
//! can be killed with SIGKILL, frozen with SIGSTOP and thawed with SIGCONT.

use crate::server::{Running, ServerUnderTest};
use crate::Result;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long nats-server may take to listen, and a node to have its stream.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// nats-server with JetStream on a fixed port and store directory; dropping
/// it kills the server and removes the store.
pub struct Nats {
    binary: PathBuf,
    port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl Nats {
    /// Starts nats-server on a free port with a fresh store.
    pub async fn start(binary: PathBuf) -> Result<Nats> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let store = std::env::temp_dir().join(format!("lhttp-chaos-js-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&store)?;
        let mut nats = Nats {
            binary,
            port,
            store,
            child: None,
        };
        nats.again().await?;
        Ok(nats)
    }

    /// The URL the nodes join.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Its address, for a relay in front of it.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Where JetStream keeps its files.
    pub fn store(&self) -> &std::path::Path {
        &self.store
    }

    /// Starts it (again) on its port with its store, and waits until it listens.
    pub async fn again(&mut self) -> Result<()> {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(&self.store)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("nats-server did not listen within {READY_TIMEOUT:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Stops it as an operator would (SIGTERM, then SIGKILL after 10 s) and reaps it.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        signal(child.id(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// One lhttpd node of the cluster.
pub struct Node {
    running: Option<Running>,
    /// Its address.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    frozen: bool,
}

impl Node {
    /// Starts `lhttpd --listen 127.0.0.1:0 args...` and waits until its history answers.
    pub async fn start(binary: &Path, args: &[OsString]) -> Result<Node> {
        let mut all: Vec<OsString> = ["--listen", "127.0.0.1:0"].map(OsString::from).into();
        all.extend_from_slice(args);
        let running = ServerUnderTest::process("lhttpd", binary.to_path_buf(), all)
            .start()
            .await?;
        let pid = running.pid.ok_or("no pid for lhttpd")?;
        let addr: SocketAddr = running
            .url
            .trim_start_matches("ws://")
            .trim_end_matches('/')
            .parse()
            .map_err(|e| format!("node address {}: {e}", running.url))?;
        crate::nats_cluster::history_ready(&running.url, READY_TIMEOUT).await?;
        Ok(Node {
            running: Some(running),
            addr,
            pid,
            frozen: false,
        })
    }

    /// SIGKILL, and reap.
    pub async fn kill9(&mut self) {
        signal(self.pid, libc::SIGKILL);
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// SIGSTOP.
    pub fn freeze(&mut self) {
        signal(self.pid, libc::SIGSTOP);
        self.frozen = true;
    }

    /// SIGCONT.
    pub fn thaw(&mut self) {
        signal(self.pid, libc::SIGCONT);
        self.frozen = false;
    }

    /// Stops the node (thawed first, so it can die).
    pub async fn stop(mut self) {
        if self.frozen {
            self.thaw();
        }
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.frozen {
            signal(self.pid, libc::SIGCONT);
        }
    }
}

/// Sends `sig` to `pid`.
fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill only sends a signal to a process this program started.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}
