//! Test harness for the cluster tests: real `nats-server` processes on free
//! ports, lhttpd nodes in-process (or as processes, to SIGKILL them), a small
//! WebSocket client and a raw HTTP/1.1 client.
//!
//! `nats` runs nats-server, `jetstream` the same with a store, `node` the lhttpd
//! nodes and `ws` the client. The server,
//! the WebSocket below `Ws` and the HTTP client are `common`'s files, included here
//! so that they wait this harness's [`WAIT`].
#![allow(dead_code)]

#[allow(clippy::duplicate_mod)] // also `common`'s, built again with this harness's `WAIT`
#[path = "../common/http.rs"]
mod http;
#[allow(clippy::duplicate_mod)] // also `common`'s, built again with this harness's `WAIT`
#[path = "../common/running.rs"]
mod running;
#[allow(clippy::duplicate_mod)] // also `common`'s, built again with this harness's `WAIT`
#[path = "../common/websocket.rs"]
mod websocket;

mod jetstream;
mod nats;
mod node;
mod ws;

pub use http::http;
// Only the JetStream tests use these.
#[allow(unused_imports)]
pub use jetstream::*;
pub use nats::*;
pub use node::*;
pub use ws::*;

use std::net::SocketAddr;
use std::time::Duration;

/// How long a test waits for an expected state before failing.
pub const WAIT: Duration = Duration::from_secs(20);

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

/// Calls `POST /api/<call>` with a JSON body and returns the parsed `result`.
pub async fn api(addr: SocketAddr, call: &str, args: serde_json::Value) -> serde_json::Value {
    let (status, body) = http(addr, "POST", &format!("/api/{call}"), &[], &args.to_string()).await;
    assert_eq!(status, 200, "{call}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    v["result"].clone()
}
