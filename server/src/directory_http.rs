//! The connection directory over HTTP, for backends in any language:
//! `POST /api/<call>` with a JSON object of arguments, answered with
//! `{"result": ...}` (spec/HTTP-API.md). Protected by the publish token.

use crate::cluster::{Directory, Info};
use crate::handle::Handle;
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use lhttp_core::{parse, ServerError, EMPTY_HEADER};
use serde::Deserialize;
use serde_json::{json, Value};

type Body = Full<Bytes>;

/// The arguments any call may take; each call says which it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Args {
    client: Option<String>,
    uid: Option<String>,
    group: Option<String>,
    channel: Option<String>,
    info: Option<Info>,
    /// A whole LHTTP message, as text.
    message: Option<String>,
}

/// Why a call could not run: HTTP status, error name, detail.
type Failure = (StatusCode, &'static str, String);

fn need<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, Failure> {
    v.as_deref().ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            lhttp_core::ServerError::BadRequest.as_str(),
            format!("missing {name:?}"),
        )
    })
}

/// Answers `POST /api/<call>`.
pub(crate) async fn call(handle: &Handle, req: Request<Incoming>) -> Response<Body> {
    if !crate::http::authorized(handle, &req) {
        return crate::http::unauthorized();
    }
    let name = req.uri().path().trim_start_matches("/api/").to_string();
    // Room for a message of the largest size, escaped, plus the other arguments.
    let max = handle
        .config()
        .limits
        .max_message_size
        .saturating_mul(6)
        .saturating_add(64 * 1024);
    let body = match Limited::new(req.into_body(), max).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return reply(Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                ServerError::MessageTooLarge.as_str(),
                String::new(),
            )))
        }
    };
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Args::default())
    } else {
        serde_json::from_slice::<Args>(&body).map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                lhttp_core::ServerError::BadRequest.as_str(),
                e.to_string(),
            )
        })
    };
    let result = match args {
        Ok(args) => run(handle, &name, args).await,
        Err(f) => Err(f),
    };
    reply(result)
}

async fn run(handle: &Handle, name: &str, a: Args) -> Result<Value, Failure> {
    let d = Directory::of(handle);
    let client = || need(&a.client, "client");
    let uid = || need(&a.uid, "uid");
    let group = || need(&a.group, "group");
    let message = || -> Result<Bytes, Failure> {
        let m = need(&a.message, "message")?;
        let limits = &handle.config().limits;
        if m.len() > limits.max_message_size {
            return Err((
                StatusCode::BAD_REQUEST,
                ServerError::MessageTooLarge.as_str(),
                String::new(),
            ));
        }
        let mut storage = vec![EMPTY_HEADER; limits.max_headers];
        parse(m.as_bytes(), &mut storage).map_err(|e| (StatusCode::BAD_REQUEST, e.as_str(), e.description().into()))?;
        Ok(Bytes::from(m.to_string()))
    };
    let info = || {
        a.info.clone().ok_or_else(|| {
            (
                StatusCode::BAD_REQUEST,
                lhttp_core::ServerError::BadRequest.as_str(),
                "missing \"info\"".into(),
            )
        })
    };
    Ok(match name {
        "bind_uid" => json!(d.bind_uid(client()?, uid()?).await),
        "unbind_uid" => json!(d.unbind_uid(client()?).await),
        "join_group" => json!(d.join_group(client()?, group()?).await),
        "leave_group" => json!(d.leave_group(client()?, group()?).await),
        "set_info" => json!(d.set_info(client()?, info()?).await),
        "update_info" => json!(d.update_info(client()?, info()?).await),
        "get_info" => json!(d.get_info(client()?).await),
        "send_to_client" => json!(d.send_to_client(client()?, message()?).await),
        "close_client" => json!(d.close_client(client()?).await),
        "is_online" => json!(d.is_online(client()?).await),
        "uid_of_client" => json!(d.uid_of_client(client()?).await),
        "send_to_uid" => json!(d.send_to_uid(uid()?, message()?).await),
        "send_to_group" => json!(d.send_to_group(group()?, message()?).await),
        "send_to_all" => json!(d.send_to_all(message()?).await),
        "is_uid_online" => json!(d.is_uid_online(uid()?).await),
        "clients_of_uid" => json!(d.clients_of_uid(uid()?).await),
        "group_client_count" => json!(d.group_client_count(group()?).await),
        "group_client_ids" => json!(d.group_client_ids(group()?).await),
        "group_uids" => json!(d.group_uids(group()?).await),
        "group_uid_count" => json!(d.group_uid_count(group()?).await),
        "all_uids" => json!(d.all_uids().await),
        "all_groups" => json!(d.all_groups().await),
        "client_count" => json!(d.client_count().await),
        "subscriber_count" => json!(d.subscriber_count(need(&a.channel, "channel")?).await),
        "nodes" => json!(d.nodes()),
        _ => {
            return Err((
                StatusCode::NOT_FOUND,
                lhttp_core::ServerError::UnknownCall.as_str(),
                format!("no call {name:?}"),
            ))
        }
    })
}

fn reply(result: Result<Value, Failure>) -> Response<Body> {
    let (code, body) = match result {
        Ok(v) => (StatusCode::OK, json!({ "result": v }).to_string()),
        Err((code, name, detail)) => {
            let detail = Some(detail.as_str()).filter(|d| !d.is_empty());
            (code, crate::http::error_body(name, detail))
        }
    };
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}
