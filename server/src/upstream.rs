//! The built-in `upstream:<METHOD> <URL>` header: forwards a message to an HTTP
//! or HTTPS backend without blocking the connection, within a timeout and a
//! server-wide concurrency limit, and only to URL prefixes the operator allowed
//! (the original fetched any URL a client named: SSRF).

use crate::context::Context;
use crate::filter::{Filter, Reject};
use crate::handle::Handle;
use crate::reply;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use lhttp_core::{names, Header, ServerError};
use rustls_pki_types::ServerName;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use url::Url;

/// The URL prefixes upstream calls may reach.
#[derive(Debug, Clone, Default)]
pub struct Allow {
    prefixes: Vec<String>,
}

impl Allow {
    /// Checks that `prefix` is an `http://` or `https://` URL prefix without user info.
    pub fn check_prefix(prefix: &str) -> Result<String, String> {
        let url = Url::parse(prefix).map_err(|e| format!("upstream prefix {prefix:?}: {e}"))?;
        if !is_web(&url) || url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "upstream prefix {prefix:?} must be an http:// or https:// URL without user info"
            ));
        }
        Ok(url.to_string())
    }

    /// The allow-list of the given prefixes (invalid ones are left out; `Server::build` refuses them).
    pub fn new(prefixes: &[String]) -> Self {
        Allow {
            prefixes: prefixes.iter().filter_map(|p| Allow::check_prefix(p).ok()).collect(),
        }
    }

    /// Whether some allowed prefix is `https://` (prefixes are stored normalized).
    pub fn reaches_https(&self) -> bool {
        self.prefixes.iter().any(|p| p.starts_with("https:"))
    }

    /// Whether `url` lies under an allowed prefix, at a path boundary.
    pub fn allows(&self, url: &Url) -> bool {
        if !is_web(url) || !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let u = url.as_str();
        self.prefixes.iter().any(|p| {
            u.strip_prefix(p.as_str())
                .is_some_and(|rest| p.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#']))
        })
    }
}

/// Whether `url` is `http://` or `https://`.
fn is_web(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// The TLS settings for `https://` upstream calls: the system's roots plus the
/// CA file `ca` (`lhttp-tls`, as the client). An error names a CA file that
/// cannot be read or used.
pub(crate) fn tls_config(ca: Option<&Path>) -> Result<Arc<lhttp_tls::ClientConfig>, String> {
    let ca = match ca {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("upstream CA {}: {e}", path.display()))?),
        None => None,
    };
    lhttp_tls::client_config(ca.as_deref()).map_err(|e| format!("TLS for https:// upstream: {e}"))
}

/// The upstream filter and what its calls share.
#[derive(Debug)]
pub struct Upstream {
    allow: Allow,
    /// Bounds concurrent calls server-wide; shutdown waits for every permit.
    permits: Arc<Semaphore>,
    /// Number of permits (the configured concurrency).
    concurrency: usize,
    timeout: Duration,
    reply: bool,
    max_body: usize,
    /// For `https://` backends; `None` when no allowed prefix is `https://`.
    tls: Option<Arc<lhttp_tls::ClientConfig>>,
}

impl Upstream {
    /// The filter for a server's settings. Fails when an `https://` prefix is
    /// allowed and its TLS settings (the CA file) cannot be used.
    pub fn new(config: &crate::Config) -> Result<Self, String> {
        let concurrency = config.upstream_concurrency.max(1);
        let allow = Allow::new(&config.upstream_allow);
        let tls = if allow.reaches_https() {
            Some(tls_config(config.upstream_ca.as_deref())?)
        } else {
            None
        };
        Ok(Upstream {
            allow,
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            timeout: config.upstream_timeout,
            reply: config.upstream_reply,
            max_body: config.limits.max_message_size,
            tls,
        })
    }

    /// Waits until no call is in flight, up to `grace`; `false` if some were still running.
    pub async fn drain(&self, grace: Duration) -> bool {
        let all = u32::try_from(self.concurrency).unwrap_or(u32::MAX);
        tokio::time::timeout(grace, self.permits.acquire_many(all))
            .await
            .is_ok()
    }
}

