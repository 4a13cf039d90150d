//! History (spec 13) on a two-node cluster whose history is in NATS JetStream:
//! the flat-out fan-out with history off and on across the nodes, and the time
//! a client takes to recover, on the other node, what was published while it
//! was away. The benchmark starts `nats-server -js` itself (a fresh one, with a
//! fresh store, per measurement) and two lhttpd processes joined through it
//! ([`nats_cluster`]).

use crate::args::Args;
use crate::history::{self, FANOUT_FLAGS, RECOVERY_FLAGS};
use crate::nats_cluster::{self, ClusterFanout, Nats, NodeOf};
use crate::report::{render, thousands};
use crate::scenario::Latency;
use crate::Result;
use std::path::Path;

/// The target: history on keeps at least this share of the fan-out of history off.
pub const TARGET: f64 = 0.4;

/// The cluster's nodes: A (the publisher's) and B.
pub const NODES: usize = 2;

/// What the scenario measured.
#[derive(Debug, Default)]
pub struct ClusterResults {
    /// Flat-out fan-out, plain cluster (no history).
    pub off: Option<Result<ClusterFanout, String>>,
    /// Flat-out fan-out, history in JetStream ([`FANOUT_FLAGS`]).
    pub on: Option<Result<ClusterFanout, String>>,
    /// Recovery time on node B of `missed` publications published on node A.
    pub recovery: Option<Result<Latency, String>>,
    /// Publications missed per recovery round.
    pub missed: usize,
}

/// The flat-out fan-out on a fresh two-node cluster ([`nats_cluster::fanout`]):
/// the publishers on node A, the subscribers alternating between A and B;
/// history in JetStream when `history`.
pub async fn fanout(nats_bin: &Path, node: NodeOf<'_>, args: &Args, history: bool) -> Result<ClusterFanout> {
    let flags: &[&str] = if history { &FANOUT_FLAGS } else { &[] };
    nats_cluster::fanout(nats_bin, node, NODES, args, flags).await
}

/// `rounds` recoveries of `missed` publications on a fresh cluster with
/// history in JetStream: the client first subscribes on node A, the publisher
/// publishes on A while the client is away, and the client comes back on B.
pub async fn recovery(nats_bin: &Path, node: NodeOf<'_>, rounds: usize, missed: usize) -> Result<Latency> {
    let nats = Nats::start(nats_bin).await?;
    let nodes = nats_cluster::join(&nats, node, NODES, &RECOVERY_FLAGS).await?;
    let (a, b) = (&nodes[0].url, &nodes[1].url);
    let result = history::recovery_between(a, a, b, rounds, missed).await;
    nats_cluster::stop(nodes).await;
    result
}

/// The cluster's table: fan-out off and on with where the CPU went (the load
/// generator's share shows when it, not the cluster, is the limit), the ratio against
/// [`TARGET`], and the recovery time on the other node.
pub fn table(h: &ClusterResults, subscribers: usize, publishers: usize) -> String {
    let mut lines = vec![["metric (2 nodes, history in JetStream)", "lhttpd", "target", "met"]
        .map(String::from)
        .to_vec()];
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}%"));
    let fan = |f: &Option<Result<ClusterFanout, String>>| match f {
        Some(Ok(c)) => {
            let lost = match c.fanout.lost {
                0 => String::new(),
                n => format!(", {n} subs lost"),
            };
            format!(
                "{} (CPU lhttpd A+B {}, nats {}, load generator {}{lost})",
                thousands(c.fanout.delivered_per_sec),
                pct(c.fanout.server_cpu),
                pct(c.nats_cpu),
                pct(c.fanout.generator_cpu)
            )
        }
        Some(Err(_)) => "error".into(),
        None => "-".into(),
    };
    let what = format!(
        "fan-out flat out, {publishers} pub on A -> {} subs over A and B",
        thousands(subscribers as f64)
    );
    lines.push(vec![
        format!("{what}, history off: deliveries/s"),
        fan(&h.off),
        String::new(),
        String::new(),
    ]);
    lines.push(vec![
        format!("{what}, history on ({}): deliveries/s", FANOUT_FLAGS.join(" ")),
        fan(&h.on),
        String::new(),
        String::new(),
    ]);
    if let (Some(Ok(off)), Some(Ok(on))) = (&h.off, &h.on) {
        let ratio = on.fanout.delivered_per_sec / off.fanout.delivered_per_sec.max(1.0);
        lines.push(vec![
            "history on / history off".into(),
            format!("{:.0}%", ratio * 100.0),
            format!(">= {:.0}%", TARGET * 100.0),
            if ratio >= TARGET { "yes" } else { "NO" }.into(),
        ]);
    }
    if let Some(r) = &h.recovery {
        let what = format!("resubscribe on B to the last of {} publications missed on A", h.missed);
        history::recovery_rows(&mut lines, &what, r);
    }
    render(&lines)
}

/// The scenario's errors, one line each.
pub fn errors(h: &ClusterResults) -> Vec<String> {
    let mut out = Vec::new();
    let fan = |f: &Option<Result<ClusterFanout, String>>| f.as_ref().and_then(|r| r.as_ref().err()).cloned();
    for (what, e) in [
        ("fanout, history off", fan(&h.off)),
        ("fanout, history on", fan(&h.on)),
        ("recovery", h.recovery.as_ref().and_then(|r| r.as_ref().err()).cloned()),
    ] {
        if let Some(e) = e {
            out.push(format!("lhttpd 2-node JetStream cluster {what}: {e}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Fanout;

    fn fan(d: f64) -> Option<Result<ClusterFanout, String>> {
        Some(Ok(ClusterFanout {
            fanout: Fanout {
                delivered_per_sec: d,
                offered_per_sec: d,
                server_cpu: Some(150.0),
                generator_cpu: Some(180.0),
                lost: 0,
            },
            nats_cpu: Some(30.0),
        }))
    }

    #[test]
    fn the_table_checks_the_ratio_against_40_percent() {
        for (on, shown, met) in [(390.0, "39%", "NO"), (400.0, "40%", "yes")] {
            let h = ClusterResults {
                off: fan(1000.0),
                on: fan(on),
                ..Default::default()
            };
            let t = table(&h, 1000, 1);
            let row = t.lines().find(|l| l.contains("history on / history off")).unwrap();
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(cells[2..5], [shown, ">= 40%", met], "{t}");
            assert!(t.contains("CPU lhttpd A+B 150%, nats 30%, load generator 180%"), "{t}");
        }
    }

    #[test]
    fn an_error_shows_in_the_table_and_the_errors() {
        let h = ClusterResults {
            off: Some(Err("boom".into())),
            on: fan(1.0),
            ..Default::default()
        };
        assert!(!table(&h, 10, 1).contains("history on / history off"));
        assert_eq!(
            errors(&h),
            ["lhttpd 2-node JetStream cluster fanout, history off: boom"]
        );
    }
}
