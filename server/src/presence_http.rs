//! `POST /api/presence` and `POST /api/presence_stats` (spec/HTTP-API.md): a
//! channel's members and counts for backends, as JSON, cluster-wide, with the
//! directory API's conventions (`{"result": ...}`, the publish token).

use crate::cluster::HandleExt;
use crate::handle::Handle;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use lhttp_core::ServerError;
use serde::Deserialize;
use serde_json::json;

/// The call's arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    channel: String,
}

/// Answers a presence call; `list`: with the members (`/api/presence`).
pub(crate) async fn call(handle: &Handle, req: Request<Incoming>, list: bool) -> Response<Full<Bytes>> {
    let args = match crate::http::json_args::<Args>(handle, req, 4096).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    if !handle.config().namespace_of(&args.channel).presence {
        let detail = format!("{}: its namespace keeps no presence", args.channel);
        return crate::http::error(StatusCode::BAD_REQUEST, ServerError::NoPresence.as_str(), Some(&detail));
    }
    let dir = handle.directory();
    let result = if list {
        let p = dir.presence(&args.channel).await;
        json!({ "connections": p.connections, "users": p.users, "capped": p.capped, "members": p.members })
    } else {
        let p = dir.presence_stats(&args.channel).await;
        json!({ "connections": p.connections, "users": p.users })
    };
    crate::http::json_answer(StatusCode::OK, json!({ "result": result }).to_string())
}