impl Filter for Upstream {
    fn after_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let Some(up) = ctx.request().and_then(|m| m.upstream()) else {
            return Ok(());
        };
        let metrics = ctx.handle().metrics();
        // A refusal is no call started: the request never goes out.
        let refuse = |code: &'static str, detail: &str| {
            metrics.upstream_refused.inc();
            metrics.upstream_failures.inc();
            Reject::new(code, detail.to_string())
        };
        let up = up.map_err(|e| refuse(e.as_str(), e.description()))?;
        let url = Url::parse(up.url)
            .map_err(|_| refuse(ServerError::UpstreamRefused.as_str(), "upstream URL is not a valid URL"))?;
        if !self.allow.allows(&url) {
            return Err(refuse(
                ServerError::UpstreamRefused.as_str(),
                "upstream URL not allowed by this server",
            ));
        }
        let method = http::Method::from_bytes(up.method.as_bytes())
            .map_err(|_| refuse(lhttp_core::Error::Upstream.as_str(), "bad method"))?;
        let permit = self.permits.clone().try_acquire_owned().map_err(|_| {
            refuse(
                ServerError::UpstreamFailed.as_str(),
                "too many upstream calls in flight",
            )
        })?;
        let call = Call {
            method,
            url,
            headers: ctx
                .headers()
                .iter()
                .filter(|h| !names::NOT_FORWARDED.iter().any(|n| n.eq_ignore_ascii_case(h.name)))
                .map(|h| (h.name.to_string(), h.value.to_string()))
                .chain([
                    (
                        lhttp_core::reply::headers::LHTTP_COMMAND.to_string(),
                        ctx.command().to_string(),
                    ),
                    (
                        lhttp_core::reply::headers::LHTTP_CLIENT_ID.to_string(),
                        ctx.client_id().to_string(),
                    ),
                ])
                .collect(),
            body: Bytes::copy_from_slice(ctx.body()),
            max_body: self.max_body,
            tls: self.tls.clone(),
        };
        let command = ctx.command().to_string();
        let id = ctx.header(names::ID).map(str::to_string);
        let conn = ctx.conn().clone();
        let handle = ctx.handle().clone();
        let (timeout, reply_on) = (self.timeout, self.reply);
        metrics.upstream_calls.inc();
        tokio::spawn(async move {
            let _permit = permit;
            let started = std::time::Instant::now();
            let answer = tokio::time::timeout(timeout, call.run()).await;
            handle.metrics().upstream_took(started.elapsed());
            let outcome = match answer {
                Err(_) => Err((
                    ServerError::UpstreamTimeout,
                    format!("backend did not answer within {timeout:?}"),
                )),
                Ok(Err(e)) => Err((ServerError::UpstreamFailed, e)),
                Ok(Ok((status, _))) if !status.is_success() => {
                    Err((ServerError::UpstreamFailed, format!("backend answered {status}")))
                }
                Ok(Ok(ok)) => Ok(ok),
            };
            let frame = match outcome {
                Ok((status, body)) if reply_on => {
                    let code = status.as_u16().to_string();
                    let mut headers = vec![Header {
                        name: reply::headers::UPSTREAM_STATUS,
                        value: &code,
                    }];
                    if let Some(id) = &id {
                        headers.push(Header {
                            name: reply::headers::ID,
                            value: id,
                        });
                    }
                    reply::encode_bytes(&command, &headers, &body).ok().map(reply::frame)
                }
                Ok(_) => None,
                Err((code, detail)) => {
                    failed(&handle, code.as_str());
                    Some(reply::error_frame(
                        code.as_str(),
                        &detail,
                        Some(&command),
                        id.as_deref(),
                    ))
                }
            };
            if let Some(f) = frame {
                let _ = conn.outbox().push(f);
            }
        });
        Ok(())
    }
}

/// Counts a call that went out and failed, and its error reply.
fn failed(handle: &Handle, code: &str) {
    handle.metrics().upstream_failures.inc();
    handle.metrics().error(code);
}

