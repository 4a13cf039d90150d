//! The HTTP side of the single port: WebSocket upgrades on any path,
//! `POST /publish`, `GET /healthz`, `GET /metrics`, and static files.

use crate::connection;
use crate::context::Handshake;
use crate::handle::Handle;
use crate::pipeline::Pipeline;
use crate::{reply, statics};
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use lhttp_core::{parse, ServerError, EMPTY_HEADER};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// What every request needs.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) handle: Handle,
    pub(crate) pipeline: Arc<Pipeline>,
    /// Which pages may open a WebSocket.
    pub(crate) origins: Arc<crate::origin::Origins>,
    /// One permit per open connection (`max_connections` in all), taken before
    /// the upgrade is answered and held until the connection ends, so the limit
    /// is exact and shutdown can wait for every connection by taking them all.
    pub(crate) permits: Arc<Semaphore>,
}

type Body = Full<Bytes>;

/// Routes one HTTP request: `/admin` (not an upgrade) to the admin API, which
/// may stream its answer, the others to [`route`].
pub(crate) async fn dispatch(
    app: App,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<crate::admin::Body>, std::convert::Infallible> {
    if crate::admin::is_admin(req.uri().path()) && !is_upgrade(&req) {
        return Ok(crate::admin::route(&app.handle, peer, req).await);
    }
    route(app, peer, req).await.map(crate::admin::boxed)
}

/// Routes one HTTP request.
pub(crate) async fn route(
    app: App,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    if is_upgrade(&req) {
        return Ok(upgrade(app, peer, req).await);
    }
    let resp = match (req.method(), req.uri().path()) {
        (&Method::POST, "/publish") => publish(&app.handle, req).await,
        (&Method::POST, "/api/history") => crate::history_http::call(&app.handle, req).await,
        (&Method::POST, "/api/presence") => crate::presence_http::call(&app.handle, req, true).await,
        (&Method::POST, "/api/presence_stats") => crate::presence_http::call(&app.handle, req, false).await,
        (&Method::POST, p) if p.starts_with("/api/") => crate::directory_http::call(&app.handle, req).await,
        (&Method::GET, "/healthz") => healthz(&app.handle),
        (&Method::GET, "/metrics") => {
            let h = &app.handle;
            let streams = i64::try_from(h.history_streams()).unwrap_or(i64::MAX);
            h.metrics().history_streams.set(streams);
            let broker = h.broker();
            let body = h.metrics().render(h.channel_count(), broker.is_up(), broker.dropped());
            respond(StatusCode::OK, crate::metrics::CONTENT_TYPE, body)
        }
        (&Method::GET | &Method::HEAD, path) => {
            static_file(&app.handle, path, req.headers().get(header::IF_NONE_MATCH)).await
        }
        _ => refused(StatusCode::METHOD_NOT_ALLOWED, ServerError::MethodNotAllowed),
    };
    Ok(resp)
}

fn is_upgrade(req: &Request<Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    req.method() == Method::GET && has(header::UPGRADE, "websocket") && has(header::CONNECTION, "upgrade")
}

/// The connection token of an upgrade's `Authorization: Bearer` header (spec
/// 14.2), verified (waiting for the key set if it must be fetched); `Ok(None)`
/// without the header, `Err` with the 401 answer when it is refused.
async fn bearer_token(
    handle: &Handle,
    req: &Request<Incoming>,
) -> Result<Option<crate::token::Verified>, Box<Response<Body>>> {
    let Some(token) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Ok(None);
    };
    let tokens = handle.extension::<Arc<crate::token::Tokens>>().cloned();
    let refuse = |code: ServerError, detail: &str| {
        handle.metrics().tokens_refused.inc();
        handle.warn_token_refused("an upgrade's Authorization header", code, detail);
        Err(Box::new(error(StatusCode::UNAUTHORIZED, code.as_str(), Some(detail))))
    };
    let Some(tokens) = tokens else {
        return refuse(ServerError::Unauthorized, "this server verifies no tokens");
    };
    if let Some(fetch) = tokens.key_fetch(token) {
        fetch.await;
    }
    match tokens.connection(token) {
        Ok(v) => Ok(Some(v)),
        Err(crate::token::Refusal::Expired) => refuse(ServerError::TokenExpired, "the token has expired"),
        Err(crate::token::Refusal::Invalid(why)) => {
            refuse(ServerError::Unauthorized, &format!("the token is refused: {why}"))
        }
    }
}

