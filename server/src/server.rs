//! The entry point: [`Server::build`] checks and loads everything a server
//! needs once (TLS, upstream, origins, the cluster), the server collects
//! processors and filters, then serves a listener until a shutdown future
//! completes, and shuts down gracefully.

use crate::authenticate::Authenticate;
use crate::config::Config;
use crate::filter::Filter;
use crate::handle::Handle;
use crate::history::{HistoryStore, MemoryHistory};
use crate::history_request::HistoryRequest;
use crate::http::{dispatch, App};
use crate::id::IdMaker;
use crate::multipart::Multipart;
use crate::origin::Origins;
use crate::pipeline::Pipeline;
use crate::processor::Processor;
use crate::pubsub::PubSub;
use crate::reply;
use crate::token::Tokens;
use crate::upstream::{Allow, Upstream};
use crate::{cluster, tls};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// An lhttp server being assembled.
///
/// ```no_run
/// use lhttp_server::{Config, Context, Processor, Server};
///
/// struct Chat;
/// impl Processor for Chat {
///     fn on_message(&self, ctx: &mut Context<'_>) {
///         let body = ctx.body().to_vec();
///         let _ = ctx.send(&body);
///     }
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// Server::build(Config::default())
///     .await?
///     .processor("chat", Chat)
///     .run(listener, async { let _ = tokio::signal::ctrl_c().await; })
///     .await
/// # }
/// ```
pub struct Server {
    handle: Handle,
    processors: Vec<(String, Arc<dyn Processor>)>,
    filters: Vec<Arc<dyn Filter>>,
    /// The built-in filters that run after the user's, in order.
    builtins: Vec<Arc<dyn Filter>>,
    /// The connection-token filter, which runs before the user's.
    authenticate: Arc<dyn Filter>,
    upstream: Arc<Upstream>,
    origins: Arc<Origins>,
    tls: Option<TlsAcceptor>,
    cluster: cluster::Joined,
}

impl Server {
    /// A server with `config`, the built-in headers, and no processors yet.
    ///
    /// Checks the settings a server cannot run without and loads what they
    /// name, once: the TLS certificate
    /// and key, the upstream allow-list and CA, the allowed origins, the cluster
    /// prefix, the takeover filter, and the broker (joining NATS when
    /// `[cluster] nats` is set; NATS itself may come up later). A setting that
    /// cannot be used is an [`io::ErrorKind::InvalidInput`] error naming it.
    /// The operator's policy checks of [`Config::validate`] (an open publish on
    /// a public address, zero limits) are the caller's to run, as `lhttpd` does.
    pub async fn build(config: Config) -> io::Result<Server> {
        let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
        let tls = tls::acceptor(&config).map_err(invalid)?;
        for o in &config.allowed_origins {
            Origins::check(o).map_err(invalid)?;
        }
        for p in &config.upstream_allow {
            Allow::check_prefix(p).map_err(invalid)?;
        }
        let upstream = Arc::new(Upstream::new(&config).map_err(invalid)?);
        cluster::check(&config.cluster).map_err(invalid)?;
        let tokens = Tokens::load(&config.token).map_err(invalid)?.map(Arc::new);
        let admin = crate::admin::Admin::load(&config.admin, config.tls_cert.is_some()).map_err(invalid)?;
        if let Some(t) = &tokens {
            t.warm_up().await;
        }
        let authenticate: Arc<dyn Filter> = Arc::new(Authenticate::new(&config.token, tokens.clone()));
        let origins = Arc::new(Origins::new(&config.allowed_origins));
        let mut builtins: Vec<Arc<dyn Filter>> = Vec::new();
        if config.presence.client_identity {
            builtins.push(Arc::new(cluster::ClientIdentity));
        }
        if let Some(param) = &config.cluster.takeover_key {
            builtins.push(Arc::new(cluster::Takeover::new(param)));
        }
        builtins.push(Arc::new(Multipart));
        builtins.push(Arc::new(PubSub));
        builtins.push(Arc::new(HistoryRequest));
        builtins.push(Arc::new(cluster::PresenceRequest));
        builtins.push(upstream.clone() as Arc<dyn Filter>);
        let ids = IdMaker::new();
        let joined = cluster::join(&config, ids.node()).await?;
        let mut extensions = http::Extensions::new();
        extensions.insert(joined.extension());
        if let Some(t) = tokens {
            extensions.insert(t);
        }
        if let Some(a) = admin {
            extensions.insert(a);
        }
        // One node's streams; a cluster that keeps history in JetStream shares its own instead.
        let history: Arc<dyn HistoryStore> = Arc::new(MemoryHistory::new());
        let handle = Handle::new(config, ids, joined.broker(), history, extensions, joined.listeners());
        joined.share_history(&handle);
        Ok(Server {
            handle,
            processors: Vec::new(),
            filters: Vec::new(),
            builtins,
            authenticate,
            upstream,
            origins,
            tls,
            cluster: joined,
        })
    }

    /// The handle on this server's state (usable before and while it runs).
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Registers the processor for `command` (replacing an earlier one).
    /// The reserved commands `connected`, `ack` and `error` are refused when the server runs.
    pub fn processor(mut self, command: &str, processor: impl Processor) -> Self {
        self.processors.push((command.to_string(), Arc::new(processor)));
        self
    }

