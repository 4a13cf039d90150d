//! lhttpd nodes joined through a real nats-server: cross-node pub/sub exactly
//! once, channel names that are not subject tokens, subject prefixes, HTTP
//! publish, unsubscribe and subscriber counts.
use crate::cluster_support;
use cluster_support::*;
use lhttp_server::cluster::HandleExt;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_cross_nodes_exactly_once() {
    let nats = Nats::start().await;
    let a = Node::start(cluster_config(&nats.url())).await;
    let b = Node::start(cluster_config(&nats.url())).await;
    a.wait_nodes(2).await;
    b.wait_nodes(2).await;

    let mut pub_a = Ws::connect(a.addr).await;
    let mut sub_a = Ws::connect(a.addr).await;
    let mut sub_b = Ws::connect(b.addr).await;
    let mut multi_b = Ws::connect(b.addr).await;
    // Names that are not NATS subject tokens travel encoded, and are not mixed up.
    let channels = ["chat", "room.1", "a*b", "x>y", "room", "中文"];
    sub_a.subscribe("chat").await;
    for ch in channels {
        sub_b.subscribe(ch).await;
    }
    multi_b.subscribe("room room.1").await;
    for ch in channels {
        wait_route(&mut pub_a, &mut sub_b, ch).await;
    }
    wait_route(&mut pub_a, &mut multi_b, "room").await;
    wait_route(&mut pub_a, &mut multi_b, "room.1").await;

    for ch in channels {
        pub_a.publish(ch, &format!("to {ch}")).await;
        assert_eq!(sub_b.recv().await.body(), format!("to {ch}"));
    }
    assert_eq!(sub_a.recv().await.body(), "to chat");
    assert_eq!(multi_b.recv().await.body(), "to room.1");
    assert_eq!(multi_b.recv().await.body(), "to room");

    // A message for two channels reaches a connection subscribed to both once.
    pub_a.publish("room room.1", "both").await;
    pub_a.publish("room", "after").await;
    assert_eq!(multi_b.recv().await.body(), "both");
    assert_eq!(multi_b.recv().await.body(), "after");
    assert_eq!(sub_b.recv().await.body(), "both");
    assert_eq!(sub_b.recv().await.body(), "after");

    // Exactly once on both nodes: a marker published from B arrives after any duplicate would.
    let mut pub_b = Ws::connect(b.addr).await;
    pub_a.publish("chat", "once").await;
    assert_eq!(sub_b.recv().await.body(), "once");
    // A has subscribed to `chat` on NATS since sub_a joined, so B's marker needs no probe.
    pub_b.publish("chat", "end").await;
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("end") {
        seen.push(sub_a.recv().await.body().to_string());
    }
    assert_eq!(seen, ["once", "end"], "A's own subscriber got A's publish once");
    assert_eq!(sub_b.recv().await.body(), "end");

    // HTTP publish on A reaches B.
    let (status, body) = http(
        a.addr,
        "POST",
        "/publish",
        &[],
        "LHTTP/1.0 news\r\npublish:room.1\r\n\r\nfrom http",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"deliveries":0}"#));
    let m = sub_b.recv().await;
    assert_eq!((m.command(), m.body()), ("news", "from http"));
    assert_eq!(multi_b.recv().await.body(), "from http");

    // Subscriber counts, cluster-wide, from either node.
    for node in [&a, &b] {
        assert_eq!(node.handle.directory().subscriber_count("chat").await, 2);
        assert_eq!(node.handle.directory().subscriber_count("room.1").await, 2);
        assert_eq!(
            api(node.addr, "subscriber_count", json!({"channel": "x>y"})).await,
            json!(1)
        );
    }

    // Unsubscribe: B's subscriber stops receiving; the rest still flows.
    sub_b.unsubscribe("room.1").await;
    multi_b.unsubscribe("room.1").await;
    sub_b.subscribe("ctl").await;
    wait_route(&mut pub_a, &mut sub_b, "ctl").await;
    pub_a.publish("room.1", "gone").await;
    pub_a.publish("ctl", "marker").await;
    assert_eq!(sub_b.recv().await.body(), "marker");
    assert_eq!(a.handle.directory().subscriber_count("room.1").await, 0);
    assert_eq!(b.handle.subscriber_count("room.1"), 0);

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_prefixes_keep_deployments_apart() {
    let nats = Nats::start().await;
    let mut blue = cluster_config(&nats.url());
    blue.cluster.prefix = "blue".into();
    let mut green = cluster_config(&nats.url());
    green.cluster.prefix = "green.lhttp".into();
    let a = Node::start(blue.clone()).await;
    let b = Node::start(blue).await;
    let g = Node::start(green).await;
    a.wait_nodes(2).await;
    g.wait_nodes(1).await;

    let mut pub_a = Ws::connect(a.addr).await;
    let mut sub_b = Ws::connect(b.addr).await;
    let mut sub_g = Ws::connect(g.addr).await;
    sub_b.subscribe("chat").await;
    sub_g.subscribe("chat ctl").await;
    wait_route(&mut pub_a, &mut sub_b, "chat").await;
    pub_a.publish("chat", "blue only").await;
    assert_eq!(sub_b.recv().await.body(), "blue only");
    assert_eq!(g.handle.directory().client_count().await, 1, "green sees only itself");
    assert_eq!(a.handle.directory().client_count().await, 2);
    // Green's own traffic still flows, and blue's message never arrived there.
    let mut pub_g = Ws::connect(g.addr).await;
    pub_g.publish("ctl", "green marker").await;
    assert_eq!(sub_g.recv().await.body(), "green marker");

    for n in [a, b, g] {
        n.stop().await;
    }
}
