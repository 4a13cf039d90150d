//! The entry point: a `Server` collects processors and filters, then serves a
//! listener until a shutdown future completes, and shuts down gracefully.

use crate::config::Config;
use crate::filter::Filter;
use crate::handle::Handle;
use crate::http::{route, App};
use crate::pipeline::Pipeline;
use crate::processor::Processor;
use crate::pubsub::{Multipart, PubSub};
use crate::reply;
use crate::upstream::Upstream;
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
/// Server::new(Config::default())
///     .processor("chat", Chat)
///     .run(listener, async { let _ = tokio::signal::ctrl_c().await; })
///     .await
/// # }
/// ```
pub struct Server {
    handle: Handle,
    processors: Vec<(String, Arc<dyn Processor>)>,
    filters: Vec<Arc<dyn Filter>>,
}

impl Server {
    /// A server with `config`, the built-in headers, and no processors yet.
    pub fn new(config: Config) -> Self {
        Server {
            handle: Handle::new(config),
            processors: Vec::new(),
            filters: Vec::new(),
        }
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

    /// Adds a filter; user filters run in registration order, before the built-in ones.
    pub fn filter(mut self, filter: impl Filter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Serves `listener` until `shutdown` completes (or [`Handle::shutdown`] is
    /// called), then stops accepting, closes every connection with 1001 and
    /// waits for in-flight upstream calls up to the configured grace period.
    pub async fn run(self, listener: TcpListener, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server {
            handle,
            processors,
            mut filters,
        } = self;
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
        let upstream = Upstream::new(handle.config()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let upstream = Arc::new(upstream);
        if let Some(param) = &handle.config().cluster.takeover_key {
            filters.push(Arc::new(crate::cluster::Takeover::new(param)));
        }
        crate::cluster::start(&handle).await?;
        filters.push(Arc::new(Multipart));
        filters.push(Arc::new(PubSub));
        filters.push(upstream.clone() as Arc<dyn Filter>);
        let app = App {
            handle: handle.clone(),
            pipeline: Arc::new(Pipeline {
                processors: map,
                order,
                filters,
            }),
            origins: Arc::new(crate::origin::Origins::new(&handle.config().allowed_origins)),
        };
        let tls = crate::tls::acceptor(handle.config()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut stop = handle.shared.shutdown.subscribe();
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
                _ = async { let _ = stop.wait_for(|down| *down).await; } => break,
            }
        }
        drop(listener);
        tracing::info!("shutting down: closing connections");
        handle.shutdown();
        let grace = handle.config().limits.shutdown_grace;
        let deadline = tokio::time::Instant::now() + grace;
        let busy =
            |h: &Handle| h.connection_count() > 0 || h.shared.upgrading.load(std::sync::atomic::Ordering::SeqCst) > 0;
        while busy(&handle) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if !upstream
            .drain(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            tracing::warn!("upstream calls still running after the grace period");
        }
        Ok(())
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
    let service = service_fn(move |req| route(app.clone(), peer, req));
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
