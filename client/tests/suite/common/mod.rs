//! A real lhttpd (the `lhttp_server` library) on a loopback port, for the client's
//! integration tests: started in-process, stopped and restarted on the same port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use lhttp_server::{Config, Handle, Server};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state handle.
    pub handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server with default settings on a free loopback port.
    pub async fn start() -> TestServer {
        TestServer::start_with(Config::default(), "127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts a server with `config` on `addr` (port 0 picks a free one).
    pub async fn start_with(mut config: Config, addr: SocketAddr) -> TestServer {
        let listener = TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        config.listen = addr;
        let server = Server::build(config).await.expect("the server builds");
        let handle = server.handle();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(listener, async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            handle,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The WebSocket URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// The HTTP base URL.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server (connections are closed with 1001) and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server run");
        }
    }
}

/// Bounded polling for a condition another process makes true (no timing assertion:
/// just a limit on the attempts so a broken build cannot hang the suite).
pub async fn eventually<F, Fut>(what: &str, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if attempt().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting for: {what}");
}
