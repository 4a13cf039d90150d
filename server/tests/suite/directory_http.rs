//! Every call of the connection directory over HTTP (spec/HTTP-API.md) on one
//! node, with the answers the table promises, and the refusals of its
//! conventions (publish token, unknown call, unknown field, bad message).
use crate::common;
use common::*;
use lhttp_server::Config;
use serde_json::{json, Value};

/// Calls `POST /api/<call>` with `args` (and the token), returning the status and the JSON answer.
async fn call(r: &Running, call: &str, args: Value) -> (u16, Value) {
    let auth = [("Authorization", "Bearer s3cret")];
    let (status, body) = http(r.http(), "POST", &format!("/api/{call}"), &auth, args.to_string()).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The `result` of a call that must succeed.
async fn result(r: &Running, name: &str, args: Value) -> Value {
    let (status, v) = call(r, name, args).await;
    assert_eq!(status, 200, "{name}: {v}");
    v["result"].clone()
}

#[tokio::test]
async fn every_directory_call_answers_as_the_table_says() {
    let r = start_with(Config {
        publish_token: Some("s3cret".into()),
        ..Config::default()
    })
    .await;
    let mut a = Client::connect(&r).await;
    let mut b = Client::connect(&r).await;
    let (ida, idb) = (a.client_id.clone(), b.client_id.clone());
    a.subscribe("room").await;

    assert_eq!(
        result(&r, "bind_uid", json!({"client": ida, "uid": "ann"})).await,
        json!(true)
    );
    assert_eq!(
        result(&r, "bind_uid", json!({"client": idb, "uid": "ann"})).await,
        json!(true)
    );
    assert_eq!(
        result(&r, "bind_uid", json!({"client": "nobody-1", "uid": "x"})).await,
        json!(false)
    );
    assert_eq!(result(&r, "uid_of_client", json!({"client": ida})).await, json!("ann"));
    let mut both = vec![ida.clone(), idb.clone()];
    both.sort();
    assert_eq!(result(&r, "clients_of_uid", json!({"uid": "ann"})).await, json!(both));
    assert_eq!(result(&r, "is_uid_online", json!({"uid": "ann"})).await, json!(true));
    assert_eq!(result(&r, "all_uids", json!({})).await, json!(["ann"]));
    assert_eq!(result(&r, "unbind_uid", json!({"client": idb})).await, json!(true));
    assert_eq!(result(&r, "unbind_uid", json!({"client": idb})).await, json!(false));
    assert_eq!(result(&r, "uid_of_client", json!({"client": idb})).await, Value::Null);

    assert_eq!(
        result(&r, "join_group", json!({"client": ida, "group": "g"})).await,
        json!(true)
    );
    assert_eq!(
        result(&r, "join_group", json!({"client": idb, "group": "g"})).await,
        json!(true)
    );
    assert_eq!(result(&r, "group_client_count", json!({"group": "g"})).await, json!(2));
    assert_eq!(result(&r, "group_client_ids", json!({"group": "g"})).await, json!(both));
    assert_eq!(result(&r, "group_uids", json!({"group": "g"})).await, json!(["ann"]));
    assert_eq!(result(&r, "group_uid_count", json!({"group": "g"})).await, json!(1));
    assert_eq!(result(&r, "all_groups", json!({})).await, json!(["g"]));
    assert_eq!(
        result(&r, "leave_group", json!({"client": idb, "group": "g"})).await,
        json!(true)
    );
    assert_eq!(
        result(&r, "leave_group", json!({"client": idb, "group": "g"})).await,
        json!(false)
    );

    assert_eq!(result(&r, "get_info", json!({"client": ida})).await, json!({}));
    assert_eq!(
        result(
            &r,
            "set_info",
            json!({"client": ida, "info": {"name": "Ann", "lang": "en"}})
        )
        .await,
        json!(true)
    );
    assert_eq!(
        result(&r, "update_info", json!({"client": ida, "info": {"lang": "fr"}})).await,
        json!(true)
    );
    assert_eq!(
        result(&r, "get_info", json!({"client": ida})).await,
        json!({"name": "Ann", "lang": "fr"})
    );
    assert_eq!(result(&r, "get_info", json!({"client": "nobody-1"})).await, Value::Null);

    let note = |text: &str| format!("LHTTP/1.0 notice\r\n\r\n{text}");
    assert_eq!(
        result(&r, "send_to_client", json!({"client": idb, "message": note("one")})).await,
        json!(true)
    );
    assert_eq!(b.recv().await.text(), "one");
    assert_eq!(
        result(&r, "send_to_uid", json!({"uid": "ann", "message": note("two")})).await,
        json!(1)
    );
    assert_eq!(a.recv().await.text(), "two");
    assert_eq!(
        result(&r, "send_to_group", json!({"group": "g", "message": note("three")})).await,
        json!(1)
    );
    assert_eq!(a.recv().await.text(), "three");
    assert_eq!(
        result(&r, "send_to_all", json!({"message": note("four")})).await,
        json!(2)
    );
    assert_eq!((a.recv().await.text(), b.recv().await.text()), ("four", "four"));

    assert_eq!(result(&r, "is_online", json!({"client": idb})).await, json!(true));
    assert_eq!(result(&r, "client_count", json!({})).await, json!(2));
    assert_eq!(
        result(&r, "subscriber_count", json!({"channel": "room"})).await,
        json!(1)
    );
    assert_eq!(result(&r, "nodes", json!({})).await, json!([r.handle.node_id()]));
    assert_eq!(result(&r, "close_client", json!({"client": idb})).await, json!(true));
    assert!(matches!(b.event().await, Event::Closed(Some(1000))));
    until(|| r.handle.connection_count() == 1).await;
    assert_eq!(result(&r, "is_online", json!({"client": idb})).await, json!(false));

    // The conventions: the token, an unknown call, an unknown field, a message that is no LHTTP.
    let (status, _) = http(r.http(), "POST", "/api/client_count", &[], "{}").await;
    assert_eq!(status, 401);
    let (status, v) = call(&r, "no_such_call", json!({})).await;
    assert_eq!((status, v["error"].as_str()), (404, Some("UnknownCall")));
    let (status, v) = call(&r, "is_online", json!({"client": ida, "extra": 1})).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("BadRequest")));
    let (status, v) = call(&r, "send_to_all", json!({"message": "not lhttp"})).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("Version")));
    r.stop().await;
}
