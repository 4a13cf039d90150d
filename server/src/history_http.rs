//! `POST /api/history` (spec/HTTP-API.md): a channel's history for backends, as
//! JSON, with the rules of the `history` header (13.5) and the directory API's
//! conventions (`{"result": ...}`, the publish token).

use crate::handle::{Handle, Later};
use crate::history::Page;
use crate::reject::Reject;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use lhttp_core::position::Position;
use lhttp_core::{parse, ServerError};
use serde::Deserialize;
use serde_json::{json, Value};

type Body = Full<Bytes>;

/// The call's arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Args {
    channel: Option<String>,
    limit: Option<usize>,
    /// `<epoch>:<offset>`, as in the `since` header.
    since: Option<String>,
    reverse: bool,
}

/// The largest arguments object read: a channel and a position are short.
const MAX_ARGS: usize = 64 * 1024;

/// Answers `POST /api/history`.
pub(crate) async fn call(handle: &Handle, req: Request<Incoming>) -> Response<Body> {
    let args = match crate::http::json_args::<Args>(handle, req, MAX_ARGS).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    match read(handle, &args).await {
        Ok(v) => crate::http::json_answer(StatusCode::OK, json!({ "result": v }).to_string()),
        Err(r) => failed(StatusCode::BAD_REQUEST, &r.code, &r.detail),
    }
}

async fn read(handle: &Handle, a: &Args) -> Result<Value, Reject> {
    let channel = a
        .channel
        .as_deref()
        .ok_or_else(|| Reject::new(ServerError::BadRequest.as_str(), "missing \"channel\""))?;
    let since = a.since.as_deref().map(Position::parse).transpose()?;
    let page = match handle.history_later(channel, a.limit, since, a.reverse) {
        Later::Ready(page) => page?,
        Later::Pending(page) => page.await?,
    };
    Ok(to_json(&page))
}

/// `{"position": "<epoch>:<offset>", "publications": [...]}`: positions as the
/// protocol writes them, since offsets can exceed what a JSON number holds exactly.
pub(crate) fn to_json(page: &Page) -> Value {
    let publications: Vec<Value> = page
        .entries
        .iter()
        .filter_map(|e| {
            lhttp_core::owned::with_header_storage(None, |storage| {
                let m = parse(&e.message, storage)?;
                Ok(publication(e.offset, &m))
            })
            .ok()
        })
        .collect();
    json!({
        "position": page.position.as_position().to_string(),
        "publications": publications,
    })
}

/// One publication: its offset, command, own headers (as `[name, value]` pairs,
/// in order) and body (`body` when UTF-8 text, else `body_bytes`).
fn publication(offset: u64, m: &lhttp_core::Message<'_, '_>) -> Value {
    let headers: Vec<[&str; 2]> = m
        .headers
        .iter()
        .filter(|h| !crate::reply::is_server_set(h.name))
        .map(|h| [h.name, h.value])
        .collect();
    let body = match std::str::from_utf8(m.body) {
        Ok(text) => json!({ "body": text }),
        Err(_) => json!({ "body_bytes": m.body }),
    };
    let mut v = json!({ "offset": offset, "command": m.command, "headers": headers });
    if let (Some(v), Some(b)) = (v.as_object_mut(), body.as_object()) {
        v.extend(b.clone());
    }
    v
}

fn failed(code: StatusCode, name: &str, detail: &str) -> Response<Body> {
    let detail = Some(detail).filter(|d| !d.is_empty());
    crate::http::error(code, name, detail)
}
