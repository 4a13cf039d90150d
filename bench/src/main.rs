//! `lhttp-bench`: the load generator behind BENCHMARKS.md. It measures any
//! LHTTP server's fan-out deliveries/s, publish-to-deliver latency and memory
//! per idle connection, and in the same run a baseline server doing the same
//! job, so the table compares figures taken under the same conditions.
//!
//! Module map:
//! - [`args`]: the command line and `--smoke`.
//! - [`server`]: starting the servers under test (or naming a running one).
//! - [`conn`]: client connections, subscribe with ack, messages via lhttp-core.
//! - [`swarm`]: the subscribers and their receive loops.
//! - [`publish`]: the publishers, flat out under flow control or at a fixed rate.
//! - [`scenario`]: the measurements.
//! - [`reader`]: the epoll thread that times every latency subscriber.
//! - [`floor`]: the same latency loads over plain TCP: what the kernel alone costs.
//! - [`history`]: fan-out with history off and on, recovery after a reconnect.
//! - [`history_cluster`]: the same on two nodes with history in JetStream.
//! - [`scale`]: the fan-out on 1, 2 and 3 nodes joined through NATS.
//! - [`nats_cluster`]: a fresh nats-server and N nodes, the fan-out across them.
//! - [`proc`]: RSS and CPU time from /proc, the open-file limit.
//! - [`report`]: the comparison table.
//! - [`soak`]: `lhttp-bench soak`, the long run with reconnects (scripts/soak.sh).
//! - [`chaos`]: `lhttp-bench chaos`, faults on a three-node cluster (scripts/chaos.sh).

mod args;
mod chaos;
mod conn;
mod contention;
mod floor;
mod history;
mod history_cluster;
mod nats_cluster;
mod presence;
mod proc;
mod publish;
mod reader;
mod report;
mod scale;
mod scenario;
mod server;
mod soak;
mod swarm;

