//! The connection directory across two nodes and one nats-server: every call,
//! from Rust on node A and over the HTTP API on node B; channel hooks; takeover.
use crate::cluster_support;
use bytes::Bytes;
use cluster_support::*;
use lhttp_server::cluster::{ChannelHooks, HandleExt, Info, CLOSE_TAKEN_OVER};
use lhttp_server::{Conn, Handle, Reject};
use serde_json::json;
use std::sync::{Arc, Mutex};

fn info(pairs: &[(&str, &str)]) -> Info {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_directory_call_works_across_nodes() {
    let nats = Nats::start().await;
    let a = Node::start(cluster_config(&nats.url())).await;
    let b = Node::start(cluster_config(&nats.url())).await;
    a.wait_nodes(2).await;
    b.wait_nodes(2).await;
    let d = a.handle.directory();

    let mut c1 = Ws::connect(a.addr).await;
    let mut c2 = Ws::connect(b.addr).await;
    let mut c3 = Ws::connect(b.addr).await;
    assert!(c1.id.starts_with(a.handle.node_id()) && c2.id.starts_with(b.handle.node_id()));

    // Online, counts.
    assert!(d.is_online(&c2.id).await);
    assert_eq!(api(b.addr, "is_online", json!({"client": c1.id})).await, json!(true));
    assert!(!d.is_online(&format!("{}-999", b.handle.node_id())).await);
    assert!(!d.is_online("nobody-1").await);
    assert_eq!(d.client_count().await, 3);
    assert_eq!(api(b.addr, "client_count", json!({})).await, json!(3));

    // Uids: bind from A (remote client) and from B's HTTP API (remote client).
    assert!(d.bind_uid(&c2.id, "bob").await);
    assert!(d.bind_uid(&c3.id, "bob").await);
    assert_eq!(
        api(b.addr, "bind_uid", json!({"client": c1.id, "uid": "ann"})).await,
        json!(true)
    );
    assert_eq!(d.uid_of_client(&c2.id).await.as_deref(), Some("bob"));
    assert_eq!(
        api(b.addr, "uid_of_client", json!({"client": c1.id})).await,
        json!("ann")
    );
    assert!(d.is_uid_online("bob").await);
    assert!(!d.is_uid_online("carl").await);
    let mut bobs = vec![c2.id.clone(), c3.id.clone()];
    bobs.sort();
    assert_eq!(d.clients_of_uid("bob").await, bobs);
    assert_eq!(
        api(b.addr, "clients_of_uid", json!({"uid": "ann"})).await,
        json!([c1.id])
    );
    assert_eq!(d.all_uids().await, ["ann", "bob"]);
    assert_eq!(api(b.addr, "all_uids", json!({})).await, json!(["ann", "bob"]));

    // Groups.
    assert!(d.join_group(&c1.id, "g1").await);
    assert!(d.join_group(&c2.id, "g1").await);
    assert_eq!(
        api(b.addr, "join_group", json!({"client": c3.id, "group": "g1"})).await,
        json!(true)
    );
    assert!(d.join_group(&c3.id, "g2").await);
    assert_eq!(d.group_client_count("g1").await, 3);
    assert_eq!(d.group_uids("g1").await, ["ann", "bob"]);
    assert_eq!(d.group_uid_count("g1").await, 2, "bob on two connections counts once");
    assert_eq!(api(b.addr, "group_uid_count", json!({"group": "g1"})).await, json!(2));
    let mut g1 = vec![c1.id.clone(), c2.id.clone(), c3.id.clone()];
    g1.sort();
    assert_eq!(d.group_client_ids("g1").await, g1);
    assert_eq!(api(b.addr, "group_client_ids", json!({"group": "g1"})).await, json!(g1));
    assert_eq!(d.all_groups().await, ["g1", "g2"]);
    assert!(d.leave_group(&c2.id, "g1").await);
    assert!(!d.leave_group(&c2.id, "g1").await);
    assert_eq!(
        api(b.addr, "group_client_count", json!({"group": "g1"})).await,
        json!(2)
    );
    assert_eq!(api(a.addr, "all_groups", json!({})).await, json!(["g1", "g2"]));

    // Info.
    assert!(d.set_info(&c2.id, info(&[("name", "Bob"), ("room", "1")])).await);
    assert!(d.update_info(&c2.id, info(&[("room", "2"), ("lang", "fr")])).await);
    assert_eq!(
        d.get_info(&c2.id).await,
        Some(info(&[("name", "Bob"), ("room", "2"), ("lang", "fr")]))
    );
    assert_eq!(
        api(a.addr, "set_info", json!({"client": c3.id, "info": {"k": "v"}})).await,
        json!(true)
    );
    assert_eq!(
        api(a.addr, "get_info", json!({"client": c3.id})).await,
        json!({"k": "v"})
    );
    assert_eq!(d.get_info(&c1.id).await, Some(Info::new()));
    assert_eq!(d.get_info("nobody-1").await, None);

    // Sending.
    let msg = |body: &str| Bytes::from(format!("LHTTP/1.0 note\r\nfrom:server\r\n\r\n{body}"));
    assert!(d.send_to_client(&c2.id, msg("to c2")).await);
    let m = c2.recv().await;
    assert_eq!(
        (m.command(), m.header("from"), m.body()),
        ("note", Some("server"), "to c2")
    );
    assert_eq!(
        api(
            b.addr,
            "send_to_client",
            json!({"client": c1.id, "message": "LHTTP/1.0 note\r\n\r\nto c1"})
        )
        .await,
        json!(true)
    );
    assert_eq!(c1.recv().await.body(), "to c1");
    assert_eq!(d.send_to_uid("bob", msg("to bob")).await, 2);
    assert_eq!(c2.recv().await.body(), "to bob");
    assert_eq!(c3.recv().await.body(), "to bob");
    assert_eq!(
        api(
            b.addr,
            "send_to_group",
            json!({"group": "g1", "message": "LHTTP/1.0 note\r\n\r\nto g1"})
        )
        .await,
        json!(2)
    );
    assert_eq!(c1.recv().await.body(), "to g1");
    assert_eq!(c3.recv().await.body(), "to g1");
    assert_eq!(d.send_to_all(msg("to all")).await, 3);
    for c in [&mut c1, &mut c2, &mut c3] {
        assert_eq!(c.recv().await.body(), "to all");
    }
    let (status, body) = http(
        b.addr,
        "POST",
        "/api/send_to_all",
        &[],
        r#"{"message":"HTTP/1.1 x\r\n\r\n"}"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"error":"Version","detail":"message does not start with LHTTP/1.0"}"#
        )
    );

    // Unbind, close; entries vanish with the connection.
    assert!(d.unbind_uid(&c3.id).await);
    assert_eq!(
        api(a.addr, "clients_of_uid", json!({"uid": "bob"})).await,
        json!([c2.id])
    );
    assert!(d.close_client(&c2.id).await);
    assert_eq!(c2.closed().await, 1000);
    wait_for(|| {
        let d = d.clone();
        let id = c2.id.clone();
        async move { !d.is_online(&id).await }
    })
    .await;
    assert!(!d.is_uid_online("bob").await);
    assert_eq!(d.all_uids().await, ["ann"]);
    assert_eq!(
        api(a.addr, "close_client", json!({"client": c2.id})).await,
        json!(false)
    );
    assert_eq!(d.client_count().await, 2);
    assert_eq!(api(a.addr, "nodes", json!({})).await.as_array().map(Vec::len), Some(2));

    a.stop().await;
    b.stop().await;
}

