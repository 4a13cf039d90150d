//! History (spec 13) on a two-node cluster whose history is in NATS JetStream:
//! the flat-out fan-out with history off and on across the nodes, and the time
//! a client takes to recover, on the other node, what was published while it
//! was away. The benchmark starts `nats-server -js` itself (a fresh one, with a
//! fresh store, per measurement) and two lhttpd processes joined through it.

use crate::args::Args;
use crate::conn;
use crate::history::{self, FANOUT_FLAGS, RECOVERY_FLAGS};
use crate::report::{render, thousands};
use crate::scenario::{self, Fanout, Latency};
use crate::server::{Running, ServerUnderTest};
use crate::Result;
use lhttp_core::Header;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The target: history on keeps at least this share of the fan-out of history off.
pub const TARGET: f64 = 0.4;

/// How long nats-server may take to listen, and a node to have the stream.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// Starts one lhttpd node with extra flags (the user's `--lhttpd-arg`s included).
pub type NodeOf<'a> = &'a dyn Fn(&[&str]) -> ServerUnderTest;

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

/// One cluster fan-out and where its CPU went.
#[derive(Debug, Clone)]
pub struct ClusterFanout {
    /// The fan-out; its `server_cpu` is both lhttpd nodes together.
    pub fanout: Fanout,
    /// nats-server's CPU over the same seconds, in percent of one core.
    pub nats_cpu: Option<f64>,
}

/// The nats-server to run: `NATS_SERVER`, else `nats-server` on the PATH or
/// in /usr/sbin, /usr/bin (as the cluster tests find it); `None` if none.
pub fn nats_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NATS_SERVER") {
        return Some(p.into());
    }
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
        .map(|dir| PathBuf::from(dir).join("nats-server"))
        .find(|p| p.is_file())
}

/// A `nats-server -js` on a free port with its store in a fresh directory;
/// dropping it kills the server and removes the store.
struct Nats {
    child: Child,
    url: String,
    store: PathBuf,
}

impl Nats {
    async fn start(binary: &PathBuf) -> Result<Nats> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let store = std::env::temp_dir().join(format!("lhttp-bench-js-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&store)?;
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&store)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let nats = Nats {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            store,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("nats-server did not listen within {READY_TIMEOUT:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(nats)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// Two nodes joined through `nats` with `flags`; with history, each has set up
/// the stream before they are returned.
async fn pair(nats: &Nats, node: NodeOf<'_>, flags: &[&str]) -> Result<(Running, Running)> {
    let mut all = vec!["--nats", nats.url.as_str()];
    all.extend_from_slice(flags);
    let a = node(&all).start().await?;
    let b = node(&all).start().await?;
    if !flags.is_empty() {
        for n in [&a, &b] {
            history_ready(&n.url, READY_TIMEOUT).await?;
        }
    }
    Ok((a, b))
}

/// Waits, at most `within`, until the node at `url` answers a history read (its
/// JetStream stream is set up; a subscribe to a channel with history is refused before).
pub(crate) async fn history_ready(url: &str, within: Duration) -> Result<()> {
    let mut ws = conn::open(url, 64 * 1024, 0).await?;
    let deadline = Instant::now() + within;
    for n in 0u64.. {
        let tag = format!("ready{n}");
        let headers = [
            Header {
                name: lhttp_core::names::HISTORY,
                value: "ready-check",
            },
            Header {
                name: "limit",
                value: "0",
            },
            Header {
                name: "id",
                value: &tag,
            },
        ];
        match history::request(&mut ws, &headers, &tag).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(format!("{url}: history never ready: {e}").into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    unreachable!("the loop returns")
}

/// The flat-out fan-out on a fresh cluster: the publishers on node A, the
/// subscribers alternating between A and B; history in JetStream when `history`.
pub async fn fanout(nats_bin: &PathBuf, node: NodeOf<'_>, args: &Args, history: bool) -> Result<ClusterFanout> {
    let nats = Nats::start(nats_bin).await?;
    let flags: &[&str] = if history { &FANOUT_FLAGS } else { &[] };
    let (a, b) = pair(&nats, node, flags).await?;
    let pids = [a.pid, b.pid, Some(nats.pid())];
    let measured = scenario::fanout_across(&[&a.url, &b.url], &a.url, &pids, args, true).await;
    a.stop().await;
    b.stop().await;
    let (mut fanout, cpu) = measured?;
    fanout.server_cpu = cpu[0].zip(cpu[1]).map(|(x, y)| x + y);
    Ok(ClusterFanout {
        fanout,
        nats_cpu: cpu[2],
    })
}

/// `rounds` recoveries of `missed` publications on a fresh cluster with
/// history in JetStream: the client first subscribes on node A, the publisher
/// publishes on A while the client is away, and the client comes back on B.
pub async fn recovery(nats_bin: &PathBuf, node: NodeOf<'_>, rounds: usize, missed: usize) -> Result<Latency> {
    let nats = Nats::start(nats_bin).await?;
    let (a, b) = pair(&nats, node, &RECOVERY_FLAGS).await?;
    let result = history::recovery_between(&a.url, &a.url, &b.url, rounds, missed).await;
    a.stop().await;
    b.stop().await;
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
