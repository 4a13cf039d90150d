//! nats-server with JetStream on, its store in a fresh directory removed
//! afterwards, and the wait until a node has set up the history stream.

use super::{free_port, Nats, Ws, WAIT};
use std::path::PathBuf;
use std::time::Duration;

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory under the system's temporary directory.
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "lhttp-js-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock after 1970")
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).expect("temporary directory");
        TempDir(p)
    }

    /// Its path, as a command-line argument.
    pub fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// nats-server `-js` with its store in a fresh directory (kept as long as the pair).
pub async fn nats_jetstream() -> (Nats, TempDir) {
    let dir = TempDir::new();
    let nats = Nats::start_with(free_port(), vec!["-js".into(), "-sd".into(), dir.path()]).await;
    (nats, dir)
}

/// Waits until the node `ws` is connected to has the history stream (each node
/// sets it up once it started): a history read of an empty channel is answered.
pub async fn history_ready(ws: &mut Ws) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = ws.request("h", &[("history", "ready-check"), ("limit", "0")], "").await;
        if r.command() == "ack" {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "history never ready: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
