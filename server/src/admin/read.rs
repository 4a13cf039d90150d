//! The admin API's read calls (`GET /admin/api/...`): the cluster's figures,
//! its channels, one channel, one client, from the directory and the handle.

use super::{error, ok};
use crate::cluster::HandleExt;
use crate::handle::{Handle, Later};
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use lhttp_core::ServerError;
use serde_json::{json, Map, Value};

/// Most channels one `channels` call lists, and its default.
const MAX_CHANNELS: usize = 1000;
const DEFAULT_CHANNELS: usize = 100;
/// How many of a channel's last history entries `channel` shows.
const HISTORY_SHOWN: usize = 10;

/// The value of `name` in a query string, decoded.
fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn missing(what: &str) -> Response<Full<Bytes>> {
    error(StatusCode::BAD_REQUEST, ServerError::BadRequest, Some(what))
}

/// The overview's JSON: each node's figures and the cluster's totals. A node's
/// `errors.<Name>` and `drops.<namespace>` figures become its `errors` and
/// `drops_by_namespace` objects, summed by key in the totals; `uids` is distinct
/// per node, and in the totals distinct cluster-wide (a uid on two nodes counts once).
pub(crate) async fn overview_json(handle: &Handle) -> Value {
    let dir = handle.directory();
    let stats = dir.node_stats().await;
    let uids = dir.all_uids().await.len();
    let mut totals: Map<String, Value> = Map::new();
    let (mut errors, mut drops): (Map<String, Value>, Map<String, Value>) = (Map::new(), Map::new());
    let add = |map: &mut Map<String, Value>, key: &str, v: u64| {
        let t = map.entry(key.to_string()).or_insert(json!(0u64));
        *t = json!(t.as_u64().unwrap_or(0) + v);
    };
    let nodes: Vec<Value> = stats
        .into_iter()
        .map(|(node, info)| {
            let mut n = Map::new();
            let (mut node_errors, mut node_drops) = (Map::new(), Map::new());
            n.insert("id".into(), json!(node));
            for (k, v) in info {
                let v: u64 = v.parse().unwrap_or(0);
                if let Some(name) = k.strip_prefix("errors.") {
                    node_errors.insert(name.into(), json!(v));
                    add(&mut errors, name, v);
                } else if let Some(namespace) = k.strip_prefix("drops.") {
                    node_drops.insert(namespace.into(), json!(v));
                    add(&mut drops, namespace, v);
                } else {
                    if k != "uptime_secs" && k != "uids" {
                        add(&mut totals, &k, v);
                    }
                    n.insert(k, json!(v));
                }
            }
            n.insert("errors".into(), Value::Object(node_errors));
            n.insert("drops_by_namespace".into(), Value::Object(node_drops));
            Value::Object(n)
        })
        .collect();
    totals.insert("nodes".into(), json!(nodes.len()));
    totals.insert("uids".into(), json!(uids));
    totals.insert("errors".into(), Value::Object(errors));
    totals.insert("drops_by_namespace".into(), Value::Object(drops));
    json!({
        "node": handle.node_id(),
        "nodes": nodes,
        "totals": totals,
    })
}

/// `GET /admin/api/overview`.
pub(crate) async fn overview(handle: &Handle, readonly: bool) -> Response<Full<Bytes>> {
    let mut v = overview_json(handle).await;
    v["readonly"] = json!(readonly);
    ok(v)
}

/// `GET /admin/api/channels?search=PREFIX&limit=N`: channels (cluster-wide)
/// starting with `search`, sorted, with their subscriber counts.
pub(crate) async fn channels(handle: &Handle, query: &str) -> Response<Full<Bytes>> {
    let search = param(query, "search").unwrap_or_default();
    let limit = match param(query, "limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_CHANNELS,
        Some(Ok(l)) => l.min(MAX_CHANNELS),
        Some(Err(_)) => return missing("limit: expected a number"),
    };
    let all = handle.directory().channels().await;
    let matching: Vec<(String, u64)> = all.into_iter().filter(|(c, _)| c.starts_with(&search)).collect();
    let total = matching.len();
    let listed: Vec<Value> = matching
        .into_iter()
        .take(limit)
        .map(|(name, subscribers)| json!({ "name": name, "subscribers": subscribers }))
        .collect();
    ok(json!({ "channels": listed, "total": total }))
}

/// `GET /admin/api/channel?name=CH`: its subscribers, presence and last
/// history entries when its namespace keeps them.
pub(crate) async fn channel(handle: &Handle, query: &str) -> Response<Full<Bytes>> {
    let Some(name) = param(query, "name").filter(|n| !n.is_empty()) else {
        return missing("missing name");
    };
    let dir = handle.directory();
    let mut out = json!({ "name": name, "subscribers": dir.subscriber_count(&name).await });
    if handle.config().namespace_of(&name).presence {
        let p = dir.presence(&name).await;
        out["presence"] =
            json!({ "connections": p.connections, "users": p.users, "capped": p.capped, "members": p.members });
    }
    if handle.has_history(&name) {
        let page = match handle.history_later(&name, Some(HISTORY_SHOWN), None, true) {
            Later::Ready(p) => p,
            Later::Pending(p) => p.await,
        };
        out["history"] = match page {
            Ok(page) => crate::history_http::to_json(&page),
            Err(r) => json!({ "error": r.code, "detail": r.detail }),
        };
    }
    ok(out)
}

/// `GET /admin/api/client?id=CLIENT` (its node, uid, info, channels) or
/// `?uid=UID` (each of its connections, so).
pub(crate) async fn client(handle: &Handle, query: &str) -> Response<Full<Bytes>> {
    let dir = handle.directory();
    let ids = match (param(query, "id"), param(query, "uid")) {
        (Some(id), _) => vec![id],
        (None, Some(uid)) => dir.clients_of_uid(&uid).await,
        (None, None) => return missing("give id or uid"),
    };
    let mut clients = Vec::new();
    for id in ids {
        let Some(channels) = dir.channels_of_client(&id).await else {
            continue;
        };
        let node = id.rsplit_once('-').map(|(n, _)| n.to_string()).unwrap_or_default();
        clients.push(json!({
            "id": id,
            "node": node,
            "uid": dir.uid_of_client(&id).await,
            "info": dir.get_info(&id).await.unwrap_or_default(),
            "channels": channels,
        }));
    }
    ok(json!({ "clients": clients }))
}