async fn upgrade(app: App, peer: SocketAddr, mut req: Request<Incoming>) -> Response<Body> {
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()));
    let version_ok = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    let Some(accept) = key.filter(|_| version_ok) else {
        return refused(StatusCode::BAD_REQUEST, ServerError::BadHandshake);
    };
    if let Some(refusal) = over_connection_rate(&app.handle, peer) {
        return refusal;
    }
    let header_text = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    let origin = header_text(header::ORIGIN);
    if !app.origins.allows(origin, header_text(header::HOST)) {
        let origin = origin.unwrap_or_default();
        if let Some(left_out) = app.handle.rates().origin_warning.allow(std::time::Instant::now()) {
            tracing::warn!(
                %peer,
                origin,
                similar_lines_left_out = left_out,
                "a page of another origin tried to open a WebSocket: refused with HTTP 403 OriginNotAllowed; \
                 if that page is yours, start lhttpd with --allowed-origin {origin} (or [allowed_origins] in \
                 the TOML file)"
            );
        }
        let detail =
            format!("pages from {origin} may not connect here: the operator can allow them with --allowed-origin");
        return error(
            StatusCode::FORBIDDEN,
            ServerError::OriginNotAllowed.as_str(),
            Some(&detail),
        );
    }
    if app.handle.is_shutting_down() {
        return refused(StatusCode::SERVICE_UNAVAILABLE, ServerError::ShuttingDown);
    }
    let verified = match bearer_token(&app.handle, &req).await {
        Ok(v) => v,
        Err(refusal) => return *refusal,
    };
    if verified.is_some() {
        // Verified: the credential is not kept where a filter could log it.
        req.headers_mut().remove(header::AUTHORIZATION);
    }
    let Ok(permit) = app.permits.clone().try_acquire_owned() else {
        return refused(StatusCode::SERVICE_UNAVAILABLE, ServerError::TooManyConnections);
    };
    // Boxed: the connection's task keeps a pointer, not the handshake's bytes,
    // in its state for as long as the connection lives (idle memory).
    let handshake = Box::new(Handshake {
        uri: req.uri().clone(),
        headers: req.headers().clone(),
        peer,
        verified,
    });
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            // The permit is released when the connection has ended.
            Ok(upgraded) => {
                connection::run_upgraded(app.handle, app.pipeline, upgraded, handshake, permit).await;
            }
            Err(e) => tracing::debug!(error = %e, "upgrade failed"),
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::default())
        .unwrap_or_default()
}

/// The 429 answer of an upgrade over its address's connection rate, counted and
/// (throttled) logged; `None` within the rate or without one.
fn over_connection_rate(handle: &Handle, peer: SocketAddr) -> Option<Response<Body>> {
    let rates = handle.rates();
    let limit = rates.connections.as_ref()?;
    let now = std::time::Instant::now();
    let retry = limit.connect(peer.ip(), now).err()?;
    handle.metrics().rate_limited_connections.inc();
    let l = limit.limit();
    if let Some(left_out) = rates.connection_warning.allow(now) {
        tracing::warn!(
            %peer,
            limit = %format!("{}/s, burst {}", l.rate, l.burst),
            similar_lines_left_out = left_out,
            "an address opens WebSocket connections faster than the connection rate limit: refused with \
             HTTP 429; if this is legitimate (behind a proxy or a NAT every client has its address), raise \
             --connection-rate / --connection-burst ([limits] connection_rate, connection_burst) or set 0"
        );
    }
    let detail = format!(
        "at most {} new connections per second from one address, bursts of {}: retry in {retry} s",
        l.rate, l.burst
    );
    let mut resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        ServerError::RateLimited.as_str(),
        Some(&detail),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(retry));
    Some(resp)
}

