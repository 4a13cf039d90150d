//! `lhttp-bench chaos`: a three-node cluster (lhttpd with `--nats`, history in
//! JetStream) under load from Rust SDK clients behind small load balancers,
//! put through faults in turn: a node killed with SIGKILL, nats-server
//! restarted on its store, a node frozen with SIGSTOP past the cluster
//! timeout, a node cut from NATS (a network partition: its clients still
//! reach it, its NATS link carries nothing) and healed. A table says, per fault, how long until every client was served
//! again and how many publications each lost or got twice.
//!
//! - [`cluster`]: nats-server and the nodes, and the faults.
//! - [`balancer`]: the health-checked TCP balancers the clients go through.
//! - [`partition`]: the relay between node 3 and nats-server that can be cut.
//! - [`clients`]: subscribers and publishers on the SDK, with their logs.
//! - [`verdict`]: the per-event figures and the table.

mod balancer;
mod clients;
mod cluster;
mod partition;
mod verdict;

use crate::Result;
use balancer::{Backends, Balancer};
use clap::Parser;
use clients::Clock;
use cluster::{Nats, Node};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use verdict::Event;

/// The nodes' history (default namespace): room for the whole run.
const HISTORY_FLAGS: [&str; 4] = ["--history-size", "10000", "--history-ttl", "600"];

/// How long the subscribers may take, after publishing stopped, to get their
/// channel's last acknowledged publication.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The chaos run's command line (`lhttp-bench chaos --help`).
#[derive(Parser, Debug, Clone)]
#[command(
    name = "lhttp-bench chaos",
    about = "A three-node lhttpd cluster with history in JetStream under SDK load: kill -9 a node, restart nats-server, SIGSTOP a node; recovery time, lost and duplicated"
)]
pub struct ChaosArgs {
    /// The lhttpd binary.
    #[arg(long, value_name = "PATH")]
    pub lhttpd: PathBuf,
    /// The nats-server binary [default: NATS_SERVER, the PATH, /usr/sbin, /usr/bin].
    #[arg(long, value_name = "PATH")]
    pub nats_server: Option<PathBuf>,
    /// Extra argument for every node (repeatable).
    #[arg(long = "lhttpd-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub lhttpd_args: Vec<String>,
    /// Subscribing clients, spread over the three balancers.
    #[arg(long, default_value_t = 300)]
    pub clients: usize,
    /// Channels (each client subscribes to one).
    #[arg(long, default_value_t = 10)]
    pub channels: usize,
    /// Publishes per second on each channel.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Seconds of calm load before the first fault.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Seconds after each fault ended before the next one.
    #[arg(long, default_value_t = 10.0)]
    pub settle: f64,
    /// Seconds the killed node stays dead before it is started again.
    #[arg(long, default_value_t = 5.0)]
    pub dead: f64,
    /// Seconds nats-server stays stopped.
    #[arg(long, default_value_t = 3.0)]
    pub nats_down: f64,
    /// Seconds a node stays frozen (longer than the cluster timeout, 1 s by default).
    #[arg(long, default_value_t = 6.0)]
    pub freeze: f64,
    /// Seconds node 3 stays cut from NATS (longer than the 3 s after which the
    /// other nodes take it for lost).
    #[arg(long, default_value_t = 6.0)]
    pub partition: f64,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Write every publish (`channel n published_ms acked_ms|failed`) and the
    /// event times to this file, for a closer look.
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,
}

