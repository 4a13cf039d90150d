//! Channel history on nodes joined through a real nats-server, memory backend:
//! each node appends the other nodes' publications to its own streams (its own
//! offsets and epoch), keeps receiving them while a stream lives after its last
//! local subscriber left, so a client back on the same node recovers exactly;
//! on another node its position is of another epoch: unrecovered.
use crate::cluster_support;
use cluster_support::*;
use lhttp_server::{HistoryBackend, Namespace};
use std::time::Duration;

fn history_config(url: &str) -> lhttp_server::Config {
    let mut c = cluster_config(url);
    c.cluster.history = HistoryBackend::Memory;
    c.namespace = Namespace {
        history_size: 100,
        history_ttl: Duration::from_secs(60),
        recover_max: 300,
        ..Namespace::default()
    };
    c
}

/// The `offset` and `epoch` a publication carries.
fn position(m: &Received) -> (u64, String) {
    let offset = m.header("offset").expect("offset").parse().unwrap();
    (offset, m.header("epoch").expect("epoch").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_back_on_its_node_recovers_what_other_nodes_published() {
    let nats = Nats::start().await;
    let a = Node::start(history_config(&nats.url())).await;
    let b = Node::start(history_config(&nats.url())).await;
    a.wait_nodes(2).await;
    b.wait_nodes(2).await;
    let mut pub_b = Ws::connect(b.addr).await;
    let mut sub_a = Ws::connect(a.addr).await;
    sub_a.subscribe("room").await;
    wait_route(&mut pub_b, &mut sub_a, "room").await;
    for i in 1..=3 {
        pub_b.publish("room", &format!("m{i}")).await;
    }
    let mut last = (0, String::new());
    for i in 1..=3 {
        let m = sub_a.recv().await;
        assert_eq!(m.body(), format!("m{i}"));
        last = position(&m);
    }
    // A's last subscriber leaves; B goes on publishing.
    drop(sub_a);
    for i in 4..=5 {
        pub_b.publish("room", &format!("m{i}")).await;
    }
    let mut back = Ws::connect(a.addr).await;
    let since = format!("room {}:{}", last.1, last.0);
    back.send(&format!(
        "LHTTP/1.0 sub\r\nsubscribe:room\r\nsince:{since}\r\nid:r\r\n\r\n"
    ))
    .await;
    // Recovered ones before the ack, or live ones after it if NATS is slower: in
    // order and contiguous either way.
    let mut got = Vec::new();
    let mut ack = None;
    while got.last().map(|(_, b): &(u64, String)| b.as_str()) != Some("m5") {
        let m = back.recv_any().await;
        if m.command() == "ack" {
            ack = Some(m);
            continue;
        }
        let (offset, epoch) = position(&m);
        assert_eq!(epoch, last.1, "the same stream");
        got.push((offset, m.body().to_string()));
    }
    assert_eq!(got, [(last.0 + 1, "m4".to_string()), (last.0 + 2, "m5".to_string())]);
    let ack = match ack {
        Some(a) => a,
        None => back.recv_any().await,
    };
    assert_eq!(ack.header("recovered"), Some("room"), "{ack:?}");
    // On node B the position is of A's epoch.
    let mut other = Ws::connect(b.addr).await;
    let r = other
        .request("sub", &[("subscribe", "room"), ("since", &since)], "")
        .await;
    assert_eq!(r.header("unrecovered"), Some("room"), "{r:?}");
    a.stop().await;
    b.stop().await;
}