/// Whether the request carries the configured bearer token (or none is configured).
pub(crate) fn authorized(handle: &Handle, req: &Request<Incoming>) -> bool {
    let Some(token) = &handle.config().publish_token else {
        return true;
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // subtle's comparison: its time does not depend on where the bytes differ.
    subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into()
}

/// The 401 answer of every route protected by the bearer token.
/// The JSON arguments of an API call (`POST /api/...`) with the publish token
/// checked: at most `max` bytes, unknown fields refused as `T` says. The error
/// is the answer to send: 401, 413, or 400 `BadRequest` naming what is wrong.
pub(crate) async fn json_args<T: serde::de::DeserializeOwned>(
    handle: &Handle,
    req: Request<Incoming>,
    max: usize,
) -> Result<T, Response<Body>> {
    use http_body_util::{BodyExt, Limited};
    if !authorized(handle, &req) {
        return Err(unauthorized());
    }
    let body = match Limited::new(req.into_body(), max).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                ServerError::MessageTooLarge.as_str(),
                None,
            ))
        }
    };
    serde_json::from_slice::<T>(&body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            ServerError::BadRequest.as_str(),
            Some(&e.to_string()),
        )
    })
}

pub(crate) fn unauthorized() -> Response<Body> {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::WWW_AUTHENTICATE, "Bearer")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(error_body(
            ServerError::Unauthorized.as_str(),
            None,
        ))))
        .unwrap_or_default()
}

async fn publish(handle: &Handle, req: Request<Incoming>) -> Response<Body> {
    if !authorized(handle, &req) {
        return unauthorized();
    }
    let limits = &handle.config().limits;
    let body = match Limited::new(req.into_body(), limits.max_message_size).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return refused(StatusCode::PAYLOAD_TOO_LARGE, ServerError::MessageTooLarge),
    };
    let mut storage = vec![EMPTY_HEADER; limits.max_headers];
    let msg = match parse(&body, &mut storage) {
        Ok(m) => m,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.as_str(), Some(e.description())),
    };
    let channels: Vec<&str> = msg.publish().collect();
    if channels.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            ServerError::NoChannel.as_str(),
            Some("the message has no publish header"),
        );
    }
    if channels.len() > limits.max_channels {
        return refused(StatusCode::BAD_REQUEST, ServerError::TooManyChannels);
    }
    handle.metrics().http_publishes.inc();
    let owned: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
    let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
    // A header only the server sets is not the backend's to forge either (13.3).
    let body = if msg.headers.iter().any(|h| reply::is_server_set(h.name)) {
        let kept: Vec<_> = msg
            .headers
            .iter()
            .filter(|h| !reply::is_server_set(h.name))
            .copied()
            .collect();
        match reply::encode_bytes(msg.command, &kept, msg.body) {
            Ok(b) => b,
            Err(e) => return error(StatusCode::BAD_REQUEST, e.as_str(), Some(e.description())),
        }
    } else {
        body.clone()
    };
    drop(storage);
    let (out, pending) = handle.publish_later(&refs, body);
    let mut positions: Vec<(String, String)> = out
        .positions
        .iter()
        .map(|(ch, p)| (ch.clone(), p.as_position().to_string()))
        .collect();
    for (ch, p) in pending {
        match p.await {
            Ok(p) => positions.push((ch, p.as_position().to_string())),
            Err(r) => return error(StatusCode::SERVICE_UNAVAILABLE, &r.code, Some(&r.detail)),
        }
    }
    json(
        StatusCode::OK,
        to_json(&Published {
            deliveries: out.deliveries,
            positions: positions.into_iter().collect(),
        }),
    )
}

