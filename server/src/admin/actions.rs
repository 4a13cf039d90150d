//! The admin API's actions (`POST /admin/api/...`): publish, disconnect,
//! unsubscribe, through the handle and the cluster directory. `--admin-readonly`
//! refuses them before they get here.

use super::{error, ok};
use crate::cluster::HandleExt;
use crate::handle::Handle;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use lhttp_core::ServerError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The JSON body of an action, at most `max` bytes.
async fn args<T: DeserializeOwned>(req: Request<Incoming>, max: usize) -> Result<T, Response<Full<Bytes>>> {
    let body = match Limited::new(req.into_body(), max).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(error(StatusCode::PAYLOAD_TOO_LARGE, ServerError::MessageTooLarge, None)),
    };
    serde_json::from_slice(&body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, ServerError::BadRequest, Some(&e.to_string())))
}

/// `publish`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publish {
    channel: String,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// `POST /admin/api/publish` `{"channel", "command", "body", "headers"}`: the
/// message published to the channel as `POST /publish` would.
pub(crate) async fn publish(handle: &Handle, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let max = handle
        .config()
        .limits
        .max_message_size
        .saturating_mul(2)
        .saturating_add(4096);
    let p: Publish = match args(req, max).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    if p.channel.is_empty() || p.channel.contains([' ', '\r', '\n']) {
        return error(
            StatusCode::BAD_REQUEST,
            ServerError::BadRequest,
            Some("channel: one channel name"),
        );
    }
    let command = p.command.unwrap_or_else(|| "chat".into());
    let mut headers: Vec<(String, String)> = vec![("publish".into(), p.channel.clone())];
    for (k, v) in p.headers {
        if k.eq_ignore_ascii_case("publish") || crate::reply::is_server_set(&k) {
            continue;
        }
        headers.push((k, v));
    }
    let refs: Vec<lhttp_core::Header<'_>> = headers
        .iter()
        .map(|(k, v)| lhttp_core::Header { name: k, value: v })
        .collect();
    let message = match crate::reply::encode_bytes(&command, &refs, p.body.as_bytes()) {
        Ok(m) => m,
        Err(e) => return crate::http::error(StatusCode::BAD_REQUEST, e.as_str(), Some(e.description())),
    };
    if message.len() > handle.config().limits.max_message_size {
        return error(StatusCode::BAD_REQUEST, ServerError::MessageTooLarge, None);
    }
    let (out, pending) = handle.publish_later(&[p.channel.as_str()], message);
    let mut position = out.positions.first().map(|(_, p)| p.as_position().to_string());
    for (_, pos) in pending {
        match pos.await {
            Ok(pos) => position = Some(pos.as_position().to_string()),
            Err(r) => return crate::http::error(StatusCode::SERVICE_UNAVAILABLE, &r.code, Some(&r.detail)),
        }
    }
    ok(json!({ "deliveries": out.deliveries, "position": position }))
}

/// `disconnect`'s body: one client, or every connection of a uid.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Disconnect {
    client: Option<String>,
    uid: Option<String>,
}

/// `POST /admin/api/disconnect` `{"client"}` or `{"uid"}`: closed normally
/// (1000), cluster-wide; answers the clients closed.
pub(crate) async fn disconnect(handle: &Handle, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let d: Disconnect = match args(req, 4096).await {
        Ok(d) => d,
        Err(answer) => return answer,
    };
    let dir = handle.directory();
    let ids = match (d.client, d.uid) {
        (Some(c), None) => vec![c],
        (None, Some(u)) => dir.clients_of_uid(&u).await,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                ServerError::BadRequest,
                Some("give client or uid"),
            )
        }
    };
    let mut closed = Vec::new();
    for id in ids {
        if dir.close_client(&id).await {
            closed.push(id);
        }
    }
    ok(json!({ "closed": closed }))
}

/// `unsubscribe`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unsubscribe {
    client: String,
    channel: String,
}

/// `POST /admin/api/unsubscribe` `{"client", "channel"}`: through the client's node.
pub(crate) async fn unsubscribe(handle: &Handle, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let u: Unsubscribe = match args(req, 4096).await {
        Ok(u) => u,
        Err(answer) => return answer,
    };
    let done = handle.directory().unsubscribe(&u.client, &u.channel).await;
    ok(json!({ "unsubscribed": done }))
}
