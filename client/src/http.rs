//! Publishing over plain HTTP (`POST {base}/publish`), for programs that do not keep
//! a WebSocket open: the successor of the original's `Publish` tool. `http://` and
//! `ws://` bases use plain TCP; `https://` and `wss://` use rustls with the system roots.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{tls, Error, Message};

/// The longest an HTTP publish may take, connection included.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Publishes to `channels` through the server's HTTP endpoint and returns the number
/// of deliveries it reports.
///
/// `base_url` is the server's address (`http://host:port`, a `ws://` URL works too);
/// `token` is sent as `Authorization: Bearer <token>`. A `400` answer becomes
/// [`Error::Server`] with the error name the server gave, `401` becomes
/// `Error::Server { code: "Unauthorized", .. }`, any other status `Http<status>`.
pub async fn http_publish(
    base_url: &str,
    channels: &[&str],
    command: &str,
    headers: &[(String, String)],
    body: &[u8],
    token: Option<&str>,
) -> Result<u64, Error> {
    // Core writes the list (a name with a space would make two channels); no
    // channel at all is left to the server, which answers `NoChannel`.
    let list = if channels.is_empty() {
        String::new()
    } else {
        lhttp_core::channel::list(channels)?
    };
    let mut msg = Message::new(command);
    for (name, value) in headers {
        msg = msg.with_header(name.as_str(), value.as_str());
    }
    let payload = msg
        .with_header(lhttp_core::names::PUBLISH, list)
        .with_body(body)
        .encode()?;
    tokio::time::timeout(HTTP_TIMEOUT, post(base_url, payload, token))
        .await
        .map_err(|_| Error::Timeout)?
}

/// [`http_publish`] on a runtime of its own, for callers without one.
pub fn http_publish_blocking(
    base_url: &str,
    channels: &[&str],
    command: &str,
    headers: &[(String, String)],
    body: &[u8],
    token: Option<&str>,
) -> Result<u64, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(http_publish(base_url, channels, command, headers, body, token))
}

async fn post(base_url: &str, payload: Vec<u8>, token: Option<&str>) -> Result<u64, Error> {
    let mut url = url::Url::parse(base_url).map_err(|e| unreachable_host(format!("bad URL {base_url:?}: {e}")))?;
    let secure = match url.scheme() {
        "http" | "ws" => false,
        "https" | "wss" => true,
        other => return Err(unreachable_host(format!("unsupported URL scheme {other:?}"))),
    };
    url.set_path("/publish");
    url.set_query(None);
    let host = url
        .host_str()
        .ok_or_else(|| unreachable_host("the URL has no host".into()))?
        .to_owned();
    let port = url.port().unwrap_or(if secure { 443 } else { 80 });
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| unreachable_host(format!("{authority}: {e}")))?;
    let _ = tcp.set_nodelay(true);

    let mut request = http::Request::post("/publish")
        .header(http::header::HOST, authority)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8");
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| unreachable_host(format!("bad request: {e}")))?;

    let (status, body) = if secure {
        let name = rustls_pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(|e| unreachable_host(format!("bad host name: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(tls::client_config(None)?)
            .connect(name, tcp)
            .await
            .map_err(|e| unreachable_host(format!("TLS: {e}")))?;
        exchange(TokioIo::new(tls), request).await?
    } else {
        exchange(TokioIo::new(tcp), request).await?
    };
    answer(status, &body)
}

/// The error for a server that could not be reached or spoken to.
fn unreachable_host(reason: String) -> Error {
    Error::Connect { status: None, reason }
}

/// Sends one request on a fresh HTTP/1 connection and reads the whole answer.
async fn exchange<T>(io: T, request: http::Request<Full<Bytes>>) -> Result<(http::StatusCode, Bytes), Error>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| unreachable_host(format!("HTTP handshake: {e}")))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| Error::Io(format!("HTTP request: {e}")))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| Error::Io(format!("HTTP response: {e}")))?
        .to_bytes();
    Ok((status, body))
}

/// Reads the server's JSON answer.
fn answer(status: http::StatusCode, body: &[u8]) -> Result<u64, Error> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| json.as_ref().and_then(|j| j.get(name).cloned());
    let text = || String::from_utf8_lossy(body).trim().to_owned();
    match status.as_u16() {
        200 => field("deliveries")
            .and_then(|d| d.as_u64())
            .ok_or_else(|| Error::Io(format!("unexpected publish answer: {}", text()))),
        400 => Err(Error::Server {
            code: field("error")
                .and_then(|e| e.as_str().map(str::to_owned))
                .unwrap_or_else(|| "Http400".into()),
            detail: field("detail")
                .and_then(|d| d.as_str().map(str::to_owned))
                .unwrap_or_else(text),
            command: None,
            id: None,
        }),
        401 => Err(Error::Server {
            code: "Unauthorized".into(),
            detail: "the server wants a valid bearer token".into(),
            command: None,
            id: None,
        }),
        other => Err(Error::Server {
            code: format!("Http{other}"),
            detail: text(),
            command: None,
            id: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_results() {
        assert_eq!(answer(http::StatusCode::OK, br#"{"deliveries":3}"#), Ok(3));
        let bad = answer(http::StatusCode::BAD_REQUEST, br#"{"error":"HeaderValue"}"#).unwrap_err();
        assert_eq!(bad.name(), "HeaderValue");
        let unauthorized = answer(http::StatusCode::UNAUTHORIZED, b"").unwrap_err();
        assert_eq!(unauthorized.name(), "Unauthorized");
        assert_eq!(
            answer(http::StatusCode::NOT_FOUND, b"nope").unwrap_err().name(),
            "Http404"
        );
        assert_eq!(answer(http::StatusCode::OK, b"{}").unwrap_err().name(), "Io");
    }
}
