//! Real `nats-server` processes on free ports, standalone or as a three-server
//! cluster, that a test can stop and restart.

use super::WAIT;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::TcpStream;

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