    /// Adds a filter; user filters run in registration order, before the built-in
    /// ones (but after the connection-token checks, spec 14: a filter sees the
    /// connection's [`Context::uid`](crate::Context::uid) and may refuse on top of
    /// the namespaces' rules).
    pub fn filter(mut self, filter: impl Filter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Serves `listener` until `shutdown` completes (or [`Handle::shutdown`] is
    /// called), then stops accepting, closes every connection with 1001 and
    /// waits for the connections and in-flight upstream calls to end, up to the
    /// configured grace period.
    pub async fn run(self, listener: TcpListener, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server {
            handle,
            processors,
            filters,
            builtins,
            authenticate,
            upstream,
            origins,
            tls,
            cluster,
        } = self;
        let pipeline = pipeline(processors, authenticate, filters, builtins)?;
        // Held until the run ends: the shard threads stop with it.
        let _shards_running = match handle.config().shards {
            0 => None,
            count => {
                let (shards, running) = crate::shard::Shards::start(count)?;
                handle.use_shards(shards);
                Some(running)
            }
        };
        cluster.start(&handle);
        tokio::spawn(sweep_history(handle.clone()));
        tokio::spawn(keep_alive(handle.clone()));
        // The most permits a semaphore holds, and that `acquire_many` can wait for.
        let max = handle
            .config()
            .limits
            .max_connections
            .min(Semaphore::MAX_PERMITS)
            .min(u32::MAX as usize);
        let permits = Arc::new(Semaphore::new(max));
        let app = App {
            handle: handle.clone(),
            pipeline: Arc::new(pipeline),
            origins,
            permits: permits.clone(),
        };
        let mut stop = handle.shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(accepted_connection(app.clone(), peer, stream, tls.clone()));
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                _ = &mut shutdown => break,
                _ = stop.recv() => break,
            }
        }
        drop(listener);
        tracing::info!("shutting down: closing connections");
        handle.shutdown();
        let deadline = tokio::time::Instant::now() + handle.config().limits.shutdown_grace;
        // Every permit back: every connection, upgrades in progress included, has ended.
        let all = u32::try_from(max).unwrap_or(u32::MAX);
        if tokio::time::timeout_at(deadline, permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::debug!("connections still open after the grace period");
        }
        if !upstream
            .drain(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            tracing::warn!("upstream calls still running after the grace period");
        }
        Ok(())
    }

    /// The handle and the pipeline this server would run, without a listener
    /// or any task (the fuzz targets' way in, `fuzzing`).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn into_pipeline(self) -> io::Result<(Handle, Pipeline)> {
        let pipeline = pipeline(self.processors, self.authenticate, self.filters, self.builtins)?;
        Ok((self.handle, pipeline))
    }
}

/// The pipeline of the registered processors, and the filters: the connection-token
/// checks, the user's filters, then the built-in ones.
fn pipeline(
    processors: Vec<(String, Arc<dyn Processor>)>,
    authenticate: Arc<dyn Filter>,
    user_filters: Vec<Arc<dyn Filter>>,
    builtins: Vec<Arc<dyn Filter>>,
) -> io::Result<Pipeline> {
    let mut map = HashMap::new();
    let mut order = Vec::new();
    for (command, p) in processors {
        if reply::is_reserved(&command) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("command {command:?} is reserved"),
            ));
        }
        order.push(p.clone());
        map.insert(command, p);
    }
    let mut filters = vec![authenticate];
    filters.extend(user_filters);
    filters.extend(builtins);
    Ok(Pipeline {
        processors: map,
        order,
        filters,
    })
}

/// How often expired history is dropped and idle streams evicted.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// How many slices [`keep_alive`] cuts the connections into.
const KEEP_ALIVE_SLICES: u64 = 16;

/// Pings every connection once per ping interval (and closes the silent ones),
/// a slice of them at a time, until the server shuts down: one timer for the
/// node, none held or polled by each connection.
async fn keep_alive(handle: Handle) {
    let limits = &handle.config().limits;
    let every = limits.ping_interval.min(limits.idle_timeout) / KEEP_ALIVE_SLICES as u32;
    let mut stop = handle.shutdown_signal();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut slice = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => handle.keep_alive(slice, KEEP_ALIVE_SLICES),
            _ = stop.recv() => break,
        }
        slice = (slice + 1) % KEEP_ALIVE_SLICES;
    }
}

/// Sweeps the history streams until the server shuts down, so memory follows
/// the ttl even on channels nobody publishes to or reads any more.
async fn sweep_history(handle: Handle) {
    let mut stop = handle.shutdown_signal();
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => handle.sweep_history(),
            _ = stop.recv() => break,
        }
    }
}

/// One accepted connection: its TLS handshake first when the server has TLS
/// (within the header timeout; a failed one ends only this connection), then HTTP.
async fn accepted_connection(app: App, peer: std::net::SocketAddr, stream: TcpStream, tls: Option<TlsAcceptor>) {
    let Some(tls) = tls else {
        return serve(app, peer, stream).await;
    };
    let limit = app.handle.config().limits.header_timeout;
    match tokio::time::timeout(limit, tls.accept(stream)).await {
        Ok(Ok(stream)) => serve(app, peer, stream).await,
        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

/// Serves HTTP/1.1 (and WebSocket upgrades) on one accepted connection, plain or TLS.
async fn serve<S>(app: App, peer: std::net::SocketAddr, stream: S)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = app.handle.config().limits.header_timeout;
    let service = service_fn(move |req| dispatch(app.clone(), peer, req));
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "http connection ended");
    }
}