/// Records hook calls, refuses `secret-*` channels.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl ChannelHooks for Recorder {
    fn before_subscribe(&self, _: &Handle, _: &Conn, channel: &str) -> Result<(), Reject> {
        if channel.starts_with("secret-") {
            return Err(Reject::forbidden("not for you"));
        }
        Ok(())
    }
    fn on_subscribe(&self, _: &Handle, conn: &Conn, channel: &str) {
        self.0.lock().unwrap().push(format!("+{channel} {}", conn.client_id()));
    }
    fn on_unsubscribe(&self, _: &Handle, conn: &Conn, channel: &str) {
        self.0.lock().unwrap().push(format!("-{channel} {}", conn.client_id()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_hooks_refuse_and_observe_with_cluster_wide_counts() {
    let nats = Nats::start().await;
    let a = Node::start(cluster_config(&nats.url())).await;
    let b = Node::start(cluster_config(&nats.url())).await;
    a.wait_nodes(2).await;
    let rec = Recorder::default();
    a.handle.add_channel_hooks(rec.clone());

    let mut on_b = Ws::connect(b.addr).await;
    on_b.subscribe("lobby").await;
    let mut c = Ws::connect(a.addr).await;
    let r = c.request("enter", &[("subscribe", "lobby secret-x")], "").await;
    assert_eq!((r.command(), r.header("code")), ("error", Some("Forbidden")));
    assert_eq!(r.header("detail"), Some("not for you"));
    assert_eq!(a.handle.subscriber_count("secret-x"), 0);
    assert_eq!(a.handle.directory().subscriber_count("lobby").await, 2, "one per node");
    c.subscribe("lobby").await;
    c.subscribe("news").await;
    c.unsubscribe("news").await;
    drop(c);
    let want = |id: &str| {
        vec![
            format!("+lobby {id}"),
            format!("+news {id}"),
            format!("-news {id}"),
            format!("-lobby {id}"),
        ]
    };
    let rec2 = rec.clone();
    wait_for(|| {
        let n = rec2.0.lock().unwrap().len();
        async move { n >= 4 }
    })
    .await;
    let got = rec.0.lock().unwrap().clone();
    let client = got[0].split(' ').nth(1).unwrap_or_default().to_string();
    assert_eq!(got, want(&client), "on_unsubscribe also fires on close");
    assert_eq!(a.handle.directory().subscriber_count("lobby").await, 1);

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_connection_with_the_same_key_takes_over_on_any_node() {
    let nats = Nats::start().await;
    let mut cfg = cluster_config(&nats.url());
    cfg.cluster.takeover_key = Some("device".into());
    let a = Node::start(cfg.clone()).await;
    let b = Node::start(cfg).await;
    a.wait_nodes(2).await;
    b.wait_nodes(2).await;

    let mut old = Ws::connect_path(a.addr, "/?device=phone-1").await;
    let mut other = Ws::connect_path(a.addr, "/?device=tablet").await;
    let mut plain = Ws::connect(b.addr).await;
    let mut new = Ws::connect_path(b.addr, "/?x=1&device=phone-1").await;
    assert_eq!(old.closed().await, CLOSE_TAKEN_OVER);
    // Same node too: the newest wins again.
    let mut newest = Ws::connect_path(b.addr, "/?device=phone-1").await;
    assert_eq!(new.closed().await, CLOSE_TAKEN_OVER);
    let d = a.handle.directory();
    wait_for(|| {
        let d = d.clone();
        async move { d.client_count().await == 3 }
    })
    .await;
    assert!(d.is_online(&newest.id).await && d.is_online(&other.id).await && d.is_online(&plain.id).await);
    // The survivors still work.
    newest.subscribe("x").await;
    other.subscribe("x").await;
    plain.subscribe("x").await;

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_works_on_one_node_without_nats_and_the_api_needs_the_token() {
    let cfg = lhttp_server::Config {
        publish_token: Some("s3cret".into()),
        ..lhttp_server::Config::default()
    };
    let a = Node::start(cfg).await;
    let c = Ws::connect(a.addr).await;
    let d = a.handle.directory();
    assert!(d.bind_uid(&c.id, "solo").await);
    assert!(d.join_group(&c.id, "g").await);
    assert_eq!(d.group_uids("g").await, ["solo"]);
    assert_eq!(d.client_count().await, 1);
    assert_eq!(d.nodes(), [a.handle.node_id()]);
    let (status, _) = http(a.addr, "POST", "/api/client_count", &[], "{}").await;
    assert_eq!(status, 401);
    let auth = [("Authorization", "Bearer s3cret")];
    let (status, body) = http(a.addr, "POST", "/api/clients_of_uid", &auth, r#"{"uid":"solo"}"#).await;
    assert_eq!((status, body), (200, format!(r#"{{"result":["{}"]}}"#, c.id)));
    let (status, body) = http(a.addr, "POST", "/api/nope", &auth, "").await;
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"error":"UnknownCall","detail":"no call \"nope\""}"#)
    );
    let (status, _) = http(a.addr, "POST", "/api/bind_uid", &auth, r#"{"client":"x"}"#).await;
    assert_eq!(status, 400, "missing uid");
    let (status, _) = http(
        a.addr,
        "POST",
        "/api/bind_uid",
        &auth,
        r#"{"client":"x","uid":"u","extra":1}"#,
    )
    .await;
    assert_eq!(status, 400, "unknown argument");
    a.stop().await;
}

/// The admin API on node B answers for both nodes (spec/HTTP-API.md, "Admin API"):
/// one overview entry per node, channels of either, a client on A, and its
/// actions reach A's clients through the directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_answers_for_every_node() {
    let nats = Nats::start().await;
    let a = Node::start(cluster_config(&nats.url())).await;
    let mut cb = cluster_config(&nats.url());
    cb.admin.token = Some("adm".into());
    let b = Node::start(cb).await;
    a.wait_nodes(2).await;
    b.wait_nodes(2).await;
    let mut c1 = Ws::connect(a.addr).await;
    let mut c2 = Ws::connect(b.addr).await;
    c1.subscribe("room-a lobby").await;
    c2.subscribe("room-b lobby").await;
    // One error reply on each node, to see them by name per node and summed.
    for c in [&mut c1, &mut c2] {
        let r = c.request("ack", &[], "").await;
        assert_eq!(r.command(), "error", "{r:?}");
    }
    let auth = [("Authorization", "Bearer adm")];
    let get = |path: &'static str| async move {
        let (status, body) = http(b.addr, "GET", path, &auth, "").await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let o = get("/admin/api/overview").await;
    assert_eq!(o["nodes"].as_array().unwrap().len(), 2, "{o}");
    assert_eq!(o["nodes"][0]["id"], b.handle.node_id());
    assert_eq!(
        (&o["totals"]["connections"], &o["totals"]["subscriptions"]),
        (&json!(2), &json!(4))
    );
    for n in o["nodes"].as_array().unwrap() {
        assert_eq!(n["errors"], json!({"ReservedCommand": 1}), "{o}");
        assert_eq!(
            (&n["uids"], &n["drops_by_namespace"]),
            (&json!(0), &json!({"": 0})),
            "{o}"
        );
    }
    assert_eq!(o["totals"]["errors"], json!({"ReservedCommand": 2}), "{o}");
    let c = get("/admin/api/channels").await;
    assert_eq!(c["total"], 3, "{c}");
    // Counted on both nodes, summed.
    assert_eq!(c["channels"][0], json!({"name": "lobby", "subscribers": 2}));
    let d = b.handle.directory();
    assert_eq!(
        d.channels_of_client(&c1.id).await,
        Some(vec!["lobby".to_string(), "room-a".to_string()])
    );
    let unsub = json!({"client": c1.id, "channel": "lobby"}).to_string();
    let (status, body) = http(b.addr, "POST", "/admin/api/unsubscribe", &auth, &unsub).await;
    assert_eq!((status, body.as_str()), (200, r#"{"unsubscribed":true}"#));
    assert_eq!(a.handle.subscriber_count("lobby"), 0);
    let (status, body) = http(
        b.addr,
        "POST",
        "/admin/api/disconnect",
        &auth,
        &json!({"client": c1.id}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(c1.closed().await, 1000);
}