use args::{Args, Scenario};
use clap::Parser;
use report::Results;
use server::ServerUnderTest;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Any failure inside a scenario; reported in the table's notes.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let mut argv = std::env::args_os();
    match argv.nth(1) {
        Some(a) if a == "soak" => return soak::main(argv.collect()),
        Some(a) if a == "chaos" => return chaos::main(argv.collect()),
        _ => {}
    }
    let args = match Args::parse().resolved() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("lhttp-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match proc::raise_fd_limit() {
        Ok(limit) if (limit as usize) < args.idle.last().copied().unwrap_or(0) + 100 => {
            eprintln!("lhttp-bench: warning: open-file limit {limit} is below the idle connection count");
        }
        Ok(_) => {}
        Err(e) => eprintln!("lhttp-bench: warning: cannot raise the open-file limit: {e}"),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lhttp-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (results, history, cluster, presence, scale) = runtime.block_on(async {
        (
            run(&args).await,
            run_history(&args).await,
            run_history_cluster(&args).await,
            run_presence(&args).await,
            run_scale(&args).await,
        )
    });
    let load = report::Load {
        subscribers: args.subscribers,
        publishers: args.publishers,
        rate: args.rate,
    };
    println!();
    if args.scenarios.iter().any(|s| !s.own_table()) {
        println!("{}", report::table(&results, &load));
    }
    let mut errors = report::errors(&results);
    if let Some(h) = &history {
        println!("{}", history::table(h, args.subscribers, args.publishers));
        errors.extend(history::errors(h));
    }
    if let Some(h) = &cluster {
        println!("{}", history_cluster::table(h, args.subscribers, args.publishers));
        errors.extend(history_cluster::errors(h));
    }
    if let Some(p) = &presence {
        println!("{}", presence::table(p, args.subscribers, args.rate));
        errors.extend(presence::errors(p));
    }
    if let Some(s) = &scale {
        println!("{}", scale::table(s, args.subscribers, args.publishers));
        errors.extend(scale::errors(s));
    }
    for e in &errors {
        println!("error: {e}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The servers named on the command line, in table order: lhttpd, the two
/// ws baselines (plain `send` and the prepared frame), URL.
fn servers(args: &Args) -> Vec<ServerUnderTest> {
    let mut out = Vec::new();
    if let Some(path) = &args.lhttpd {
        out.push(lhttpd(args, path, &[]));
    }
    if let Some(script) = &args.baseline {
        let a = vec![script.clone().into_os_string(), "--listen".into(), "127.0.0.1:0".into()];
        out.push(ServerUnderTest::process("ws baseline", args.node.clone(), a.clone()));
        // The broadcast a careful Node user writes: the frame built once per publish.
        let mut prepared = a;
        prepared.push("--prepared".into());
        out.push(ServerUnderTest::process("ws prepared", args.node.clone(), prepared));
    }
    if let Some(url) = &args.url {
        out.push(ServerUnderTest::external("server at URL", url, args.pid));
    }
    out
}

/// The lhttpd under test started with `extra` flags after the user's.
fn lhttpd(args: &Args, path: &std::path::Path, extra: &[&str]) -> ServerUnderTest {
    let mut a: Vec<OsString> = ["--listen", "127.0.0.1:0", "--log", "warn"].map(OsString::from).into();
    a.extend(args.lhttpd_args.iter().map(OsString::from));
    a.extend(extra.iter().map(OsString::from));
    ServerUnderTest::process("lhttpd", path.to_path_buf(), a)
}

/// The history scenario, lhttpd only: the flat-out fan-out with history off
/// and on (taking turns), then the recovery rounds. `None` when not asked
/// for or without --lhttpd.
async fn run_history(args: &Args) -> Option<history::HistoryResults> {
    if !args.runs(Scenario::History) {
        return None;
    }
    let Some(path) = &args.lhttpd else {
        eprintln!("lhttp-bench: the history scenario needs --lhttpd; skipped");
        return None;
    };
    let off = lhttpd(args, path, &[]);
    let on = lhttpd(args, path, &history::FANOUT_FLAGS);
    let mut h = history::HistoryResults {
        missed: args.recovery_missed,
        ..Default::default()
    };
    eprintln!("lhttp-bench: lhttpd: fan-out flat out, history off");
    h.off = Some(text(scenario::fanout(&off, args, true).await));
    eprintln!(
        "lhttp-bench: lhttpd: fan-out flat out, history on ({})",
        history::FANOUT_FLAGS.join(" ")
    );
    h.on = Some(text(scenario::fanout(&on, args, true).await));
    eprintln!(
        "lhttp-bench: lhttpd: {} recoveries of {} missed publications",
        args.recovery_rounds, args.recovery_missed
    );
    let rec = lhttpd(args, path, &history::RECOVERY_FLAGS);
    h.recovery = Some(text(
        history::recovery(&rec, args.recovery_rounds, args.recovery_missed).await,
    ));
    Some(h)
}

/// The history-cluster scenario, lhttpd only: the flat-out fan-out on two
/// nodes with history off and in JetStream, then the recovery rounds on the
/// other node, each on a fresh nats-server and fresh nodes. `None` when not
/// asked for, without --lhttpd, or without nats-server (a note says so).
async fn run_history_cluster(args: &Args) -> Option<history_cluster::ClusterResults> {
    let (path, nats) = cluster_inputs(args, Scenario::HistoryCluster, "history-cluster")?;
    let node = |extra: &[&str]| lhttpd(args, path, extra);
    let mut h = history_cluster::ClusterResults {
        missed: args.recovery_missed,
        ..Default::default()
    };
    eprintln!("lhttp-bench: 2-node cluster: fan-out flat out, history off");
    h.off = Some(text(history_cluster::fanout(&nats, &node, args, false).await));
    eprintln!(
        "lhttp-bench: 2-node cluster: fan-out flat out, history in JetStream ({})",
        history::FANOUT_FLAGS.join(" ")
    );
    h.on = Some(text(history_cluster::fanout(&nats, &node, args, true).await));
    eprintln!(
        "lhttp-bench: 2-node cluster: {} recoveries on B of {} publications missed on A",
        args.recovery_rounds, args.recovery_missed
    );
    h.recovery = Some(text(
        history_cluster::recovery(&nats, &node, args.recovery_rounds, args.recovery_missed).await,
    ));
    Some(h)
}

/// The scale scenario, lhttpd only: the flat-out fan-out over 1, 2 and 3
/// nodes, rounds interleaved. `None` when not asked for, without --lhttpd, or
/// without nats-server (a note says so).
async fn run_scale(args: &Args) -> Option<scale::ScaleResults> {
    let (path, nats) = cluster_inputs(args, Scenario::Scale, "scale")?;
    let node = |extra: &[&str]| lhttpd(args, path, extra);
    Some(scale::run(&nats, &node, args).await)
}

/// The lhttpd binary and the nats-server a cluster scenario `name` needs, if
/// it was asked for; when one is missing, a note says it is skipped.
fn cluster_inputs<'a>(args: &'a Args, scenario: Scenario, name: &str) -> Option<(&'a Path, PathBuf)> {
    if !args.runs(scenario) {
        return None;
    }
    let Some(path) = &args.lhttpd else {
        eprintln!("lhttp-bench: the {name} scenario needs --lhttpd; skipped");
        return None;
    };
    let Some(nats) = nats_cluster::nats_binary() else {
        eprintln!("lhttp-bench: {name} skipped: no nats-server (set NATS_SERVER, or put it on the PATH)");
        return None;
    };
    Some((path, nats))
}

/// The presence scenario, lhttpd only: the fixed-rate fan-out under join/leave
/// churn with presence off and on. `None` when not asked for or without --lhttpd.
async fn run_presence(args: &Args) -> Option<presence::PresenceResults> {
    if !args.runs(Scenario::Presence) {
        return None;
    }
    let Some(path) = &args.lhttpd else {
        eprintln!("lhttp-bench: the presence scenario needs --lhttpd; skipped");
        return None;
    };
    let mut p = presence::PresenceResults::default();
    eprintln!(
        "lhttp-bench: lhttpd: {} pub/s to {} subs, {} joins and leaves/s, presence off",
        args.rate,
        args.subscribers,
        presence::CHURN
    );
    p.off = Some(text(presence::churn(&lhttpd(args, path, &[]), args).await));
    eprintln!(
        "lhttp-bench: lhttpd: the same, presence on ({})",
        presence::FLAGS.join(" ")
    );
    p.on = Some(text(presence::churn(&lhttpd(args, path, &presence::FLAGS), args).await));
    Some(p)
}

/// Runs every scenario asked for; within a scenario the servers take turns,
/// so background noise hits them alike.
async fn run(args: &Args) -> Vec<Results> {
    let servers = servers(args);
    let mut results: Vec<Results> = servers
        .iter()
        .map(|s| Results {
            name: s.name.clone(),
            ..Results::default()
        })
        .collect();
    eprintln!(
        "lhttp-bench: {} subscribers, {} publisher(s), {}s per scenario after {}s warm-up, {} generator threads, {} cores",
        args.subscribers,
        args.publishers,
        args.duration,
        args.warmup,
        args.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if args.runs(Scenario::Fanout) {
        for (s, r) in servers.iter().zip(results.iter_mut()) {
            eprintln!("lhttp-bench: {}: fan-out flat out", s.name);
            r.fanout = Some(text(scenario::fanout(s, args, true).await));
        }
    }
    if args.runs(Scenario::Rate) {
        for (s, r) in servers.iter().zip(results.iter_mut()) {
            eprintln!("lhttp-bench: {}: fan-out at {} publishes/s", s.name, args.rate);
            r.rate = Some(text(scenario::fanout(s, args, false).await));
        }
    }
    if args.runs(Scenario::Latency) {
        // The per-core floor (the bound) first, then the single-writer reference.
        let floors: &[floor::Writers] = if args.no_floor {
            &[]
        } else {
            &[floor::Writers::PerCore, floor::Writers::One]
        };
        let mut floor_results: Vec<Results> = floors
            .iter()
            .map(|w| Results {
                name: w.name().into(),
                ..Results::default()
            })
            .collect();
        for &shape in &args.latency_loads {
            // Rounds interleaved, so a noisy moment hits every server alike.
            let mut rounds: Vec<Vec<Result<scenario::Latency>>> =
                (0..servers.len() + floors.len()).map(|_| Vec::new()).collect();
            for round in 1..=args.rounds {
                for (s, out) in servers.iter().zip(rounds.iter_mut()) {
                    eprintln!("lhttp-bench: {}: latency, {shape}, round {round}", s.name);
                    out.push(scenario::latency(s, args, shape).await);
                }
                for (&writers, out) in floors.iter().zip(rounds[servers.len()..].iter_mut()) {
                    eprintln!("lhttp-bench: {}: latency, {shape}, round {round}", writers.name());
                    let (warmup, duration) = (args.warmup, args.duration);
                    let measured =
                        tokio::task::spawn_blocking(move || floor::run(&shape, warmup, duration, writers)).await;
                    out.push(
                        measured
                            .map_err(|e| format!("the floor's thread failed: {e}").into())
                            .and_then(|r| r),
                    );
                }
            }
            let mut rounds = rounds.into_iter();
            for (r, out) in results.iter_mut().zip(rounds.by_ref()) {
                r.latency.push((shape, text(scenario::median(out))));
            }
            for (f, out) in floor_results.iter_mut().zip(rounds) {
                f.latency.push((shape, text(scenario::median(out))));
            }
        }
        results.extend(floor_results.into_iter().filter(|f| !f.latency.is_empty()));
    }
    if args.runs(Scenario::Memory) {
        for (s, r) in servers.iter().zip(results.iter_mut()) {
            eprintln!("lhttp-bench: {}: memory at {:?} idle connections", s.name, args.idle);
            r.memory = Some(text(scenario::memory(s, args).await));
        }
    }
    results
}

/// A scenario's error as the text the table's notes show.
fn text<T>(r: Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}
