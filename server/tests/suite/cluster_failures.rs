//! The cluster when things break: a node killed with SIGKILL vanishes from the
//! directory; nats-server stopped and restarted mid-run; a three-server NATS
//! cluster joined by routes.
use crate::cluster_support;
use cluster_support::*;
use lhttp_server::cluster::HandleExt;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_vanishes_from_every_answer() {
    let nats = Nats::start().await;
    let a = Node::start(cluster_config(&nats.url())).await;
    let b = NodeProcess::start(&["--nats", &nats.url()]).await;
    a.wait_nodes(2).await;
    let c_a = Ws::connect(a.addr).await;
    let mut c_b = Ws::connect(b.addr).await;
    c_b.subscribe("room").await;
    assert_eq!(
        api(b.addr, "bind_uid", json!({"client": c_b.id, "uid": "bea"})).await,
        json!(true)
    );
    assert_eq!(
        api(b.addr, "join_group", json!({"client": c_b.id, "group": "g"})).await,
        json!(true)
    );
    let d = a.handle.directory();
    assert!(d.is_online(&c_b.id).await);
    assert_eq!(d.all_uids().await, ["bea"]);
    assert_eq!(d.client_count().await, 2);
    assert_eq!(d.subscriber_count("room").await, 1);

    b.kill9();
    wait_for(|| {
        let d = d.clone();
        async move { d.nodes().len() == 1 }
    })
    .await;
    assert!(!d.is_online(&c_b.id).await);
    assert!(!d.is_uid_online("bea").await);
    assert!(d.all_uids().await.is_empty());
    assert!(d.all_groups().await.is_empty());
    assert_eq!(d.group_client_count("g").await, 0);
    assert_eq!(d.subscriber_count("room").await, 0);
    assert_eq!(d.client_count().await, 1);
    assert!(d.is_online(&c_a.id).await);
    a.stop().await;
}

/// The value of one metric in a `/metrics` page.
fn metric(page: &str, name: &str) -> Option<u64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_outage_degrades_then_recovers_by_itself() {
    let mut nats = Nats::start().await;
    let a = Node::start(cluster_config(&nats.url())).await;
    let b = Node::start(cluster_config(&nats.url())).await;
    a.wait_nodes(2).await;
    let mut pub_a = Ws::connect(a.addr).await;
    let mut sub_a = Ws::connect(a.addr).await;
    let mut sub_b = Ws::connect(b.addr).await;
    sub_a.subscribe("room").await;
    sub_b.subscribe("room").await;
    wait_route(&mut pub_a, &mut sub_b, "room").await;
    let (status, body) = http(a.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200, "{body}");

    nats.stop();
    wait_for(|| async {
        let (status, body) = http(a.addr, "GET", "/healthz", &[], "").await;
        status == 503 && body.contains(r#""status":"degraded""#)
    })
    .await;
    let (_, page) = http(a.addr, "GET", "/metrics", &[], "").await;
    assert_eq!(metric(&page, "lhttp_broker_up"), Some(0), "{page}");

    // Local service goes on: connections, pub/sub, the directory (this node's part).
    let mut late = Ws::connect(a.addr).await;
    late.subscribe("room").await;
    pub_a.publish("room", "during outage").await;
    assert_eq!(sub_a.recv().await.body(), "during outage");
    assert_eq!(late.recv().await.body(), "during outage");
    assert!(a.handle.directory().is_online(&late.id).await);
    assert!(a.handle.directory().client_count().await >= 3);

    // nats-server comes back on the same port: nobody does anything, delivery resumes.
    nats.restart().await;
    wait_for(|| async { http(a.addr, "GET", "/healthz", &[], "").await.0 == 200 }).await;
    wait_route(&mut pub_a, &mut sub_b, "room").await;
    pub_a.publish("room", "after outage").await;
    assert_eq!(sub_b.recv().await.body(), "after outage");
    assert_eq!(late.recv().await.body(), "after outage");
    // And the other way, with B's subscriptions restored by the client library too.
    let mut pub_b = Ws::connect(b.addr).await;
    wait_route(&mut pub_b, &mut late, "room").await;
    pub_b.publish("room", "from b").await;
    assert_eq!(late.recv().await.body(), "from b");
    let (_, page) = http(a.addr, "GET", "/metrics", &[], "").await;
    assert_eq!(metric(&page, "lhttp_broker_up"), Some(1));
    a.wait_nodes(2).await;
    assert_eq!(a.handle.directory().client_count().await, 5);

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_on_different_servers_of_a_routed_nats_cluster() {
    let servers = Nats::cluster3().await;
    let a = Node::start(cluster_config(&servers[0].url())).await;
    let b = Node::start(cluster_config(&servers[1].url())).await;
    // A third node given every server, as a deployment would.
    let all = servers.iter().map(Nats::url).collect::<Vec<_>>().join(",");
    let c = Node::start(cluster_config(&all)).await;
    for n in [&a, &b, &c] {
        n.wait_nodes(3).await;
    }
    let mut pub_a = Ws::connect(a.addr).await;
    let mut sub_b = Ws::connect(b.addr).await;
    let mut sub_c = Ws::connect(c.addr).await;
    sub_b.subscribe("room.9").await;
    sub_c.subscribe("room.9").await;
    wait_route(&mut pub_a, &mut sub_b, "room.9").await;
    wait_route(&mut pub_a, &mut sub_c, "room.9").await;
    pub_a.publish("room.9", "routed").await;
    assert_eq!(sub_b.recv().await.body(), "routed");
    assert_eq!(sub_c.recv().await.body(), "routed");
    let d = a.handle.directory();
    assert_eq!(d.client_count().await, 3);
    assert_eq!(d.subscriber_count("room.9").await, 2);
    assert!(d.bind_uid(&sub_b.id, "u").await);
    assert_eq!(c.handle.directory().clients_of_uid("u").await, [sub_b.id.clone()]);
    for n in [a, b, c] {
        n.stop().await;
    }
}
