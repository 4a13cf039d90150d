//! Several `lhttpd` nodes joined through NATS, and the cluster-wide connection
//! directory. Without NATS the same API answers for the one node.
//!
//! Module map:
//! - [`subject`]: channel names as NATS subject tokens (reversible encoding).
//! - [`nats`]: the NATS [`Broker`](crate::Broker): one subscription per channel per node.
//! - [`ops`]: the directory's calls as data, answered by each node for its own connections.
//! - `local`: this node's directory entries (uids, groups, info, takeover keys).
//! - `rpc`: directory calls between nodes (NATS request/reply, scatter-gather) and node liveness.
//! - [`directory`]: the async [`Directory`] API used by processors and the HTTP API.
//! - [`hooks`]: [`ChannelHooks`]: `before_subscribe`, `on_subscribe`, `on_unsubscribe`.
//! - [`takeover`]: the connection-key takeover filter.

pub mod directory;
pub mod hooks;
mod local;
pub mod nats;
pub mod ops;
mod rpc;
pub mod subject;
pub mod takeover;

pub use directory::Directory;
pub use hooks::ChannelHooks;
pub use local::Info;
pub use nats::NatsBroker;
pub use ops::CLOSE_TAKEN_OVER;
pub use takeover::Takeover;

use crate::conn::Conn;
use crate::filter::Reject;
use crate::handle::Handle;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::Duration;

/// The cluster's part of the server's shared state.
#[derive(Default)]
pub(crate) struct State {
    /// This node's directory entries. A std mutex: held for a few map updates, never across an await.
    local: Mutex<local::Local>,
    /// Channel hooks in the order added. Read on every (un)subscribe, written at setup.
    hooks: RwLock<Vec<Arc<dyn ChannelHooks>>>,
    /// The NATS connection used by the directory; unset with the embedded broker.
    link: OnceLock<Arc<rpc::Link>>,
}

impl State {
    pub(crate) fn local(&self) -> MutexGuard<'_, local::Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn link(&self) -> Option<&Arc<rpc::Link>> {
        self.link.get()
    }

    pub(crate) fn add_hooks(&self, hooks: Arc<dyn ChannelHooks>) {
        self.hooks.write().unwrap_or_else(|e| e.into_inner()).push(hooks);
    }

    fn hooks(&self) -> Vec<Arc<dyn ChannelHooks>> {
        self.hooks.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn before_subscribe(&self, handle: &Handle, conn: &Conn, channel: &str) -> Result<(), Reject> {
        self.hooks()
            .iter()
            .try_for_each(|h| h.before_subscribe(handle, conn, channel))
    }

    pub(crate) fn on_subscribe(&self, handle: &Handle, conn: &Conn, channel: &str) {
        self.hooks().iter().for_each(|h| h.on_subscribe(handle, conn, channel));
    }

    pub(crate) fn on_unsubscribe(&self, handle: &Handle, conn: &Conn, channel: &str) {
        self.hooks()
            .iter()
            .for_each(|h| h.on_unsubscribe(handle, conn, channel));
    }
}

/// Joins the cluster when `[cluster] nats` is set: connects to NATS (retrying in
/// the background if it is down now), installs the NATS broker and starts
/// answering directory calls. Does nothing with the embedded broker.
pub async fn start(handle: &Handle) -> io::Result<()> {
    let cfg = &handle.config().cluster;
    let Some(urls) = &cfg.nats else {
        return Ok(());
    };
    if handle.shared.cluster.link().is_some() {
        return Ok(());
    }
    let addrs = urls
        .split(',')
        .map(|u| u.trim().parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("nats url {urls:?}: {e}")))?;
    let client = async_nats::ConnectOptions::new()
        .name(format!("lhttpd {}", handle.node_id()))
        .no_echo()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 100).min(1000)))
        .event_callback(|event| async move { tracing::info!(%event, "nats") })
        .connect(addrs)
        .await
        .map_err(|e| io::Error::other(format!("nats: {e}")))?;
    let broker = NatsBroker::start(handle, client.clone(), &cfg.prefix);
    handle.set_broker(Arc::new(broker));
    let link = Arc::new(rpc::Link::new(client, &cfg.prefix, handle.node_id(), cfg.timeout));
    if handle.shared.cluster.link.set(link.clone()).is_ok() {
        tokio::spawn(rpc::serve(handle.clone(), link));
    }
    tracing::info!(nats = %urls, prefix = %cfg.prefix, node = %handle.node_id(), "joined the cluster through NATS");
    Ok(())
}
