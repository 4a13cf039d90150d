//! Presence across a cluster (spec/PROTOCOL.md 15.4) with a real nats-server:
//! joins and leaves cross nodes, queries count every node's members, and when a
//! node is killed with SIGKILL its members leave on the other node with reason
//! `node-lost`, also those that joined before that node's subscriber did.
use crate::cluster_support;
use cluster_support::*;
use std::time::Instant;

/// Presence and join/leave on every channel, self-declared uids, no grace.
const PRESENCE: [&str; 6] = [
    "--presence",
    "--join-leave",
    "--client-identity",
    "--presence-grace",
    "0",
    "--cluster-timeout",
];

fn node_args(nats: &str) -> Vec<String> {
    node_args_with_grace(nats, "0")
}

fn node_args_with_grace(nats: &str, grace: &str) -> Vec<String> {
    let mut a: Vec<String> = PRESENCE.iter().map(|s| s.to_string()).collect();
    a[4] = grace.to_string();
    a.push("5".into());
    a.extend(["--nats".into(), nats.to_string()]);
    a
}

/// Reads until a `join` or `leave` of `client` arrives (skipping probes and acks).
async fn event_of(ws: &mut Ws, command: &str, client: &str) -> Received {
    loop {
        let m = ws.recv().await;
        if m.command() == command && m.header("client") == Some(client) {
            return m;
        }
        assert!(
            m.command() != "leave" && m.command() != "join" || m.header("client") != Some(client),
            "unexpected {m:?}"
        );
    }
}

/// Waits until `addr` counts `n` members of `channel`, cluster-wide.
async fn wait_members(addr: std::net::SocketAddr, channel: &str, n: u64) {
    wait_for(|| async move {
        api(addr, "presence_stats", serde_json::json!({ "channel": channel })).await["connections"] == n
    })
    .await;
}

#[tokio::test]
async fn a_killed_nodes_members_leave_on_the_other_node() {
    let nats = Nats::start().await;
    let args = node_args(&nats.url());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let a = NodeProcess::start(&args).await;
    let b = NodeProcess::start(&args).await;

    // Ann joins on B before anyone on A listens: A learns of her when its first subscriber joins.
    let mut ann = Ws::connect_path(b.addr, "/?uid=ann").await;
    ann.subscribe("room").await;
    wait_members(a.addr, "room", 1).await;
    let mut watcher = Ws::connect(a.addr).await;
    watcher.subscribe("room").await;
    wait_members(a.addr, "room", 2).await;

    // Bob joins on B after: his join crosses to A, and the member list has all three.
    let mut bob = Ws::connect_path(b.addr, "/?uid=bob").await;
    bob.subscribe("room").await;
    let joined = event_of(&mut watcher, "join", &bob.id).await;
    assert_eq!(joined.header("uid"), Some("bob"));
    let members = api(a.addr, "presence", serde_json::json!({ "channel": "room" })).await;
    assert_eq!(
        (members["connections"].as_u64(), members["users"].as_u64()),
        (Some(3), Some(2))
    );
    let listed: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["client"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&ann.id.as_str()) && listed.contains(&bob.id.as_str()) && listed.contains(&watcher.id.as_str())
    );

    // A leave crosses nodes too.
    bob.unsubscribe("room").await;
    let left = event_of(&mut watcher, "leave", &bob.id).await;
    assert_eq!(left.header("reason"), Some("unsubscribe"));

    // SIGKILL: no goodbye. Ann leaves on A once B's heartbeats are missed.
    let killed = Instant::now();
    b.kill9();
    let left = event_of(&mut watcher, "leave", &ann.id).await;
    assert_eq!(
        (left.header("reason"), left.header("uid")),
        (Some("node-lost"), Some("ann"))
    );
    println!("node-lost leave on the other node {:?} after SIGKILL", killed.elapsed());
    wait_members(a.addr, "room", 1).await;
    drop(a);
}

#[tokio::test]
async fn a_reconnect_to_another_node_within_the_grace_sends_no_leave_and_no_join() {
    let nats = Nats::start().await;
    let args = node_args_with_grace(&nats.url(), "3");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let a = NodeProcess::start(&args).await;
    let b = NodeProcess::start(&args).await;
    let mut watcher = Ws::connect(a.addr).await;
    watcher.subscribe("room").await;
    let mut ann = Ws::connect_path(b.addr, "/?uid=ann").await;
    ann.subscribe("room").await;
    let first = ann.id.clone();
    event_of(&mut watcher, "join", &first).await;

    // Ann's node loses her; she is back on A, as a load balancer would send her, within the grace.
    drop(ann);
    let mut back = Ws::connect_path(a.addr, "/?uid=ann").await;
    // The away notice may still be on its way: wait until the grace is known on A.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    back.subscribe("room").await;
    back.publish("room", "back").await;
    let next = watcher.recv().await;
    assert_eq!(
        (next.command(), next.body()),
        ("chat", "back"),
        "no leave and no join before it: {next:?}"
    );
    wait_members(a.addr, "room", 2).await;
    let members = api(a.addr, "presence", serde_json::json!({ "channel": "room" })).await;
    let listed = members["members"].to_string();
    assert!(listed.contains(&back.id) && !listed.contains(&first), "{listed}");

    // Past the grace, still nothing: B's pending leave was taken back.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    back.publish("room", "still here").await;
    let next = watcher.recv().await;
    assert_eq!(
        next.body(),
        "still here",
        "no late leave of the first connection: {next:?}"
    );
    drop(b);
}