/// One HTTP request to a backend.
struct Call {
    method: http::Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Bytes,
    max_body: usize,
    tls: Option<Arc<lhttp_tls::ClientConfig>>,
}

impl Call {
    async fn run(self) -> Result<(http::StatusCode, Bytes), String> {
        let host = self.url.host_str().ok_or("URL has no host")?.to_string();
        let port = self.url.port_or_known_default().unwrap_or(80);
        let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("cannot reach backend: {e}"))?;
        let request = self.request(&host)?;
        if self.url.scheme() != "https" {
            return exchange(TokioIo::new(stream), request, self.max_body).await;
        }
        let config = self.tls.clone().ok_or("no TLS configuration for https:// upstream")?;
        let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(|e| format!("backend name {host:?}: {e}"))?;
        let stream = TlsConnector::from(config)
            .connect(name, stream)
            .await
            .map_err(|e| format!("TLS with backend: {e}"))?;
        exchange(TokioIo::new(stream), request, self.max_body).await
    }

    /// The HTTP request for the backend.
    fn request(&self, host: &str) -> Result<http::Request<Full<Bytes>>, String> {
        let path = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        };
        let host_header = match self.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let sends_body = !matches!(self.method, http::Method::GET | http::Method::HEAD);
        let mut req = http::Request::builder()
            .method(self.method.clone())
            .uri(path)
            .header(http::header::HOST, host_header);
        for (n, v) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(n.as_bytes()),
                http::HeaderValue::from_str(v),
            ) {
                req = req.header(n, v);
            }
        }
        let body = if sends_body { self.body.clone() } else { Bytes::new() };
        req.body(Full::new(body)).map_err(|e| e.to_string())
    }
}

/// Sends `request` over `io` (plain TCP or TLS) and reads the answer, at most `max_body` bytes of it.
async fn exchange<IO>(
    io: IO,
    request: http::Request<Full<Bytes>>,
    max_body: usize,
) -> Result<(http::StatusCode, Bytes), String>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("backend handshake: {e}"))?;
    tokio::spawn(conn);
    let resp = sender
        .send_request(request)
        .await
        .map_err(|e| format!("backend request: {e}"))?;
    let status = resp.status();
    let body = Limited::new(resp.into_body(), max_body)
        .collect()
        .await
        .map_err(|e| format!("backend response: {e}"))?
        .to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(allow: &Allow, url: &str) -> bool {
        allow.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn only_urls_under_an_allowed_prefix_at_a_path_boundary_pass() {
        let allow = Allow::new(&["http://127.0.0.1:9000/api".into(), "https://backend.example/".into()]);
        assert!(allows(&allow, "http://127.0.0.1:9000/api"));
        assert!(allows(&allow, "http://127.0.0.1:9000/api/record"));
        assert!(allows(&allow, "http://127.0.0.1:9000/api?x=1"));
        assert!(allows(&allow, "https://backend.example/anything"));
        assert!(!allows(&allow, "http://127.0.0.1:9000/apix"), "not at a boundary");
        assert!(!allows(&allow, "http://127.0.0.1:9001/api"));
        assert!(!allows(&allow, "http://backend.example/anything"), "the scheme counts");
        assert!(!allows(&allow, "https://user@backend.example/anything"), "no user info");
        assert!(!allows(&allow, "ftp://127.0.0.1:9000/api"));
        assert!(allow.reaches_https());
    }

    #[test]
    fn nothing_is_allowed_by_default_and_bad_prefixes_are_refused() {
        let none = Allow::new(&[]);
        assert!(!allows(&none, "http://127.0.0.1/"));
        assert!(!none.reaches_https());
        for bad in ["not a url", "ftp://x/", "http://u:p@x/", "file:///etc"] {
            assert!(Allow::check_prefix(bad).is_err(), "{bad}");
        }
        assert_eq!(Allow::check_prefix("HTTP://X:80/a").unwrap(), "http://x/a");
        let mixed = Allow::new(&["ftp://x/".into(), "http://ok/".into()]);
        assert!(allows(&mixed, "http://ok/x") && !mixed.reaches_https());
    }
}