fn healthz(handle: &Handle) -> Response<Body> {
    let broker = handle.broker();
    let up = broker.is_up();
    let status = if handle.is_shutting_down() {
        "stopping"
    } else if up {
        "ok"
    } else {
        "degraded"
    };
    let body = serde_json::json!({
        "status": status,
        "node": handle.node_id(),
        "broker": broker.name(),
        "broker_up": up,
        "history": handle.history_backend(),
        "connections": handle.connection_count(),
        "channels": handle.channel_count(),
    });
    let code = if status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(code, body.to_string())
}

/// A page or file: from disk first (`--mount`, then `--static`), else from what the binary
/// carries: the browser SDK under `/js-sdk/` always, the chat demo only without
/// `--static`; else, at `/`, the built-in page.
async fn static_file(handle: &Handle, path: &str, if_none_match: Option<&header::HeaderValue>) -> Response<Body> {
    let cfg = handle.config();
    if let Some(file) = statics::resolve(path, cfg.static_dir.as_deref(), &cfg.mounts) {
        if let Some(bytes) = statics::read(&file).await {
            return Response::builder()
                .header(header::CONTENT_TYPE, statics::content_type(&file))
                .header(header::CACHE_CONTROL, "no-cache")
                .body(Full::new(bytes))
                .unwrap_or_default();
        }
    }
    let embedded = if cfg.static_dir.is_none() || path.starts_with("/js-sdk/") {
        crate::embedded::find(path)
    } else {
        None
    };
    if let Some(f) = embedded {
        return embedded_file(f, if_none_match);
    }
    if cfg.static_dir.is_none() && (path == "/" || path == "/index.html") {
        return respond(
            StatusCode::OK,
            "text/html; charset=utf-8",
            statics::BUILTIN_PAGE.to_string(),
        );
    }
    refused(StatusCode::NOT_FOUND, ServerError::NotFound)
}

/// An embedded file, or `304 Not Modified` when the request already has its version.
pub(crate) fn embedded_file(
    f: &'static crate::embedded::File,
    if_none_match: Option<&header::HeaderValue>,
) -> Response<Body> {
    let fresh = if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "*" || v.split(',').any(|t| t.trim().trim_start_matches("W/") == f.etag));
    let builder = Response::builder()
        .header(header::ETAG, f.etag)
        .header(header::CACHE_CONTROL, "no-cache");
    let resp = if fresh {
        builder.status(StatusCode::NOT_MODIFIED).body(Full::default())
    } else {
        builder
            .header(header::CONTENT_TYPE, f.content_type)
            .body(Full::new(Bytes::from_static(f.bytes)))
    };
    resp.unwrap_or_default()
}

fn respond(code: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn json(code: StatusCode, body: String) -> Response<Body> {
    respond(code, "application/json", body)
}

/// A JSON answer, for the API modules.
pub(crate) fn json_answer(code: StatusCode, body: String) -> Response<Body> {
    json(code, body)
}

/// The JSON of every HTTP error answer (spec 10): `{"error":"<Name>"}`, with a
/// `"detail"` text when there is one.
#[derive(Serialize)]
struct ErrorBody<'a> {
    /// A core or server error name (`ServerError`), or one of the directory API's.
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

/// The JSON of a successful `POST /publish` (spec 10.1).
#[derive(Serialize)]
struct Published {
    /// Local connections the message was queued to, as an `ack`'s `deliveries` (spec 8.2).
    deliveries: usize,
    /// Each channel with history and its new position, `<epoch>:<offset>` (spec 13.5).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    positions: std::collections::BTreeMap<String, String>,
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The body of an HTTP error answer named `name`.
pub(crate) fn error_body(name: &str, detail: Option<&str>) -> String {
    to_json(&ErrorBody { error: name, detail })
}

/// An HTTP error answer naming a server error, without detail.
fn refused(code: StatusCode, e: ServerError) -> Response<Body> {
    error(code, e.as_str(), None)
}

/// An HTTP error answer: `code` with the JSON error body.
pub(crate) fn error(code: StatusCode, name: &str, detail: Option<&str>) -> Response<Body> {
    json(code, error_body(name, detail))
}
