//! One `GET` of a key set from its URL (plain or TLS, the system's roots), bounded
//! in time and size: the only HTTP call token verification makes.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsConnector;
use url::Url;

/// The largest key set read, in bytes.
const MAX_BODY: usize = 256 * 1024;
/// The longest a fetch may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The body of `GET url`, when it answers 200.
pub(crate) async fn get(url: &Url, tls: Option<Arc<lhttp_tls::ClientConfig>>) -> Result<Bytes, String> {
    tokio::time::timeout(TIMEOUT, fetch(url, tls))
        .await
        .map_err(|_| format!("no answer within {TIMEOUT:?}"))?
}

async fn fetch(url: &Url, tls: Option<Arc<lhttp_tls::ClientConfig>>) -> Result<Bytes, String> {
    let host = url
        .host_str()
        .ok_or("the URL has no host")?
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let request = http::Request::get(path)
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    if url.scheme() != "https" {
        return exchange(TokioIo::new(stream), request).await;
    }
    let config = tls.ok_or("no TLS configuration")?;
    let name = ServerName::try_from(host.clone()).map_err(|e| format!("host {host:?}: {e}"))?;
    let stream = TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    exchange(TokioIo::new(stream), request).await
}

async fn exchange<IO>(io: IO, request: http::Request<Empty<Bytes>>) -> Result<Bytes, String>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let resp = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    if resp.status() != http::StatusCode::OK {
        return Err(format!("answered {}", resp.status()));
    }
    Ok(Limited::new(resp.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes())
}
