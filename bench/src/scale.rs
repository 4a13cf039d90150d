//! Does the fan-out hold as nodes are added? The flat-out fan-out (history
//! off) with the subscribers spread evenly over 1, 2 and 3 lhttpd nodes, each
//! measurement on a fresh `nats-server` and fresh nodes (one node too, so
//! every count pays the NATS hop the same way), the counts taking turns round
//! after round, each median against one node's: CAPACITY.md's scale-down check.

use crate::args::Args;
use crate::nats_cluster::{self, ClusterFanout, NodeOf};
use crate::report::{render, thousands};
use std::path::Path;

/// The node counts measured, in the order each round runs them.
pub const NODES: [usize; 3] = [1, 2, 3];

/// What the scenario measured.
#[derive(Debug, Default)]
pub struct ScaleResults {
    /// Per node count, in [`NODES`] order: every round's fan-out, in the order they ran.
    pub rounds: Vec<(usize, Vec<Result<ClusterFanout, String>>)>,
}

/// `args.rounds` rounds, each measuring every count of [`NODES`] in turn, so a
/// noisy moment hits the counts alike.
pub async fn run(nats_bin: &Path, node: NodeOf<'_>, args: &Args) -> ScaleResults {
    let mut rounds: Vec<(usize, Vec<_>)> = NODES.iter().map(|&n| (n, Vec::new())).collect();
    for round in 1..=args.rounds {
        for (n, out) in rounds.iter_mut() {
            eprintln!("lhttp-bench: {n}-node cluster: fan-out flat out, history off, round {round}");
            let measured = nats_cluster::fanout(nats_bin, node, *n, args, &[]).await;
            out.push(measured.map_err(|e| e.to_string()));
        }
    }
    ScaleResults { rounds }
}

/// The median of `values` (the mean of the middle two for an even count);
/// `None` for none.
fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[mid]),
        _ => Some((v[mid - 1] + v[mid]) / 2.0),
    }
}

/// The deliveries/s of the rounds that succeeded.
fn delivered(rounds: &[Result<ClusterFanout, String>]) -> Vec<f64> {
    rounds
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|c| c.fanout.delivered_per_sec)
        .collect()
}

/// One row per node count: deliveries/s of every round and their median, the
/// median against one node's, and per round the nodes' summed CPU, nats-server's
/// and the load generator's (it shares the cores, and may be the limit).
pub fn table(s: &ScaleResults, subscribers: usize, publishers: usize) -> String {
    let head = format!(
        "nodes ({publishers} pub on node 1 -> {} subs spread evenly, history off)",
        thousands(subscribers as f64)
    );
    let mut lines = vec![vec![
        head,
        "deliveries/s per round".into(),
        "median".into(),
        "vs 1 node".into(),
        "CPU nodes summed".into(),
        "CPU nats-server".into(),
        "CPU load generator".into(),
    ]];
    let base = s.rounds.first().and_then(|(_, r)| median(&delivered(r)));
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}%"));
    for (n, rounds) in &s.rounds {
        let per_round = |cell: &dyn Fn(&ClusterFanout) -> String| {
            let cells: Vec<String> = rounds.iter().map(|r| r.as_ref().map_or("error".into(), cell)).collect();
            cells.join(" / ")
        };
        let mid = median(&delivered(rounds));
        let relative = mid
            .zip(base)
            .map_or("-".into(), |(m, b)| format!("{:.2}x", m / b.max(1.0)));
        lines.push(vec![
            n.to_string(),
            per_round(&|c| match c.fanout.lost {
                0 => thousands(c.fanout.delivered_per_sec),
                lost => format!("{} ({lost} subs lost)", thousands(c.fanout.delivered_per_sec)),
            }),
            mid.map_or("-".into(), thousands),
            relative,
            per_round(&|c| pct(c.fanout.server_cpu)),
            per_round(&|c| pct(c.nats_cpu)),
            per_round(&|c| pct(c.fanout.generator_cpu)),
        ]);
    }
    render(&lines)
}

/// The scenario's errors, one line each.
pub fn errors(s: &ScaleResults) -> Vec<String> {
    let mut out = Vec::new();
    for (n, rounds) in &s.rounds {
        for (i, r) in rounds.iter().enumerate() {
            if let Err(e) = r {
                out.push(format!("lhttpd {n}-node cluster fan-out, round {}: {e}", i + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Fanout;

    fn fan(d: f64, nodes_cpu: f64) -> Result<ClusterFanout, String> {
        Ok(ClusterFanout {
            fanout: Fanout {
                delivered_per_sec: d,
                offered_per_sec: d,
                server_cpu: Some(nodes_cpu),
                generator_cpu: Some(90.0),
                lost: 0,
            },
            nats_cpu: Some(3.0),
        })
    }

    fn row<'a>(t: &'a str, n: &str) -> Vec<&'a str> {
        let line = t.lines().find(|l| l.starts_with(&format!("| {n} "))).unwrap();
        line.split('|').map(str::trim).collect()
    }

    #[test]
    fn medians_of_odd_even_and_no_rounds() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn the_table_gives_each_count_against_one_node() {
        let s = ScaleResults {
            rounds: vec![
                (1, vec![fan(1000.0, 50.0), fan(900.0, 51.0), fan(1100.0, 52.0)]),
                (2, vec![fan(800.0, 60.0), fan(950.0, 61.0), fan(900.0, 62.0)]),
                (3, vec![fan(850.0, 70.0), Err("boom".into()), fan(750.0, 72.0)]),
            ],
        };
        let t = table(&s, 1000, 1);
        assert_eq!(row(&t, "1")[2..5], ["1,000 / 900 / 1,100", "1,000", "1.00x"], "{t}");
        assert_eq!(
            row(&t, "2")[2..6],
            ["800 / 950 / 900", "900", "0.90x", "60% / 61% / 62%"],
            "{t}"
        );
        assert_eq!(row(&t, "3")[2..5], ["850 / error / 750", "800", "0.80x"], "{t}");
        assert_eq!(row(&t, "3")[6..8], ["3% / error / 3%", "90% / error / 90%"], "{t}");
        assert_eq!(errors(&s), ["lhttpd 3-node cluster fan-out, round 2: boom"]);
    }
}
