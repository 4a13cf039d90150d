//! A real server on 127.0.0.1 port 0, run in-process. Shared: `common` uses it for its
//! single servers and `cluster_support` (which includes this file) for its nodes; `stop`
//! waits at most the including harness's `WAIT`.

use super::WAIT;
use lhttp_server::{Config, Handle, Server};
use std::net::SocketAddr;

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub handle: Handle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
    pub fn http(&self) -> String {
        format!("{}", self.addr)
    }
    /// Stops the server and waits for it to finish: a server that does not stop
    /// within `WAIT`, panics, or ends with an error fails the test.
    pub async fn stop(self) {
        self.handle.shutdown();
        match tokio::time::timeout(WAIT, self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("the server ended with an error: {e}"),
            Ok(Err(e)) => panic!("the server task failed: {e}"),
            Err(_) => panic!("the server did not stop within {WAIT:?} of its shutdown"),
        }
    }
}

/// Starts `server` on a fresh port.
pub async fn start(server: Server) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = server.handle();
    let task = tokio::spawn(server.run(listener, std::future::pending()));
    Running { addr, handle, task }
}

/// Starts a plain server (built-in headers only) with `config`.
pub async fn start_with(config: Config) -> Running {
    start(Server::build(config).await.unwrap()).await
}