/// Runs the chaos sequence with `argv` (without the `chaos` word).
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let args = ChaosArgs::parse_from(std::iter::once(OsString::from("lhttp-bench chaos")).chain(argv));
    if let Err(e) = crate::proc::raise_fd_limit() {
        eprintln!("chaos: warning: cannot raise the open-file limit: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("chaos: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Interrupted, the run is dropped, and with it every process it started.
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = run(&args) => r,
            s = crate::soak::interrupted() => Err(format!("interrupted by {s}").into()),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    match outcome {
        Ok(true) => {
            println!("chaos: nothing lost or duplicated");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("chaos: FAIL: publications were lost or duplicated, or a client never came back (see the table)");
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("chaos: FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}

fn channel(c: usize) -> String {
    format!("chaos{c}")
}

async fn run(args: &ChaosArgs) -> Result<bool> {
    let nats_bin = args
        .nats_server
        .clone()
        .or_else(crate::nats_cluster::nats_binary)
        .ok_or(
            "no nats-server: install it (e.g. apt-get install nats-server), put it on the PATH or pass --nats-server",
        )?;
    let mut nats = Nats::start(nats_bin).await?;
    println!(
        "chaos: nats-server -js at {} (store {})",
        nats.url(),
        nats.store().display()
    );
    // Node 3 reaches NATS through a relay that fault (d) cuts.
    let partition = partition::Partition::start(nats.addr()).await?;
    let node_args = |i: usize| {
        let url = match i {
            2 => format!("nats://{}", partition.addr),
            _ => nats.url(),
        };
        let mut all: Vec<OsString> = ["--nats", &url, "--log", "error"].map(OsString::from).into();
        all.extend(HISTORY_FLAGS.map(OsString::from));
        all.extend(args.lhttpd_args.iter().map(OsString::from));
        all
    };
    let mut nodes = Vec::new();
    for i in 0..3 {
        let node = Node::start(&args.lhttpd, &node_args(i)).await?;
        println!("chaos: node {} at {} (pid {})", i + 1, node.addr, node.pid);
        nodes.push(node);
    }
    let backends = Backends::start(&nodes.iter().map(|n| n.addr).collect::<Vec<_>>());
    let mut balancers = Vec::new();
    for i in 0..3 {
        balancers.push(Balancer::start(i, backends.clone()).await?);
    }
    println!(
        "chaos: 3 balancers (each prefers one node, health-checks /healthz every 200 ms): {}",
        balancers
            .iter()
            .map(|b| b.addr.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let clock = Clock(Instant::now());
    println!(
        "chaos: {} SDK subscribers (reconnect on, pings every 1 s) over the balancers, {} channels",
        args.clients, args.channels
    );
    let url = |i: usize| format!("ws://{}/", balancers[i % 3].addr);
    let mut joining = Vec::new();
    for i in 0..args.clients {
        let c = (i / 3) % args.channels;
        joining.push(tokio::spawn(clients::subscriber(url(i), channel(c), c, clock)));
    }
    let mut subs = Vec::new();
    for j in joining {
        subs.push(j.await??);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut publishers = Vec::new();
    for p in 0..3 {
        publishers.push(clients::publishing_client(url(p)).await?);
    }
    let pubs: Vec<_> = (0..args.channels)
        .map(|c| {
            tokio::spawn(clients::publish(
                publishers[c % 3].clone(),
                channel(c),
                args.rate,
                clock,
                stop.clone(),
            ))
        })
        .collect();
    println!(
        "chaos: publishing {} /s on each channel through the balancers; {:.0} s of calm",
        args.rate, args.warmup
    );
    let secs = Duration::from_secs_f64;
    tokio::time::sleep(secs(args.warmup)).await;

    let mut events = Vec::new();
    // (a) A node killed; started again (a new process, a new port) after a while.
    let at = clock.ms();
    println!("chaos: (a) kill -9 node 1 (pid {})", nodes[0].pid);
    nodes[0].kill9().await;
    tokio::time::sleep(secs(args.dead)).await;
    let node = Node::start(&args.lhttpd, &node_args(0)).await?;
    println!("chaos:     node 1 started again at {} (pid {})", node.addr, node.pid);
    backends.replace(0, node.addr);
    nodes[0] = node;
    events.push(Event {
        name: "(a) kill -9 node 1".into(),
        at,
        lasted: clock.ms() - at,
    });
    settle(args, &subs, clock).await;

    // (b) nats-server stopped and started again on the same store.
    let at = clock.ms();
    println!("chaos: (b) stopping nats-server (SIGTERM)");
    nats.stop().await;
    tokio::time::sleep(secs(args.nats_down)).await;
    nats.again().await?;
    println!("chaos:     nats-server started again on the same port and store");
    events.push(Event {
        name: "(b) restart nats-server".into(),
        at,
        lasted: clock.ms() - at,
    });
    settle(args, &subs, clock).await;

    // (c) A node frozen longer than the cluster timeout, then thawed.
    let at = clock.ms();
    println!("chaos: (c) SIGSTOP node 2 (pid {}) for {} s", nodes[1].pid, args.freeze);
    nodes[1].freeze();
    tokio::time::sleep(secs(args.freeze)).await;
    nodes[1].thaw();
    println!("chaos:     SIGCONT node 2");
    events.push(Event {
        name: format!("(c) SIGSTOP node 2 for {} s", args.freeze),
        at,
        lasted: clock.ms() - at,
    });
    settle(args, &subs, clock).await;

    // (d) A network partition: node 3 keeps its clients but its NATS link
    // carries nothing (no close, no reset), then heals.
    let at = clock.ms();
    println!(
        "chaos: (d) cutting node 3 from NATS for {} s (its clients still reach it)",
        args.partition
    );
    partition.cut();
    tokio::time::sleep(secs(args.partition)).await;
    partition.heal();
    println!("chaos:     node 3's NATS link healed");
    events.push(Event {
        name: format!("(d) node 3 cut from NATS for {} s", args.partition),
        at,
        lasted: clock.ms() - at,
    });
    settle(args, &subs, clock).await;

    stop.store(true, Relaxed);
    let end = clock.ms();
    let mut logs = Vec::new();
    for p in pubs {
        logs.push(p.await?);
    }
    if let Some(path) = &args.dump {
        let mut text = String::new();
        for e in &events {
            text.push_str(&format!("event {} at {} lasted {}\n", e.name, e.at, e.lasted));
        }
        for (c, l) in logs.iter().enumerate() {
            for a in &l.acked {
                text.push_str(&format!("{c} {} {} {}\n", a.0, a.1, a.2));
            }
            for f in &l.failed {
                text.push_str(&format!("{c} {} {} failed\n", f.0, f.1));
            }
        }
        std::fs::write(path, text)?;
    }
    let published: usize = logs.iter().map(|l| l.acked.len()).sum();
    let failed: usize = logs.iter().map(|l| l.failed.len()).sum();
    println!("chaos: publishing stopped: {published} acknowledged, {failed} failed; waiting for the subscribers to get their channel's last");
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    let last: Vec<u64> = logs.iter().map(|l| l.acked.last().map_or(0, |a| a.0)).collect();
    while Instant::now() < deadline
        && !subs
            .iter()
            .all(|s| s.log.lock().unwrap().got.iter().any(|g| g.n >= last[s.channel]))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for l in logs.iter().filter_map(|l| l.last_error.as_ref()).take(3) {
        println!("chaos:   a publish error: {l}");
    }
    let reconnected = subs.iter().filter(|s| s.client.client_id() != s.first_id).count();
    let guards: Vec<_> = subs.iter().map(|s| (s.channel, s.log.lock().unwrap())).collect();
    let views: Vec<(usize, &clients::SubLog)> = guards.iter().map(|(c, g)| (*c, &**g)).collect();
    let rows = verdict::rows(&events, end, &views, &logs.iter().collect::<Vec<_>>());
    let first_errors: Vec<String> = views
        .iter()
        .flat_map(|(_, l)| l.errors.iter().map(|e| e.1.clone()))
        .take(5)
        .collect();
    let strays: usize = views.iter().map(|(_, l)| l.strays).sum();
    let paths: Vec<(usize, usize, &clients::SubLog)> =
        views.iter().enumerate().map(|(i, (c, l))| (i % 3, c % 3, *l)).collect();
    let by_path = verdict::waits_by_path(&events, &paths);
    drop(paths);
    drop(views);
    drop(guards);
    println!();
    println!(
        "chaos: 3 nodes, nats-server -js, {} clients ({} ended on another connection than their first), {} channels at {} /s each",
        args.clients, reconnected, args.channels, args.rate
    );
    println!("{}", verdict::table(&rows, args.clients));
    print!("{by_path}");
    for e in &first_errors {
        println!("chaos:   a client error: {e}");
    }
    if strays > 0 {
        println!("chaos:   {strays} messages that were not our publications");
    }
    for s in &subs {
        let _ = s.client.close().await;
    }
    for p in &publishers {
        let _ = p.close().await;
    }
    for n in nodes {
        n.stop().await;
    }
    drop(nats);
    let clean = rows
        .iter()
        .all(|r| r.lost == 0 && r.duplicated == 0 && r.served_after != Some(None));
    Ok(clean)
}

/// Waits `--settle` seconds, printing how many clients got a publication in the last second.
async fn settle(args: &ChaosArgs, subs: &[clients::Subscriber], clock: Clock) {
    let until = Instant::now() + Duration::from_secs_f64(args.settle);
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(2).min(until - Instant::now())).await;
        let since = clock.ms().saturating_sub(1000);
        let served = subs
            .iter()
            .filter(|s| s.log.lock().unwrap().got.last().is_some_and(|g| g.arrived >= since))
            .count();
        println!(
            "chaos:   {served} of {} clients got a publication in the last second",
            subs.len()
        );
    }
}
