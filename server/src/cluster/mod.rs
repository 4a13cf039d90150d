//! Several `lhttpd` nodes joined through NATS, and the cluster-wide connection
//! directory. Without NATS the same API answers for the one node.
//!
//! The cluster sits above the handle: it gives the handle its broker at
//! construction, keeps its own state in the handle's extensions and listens to
//! the handle's lifecycle events (a closed connection leaves the directory).
//!
//! Module map:
//! - `subject`: channel names as NATS subject tokens (reversible encoding).
//! - `nats`: the NATS [`Broker`] ([`NatsBroker`]): one subscription per channel per node.
//! - `ops`: the directory's calls as data, answered by each node for its own connections.
//! - `local`: this node's directory entries (uids, groups, info, takeover keys).
//! - `rpc`: directory calls between nodes (NATS request/reply, scatter-gather) and node liveness.
//! - `directory`: the async [`Directory`] API used by processors and the HTTP API.
//! - `takeover`: the connection-key takeover filter.
//! - `presence`: each channel's members and their join/leave events, cluster-wide (spec 15).

mod directory;
mod jetstream;
mod local;
mod nats;
mod ops;
mod presence;
mod rpc;
mod subject;
mod takeover;

pub use crate::hooks::ChannelHooks;
pub use directory::{Directory, HandleExt};
pub use local::Info;
pub use nats::NatsBroker;
pub use ops::CLOSE_TAKEN_OVER;
pub use presence::{ChannelPresence, ClientIdentity, Member, PresenceRequest};
pub use takeover::Takeover;

use crate::broker::{Broker, EmbeddedBroker};
use crate::config::{ClusterConfig, Config, HistoryBackend};
use crate::conn::Conn;
use crate::handle::Handle;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The cluster's state, kept in the handle's extensions.
#[derive(Default)]
pub(crate) struct State {
    /// This node's directory entries. A std mutex: held for a few map updates, never across an await.
    local: Mutex<local::Local>,
    /// The NATS connection used by the directory; `None` with the embedded broker.
    link: Option<Arc<rpc::Link>>,
    /// This node's channel members and the other nodes' as heard.
    presence: presence::Presence,
}

impl State {
    /// The cluster state of `handle` (an empty one if the server has none, as a
    /// handle made without the cluster layer would).
    pub(crate) fn of(handle: &Handle) -> Arc<State> {
        handle.extension::<Arc<State>>().cloned().unwrap_or_default()
    }

    pub(crate) fn local(&self) -> MutexGuard<'_, local::Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn link(&self) -> Option<&Arc<rpc::Link>> {
        self.link.as_ref()
    }
}

/// The directory listens to closes: a connection that left has no uid, groups,
/// info or takeover key any more.
struct Forget(Arc<State>);

impl ChannelHooks for Forget {
    fn on_close(&self, _handle: &Handle, conn: &Conn) {
        self.0.local().remove(conn.id());
    }
}

/// Checks the `[cluster]` settings: the subject prefix and the takeover key's name.
pub(crate) fn check(config: &ClusterConfig) -> Result<(), String> {
    if !subject::valid_prefix(&config.prefix) {
        return Err(format!(
            "cluster prefix {:?}: expected dot-separated tokens of A-Z a-z 0-9 - _ (at most 64 bytes)",
            config.prefix
        ));
    }
    if config.takeover_key.as_deref() == Some("") {
        return Err("takeover key: the query parameter name must not be empty".into());
    }
    Ok(())
}

/// What the cluster gives a handle before it is built, and starts once it is.
pub(crate) struct Joined {
    state: Arc<State>,
    /// The NATS broker when `[cluster] nats` is set.
    nats: Option<Arc<NatsBroker>>,
    /// The JetStream history when the cluster keeps history there.
    history: Option<Arc<jetstream::JetStreamHistory>>,
}

impl Joined {
    /// The broker the handle is built with.
    pub(crate) fn broker(&self) -> Arc<dyn Broker> {
        match &self.nats {
            Some(b) => b.clone(),
            None => Arc::new(EmbeddedBroker),
        }
    }

    /// The state the handle keeps in its extensions for the cluster.
    pub(crate) fn extension(&self) -> Arc<State> {
        self.state.clone()
    }

    /// Gives `handle` the history store every node shares, when there is one.
    pub(crate) fn share_history(&self, handle: &Handle) {
        if let Some(h) = &self.history {
            handle.set_shared_history(h.clone());
        }
    }

    /// The lifecycle listeners that keep the directory and presence in step with the connections.
    pub(crate) fn listeners(&self) -> Vec<Arc<dyn ChannelHooks>> {
        // Presence first: a member leaving on close still finds its uid and info.
        vec![
            Arc::new(presence::Hooks(self.state.clone())),
            Arc::new(Forget(self.state.clone())),
        ]
    }

    /// Starts the broker's tasks and the directory's responder for `handle`;
    /// they end at shutdown.
    pub(crate) fn start(&self, handle: &Handle) {
        if let Some(h) = &self.history {
            h.start(handle);
        }
        presence::start(handle, &self.state);
        if let Some(b) = &self.nats {
            b.start(handle.clone());
        }
        if let Some(link) = self.state.link() {
            tokio::spawn(rpc::serve(handle.clone(), self.state.clone(), link.clone()));
            let cfg = &handle.config().cluster;
            tracing::info!(
                nats = %cfg.nats.as_deref().unwrap_or_default(),
                prefix = %cfg.prefix,
                node = %handle.node_id(),
                "joined the cluster through NATS"
            );
        }
    }
}

/// Joins the cluster when `[cluster] nats` is set: connects to NATS as node
/// `node` (retrying in the background if it is down now) and makes the NATS
/// broker and the directory's link. With the embedded broker the directory is
/// this node's alone.
pub(crate) async fn join(whole: &Config, node: &str) -> io::Result<Joined> {
    let config = &whole.cluster;
    let Some(urls) = &config.nats else {
        return Ok(Joined {
            state: Arc::default(),
            nats: None,
            history: None,
        });
    };
    let addrs = urls
        .split(',')
        .map(|u| u.trim().parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("nats url {urls:?}: {e}")))?;
    let client = async_nats::ConnectOptions::new()
        .name(format!("lhttpd {node}"))
        .no_echo()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 100).min(1000)))
        .event_callback(|event| async move { tracing::info!(%event, "nats") })
        .connect(addrs)
        .await
        .map_err(|e| io::Error::other(format!("nats: {e}")))?;
    let broker = Arc::new(NatsBroker::new(client.clone(), &config.prefix));
    let history = (whole.has_any_history() && config.history == HistoryBackend::Jetstream)
        .then(|| Arc::new(jetstream::JetStreamHistory::new(client.clone(), &config.prefix, whole)));
    let link = Arc::new(rpc::Link::new(client, &config.prefix, node, config.timeout));
    Ok(Joined {
        state: Arc::new(State {
            local: Mutex::default(),
            link: Some(link),
            presence: presence::Presence::default(),
        }),
        nats: Some(broker),
        history,
    })
}
