//! `lhttp-bench soak`: thousands of connections on a fresh lhttpd for minutes,
//! a share of them reconnecting every minute and recovering with `since`,
//! steady pub/sub on many channels; it prints the server's RSS and open files
//! over time and the delivery account (owed, received, lost, duplicated), and
//! fails when anything was lost or repeated or the open files did not return.
//!
//! - [`account`]: what one subscriber was owed and received.
//! - [`schedule`]: when each subscriber leaves and comes back.
//! - [`subscriber`]: one subscriber's life.
//! - [`publisher`]: the publishers.
//! - [`watch`]: the server's RSS and open files, sampled.

mod account;
mod publisher;
mod schedule;
mod subscriber;
mod watch;

use crate::server::ServerUnderTest;
use crate::{proc, Result};
use account::Totals;
use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use subscriber::{Phase, Plan, Shared};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The history the soak's lhttpd keeps (default namespace): every reconnecting
/// subscriber's missed publications fit.
const HISTORY_FLAGS: [&str; 4] = ["--history-size", "1000", "--history-ttl", "300"];

/// The ttl in [`HISTORY_FLAGS`]: the history grows until then.
const HISTORY_TTL: f64 = 300.0;

/// Handshakes in flight while the connections open.
const OPEN_PARALLELISM: usize = 64;

/// The soak's command line (`lhttp-bench soak --help`).
#[derive(Parser, Debug, Clone)]
#[command(
    name = "lhttp-bench soak",
    about = "Long run of a fresh lhttpd: many connections, reconnects with recovery, steady pub/sub; RSS, open files and the delivery account"
)]
pub struct SoakArgs {
    /// The lhttpd binary to start.
    #[arg(long, value_name = "PATH")]
    pub lhttpd: PathBuf,
    /// Extra argument for lhttpd (repeatable).
    #[arg(long = "lhttpd-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub lhttpd_args: Vec<String>,
    /// Subscriber connections, each on one channel.
    #[arg(long, default_value_t = 9000)]
    pub connections: usize,
    /// Channels (subscribers split evenly over them).
    #[arg(long, default_value_t = 100)]
    pub channels: usize,
    /// Publishes per second, all publishers together.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Publishing connections.
    #[arg(long, default_value_t = 4)]
    pub publishers: usize,
    /// Seconds of publishing (after the connections are open).
    #[arg(long, default_value_t = 600.0)]
    pub duration: f64,
    /// Share of the subscribers that leave and come back every minute.
    #[arg(long, default_value_t = 0.1)]
    pub reconnect_share: f64,
    /// Seconds a reconnecting subscriber stays away (it misses what is published meanwhile).
    #[arg(long, default_value_t = 1.0)]
    pub away: f64,
    /// Seconds after which RSS counts as warmed up [default: 120, or a third of a shorter run].
    #[arg(long)]
    pub warmup: Option<f64>,
    /// Seconds between two RSS and open-file samples.
    #[arg(long, default_value_t = 10.0)]
    pub sample: f64,
    /// Body bytes of each publish.
    #[arg(long, default_value_t = 64)]
    pub body_size: usize,
    /// Open files lhttpd may hold, after every client left, beyond its count at start.
    #[arg(long, default_value_t = 2)]
    pub fd_allowance: usize,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// The CI run: one minute, 1,000 connections (explicit flags still win).
    #[arg(long)]
    pub ci: bool,
}

/// Runs the soak with `argv` (without the `soak` word); the exit code says
/// whether it was clean.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let explicit: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut args = SoakArgs::parse_from(std::iter::once(OsString::from("lhttp-bench soak")).chain(argv));
    if args.ci {
        let given = |flag: &str| explicit.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
        if !given("--duration") {
            args.duration = 60.0;
        }
        if !given("--connections") {
            args.connections = 1000;
        }
    }
    match proc::raise_fd_limit() {
        Ok(limit) if (limit as usize) < args.connections + 200 => {
            eprintln!(
                "soak: warning: open-file limit {limit} is below {} connections",
                args.connections
            );
        }
        Ok(_) => {}
        Err(e) => eprintln!("soak: warning: cannot raise the open-file limit: {e}"),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("soak: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Interrupted, the run is dropped, and with it lhttpd (killed on drop).
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = run(&args) => r,
            s = interrupted() => Err(format!("interrupted by {s}").into()),
        }
    });
    match outcome {
        Ok(true) => {
            println!("soak: PASS");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("soak: FAIL");
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("soak: FAIL: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Waits for SIGINT or SIGTERM; names it.
pub async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// The channel of number `c`.
fn channel(c: usize) -> String {
    format!("soak{c}")
}

async fn run(args: &SoakArgs) -> Result<bool> {
    let mut flags: Vec<OsString> = ["--listen", "127.0.0.1:0", "--log", "warn"].map(OsString::from).into();
    flags.extend(HISTORY_FLAGS.map(OsString::from));
    flags.extend(args.lhttpd_args.iter().map(OsString::from));
    println!(
        "soak: starting lhttpd {}",
        flags.iter().map(|f| f.to_string_lossy()).collect::<Vec<_>>().join(" ")
    );
    let server = ServerUnderTest::process("lhttpd", args.lhttpd.clone(), flags)
        .start()
        .await?;
    let pid = server.pid.ok_or("no pid for lhttpd")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fd_start = watch::fd_count(pid)?;
    let rss_start = proc::rss_bytes(pid)?;
    println!(
        "soak: lhttpd pid {pid} at {}: RSS {}, {fd_start} open files",
        server.url,
        watch::mib(rss_start)
    );

    let (phase_tx, phase_rx) = tokio::sync::watch::channel(Phase::Opening);
    let shared = Arc::new(Shared {
        url: server.url.clone(),
        phase: phase_rx,
        connected: AtomicUsize::new(0),
        received: AtomicUsize::new(0),
        gate: Arc::new(Semaphore::new(OPEN_PARALLELISM)),
    });
    println!(
        "soak: opening {} subscribers over {} channels ({OPEN_PARALLELISM} handshakes at a time)",
        args.connections, args.channels
    );
    let opening = Instant::now();
    let mut subs = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        let plan = Plan {
            index: i,
            count: args.connections,
            share: args.reconnect_share,
            away: Duration::from_secs_f64(args.away),
        };
        let ch = i % args.channels;
        subs.push(tokio::spawn(subscriber::run(i, channel(ch), ch, plan, shared.clone())));
    }
    let mut last_print = Instant::now();
    while shared.connected.load(Relaxed) < args.connections {
        if subs.iter().any(|s| s.is_finished()) {
            return Err("a subscriber failed while opening (see the errors above)".into());
        }
        if last_print.elapsed() >= Duration::from_secs(2) {
            println!(
                "soak:   {} of {} subscribed",
                shared.connected.load(Relaxed),
                args.connections
            );
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "soak: {} subscribed in {:.1} s; lhttpd RSS {}, {} open files",
        args.connections,
        opening.elapsed().as_secs_f64(),
        watch::mib(proc::rss_bytes(pid)?),
        watch::fd_count(pid)?
    );

    let stop = Arc::new(AtomicBool::new(false));
    let names: Vec<String> = (0..args.channels).map(channel).collect();
    let pubs: Vec<_> = (0..args.publishers)
        .map(|p| {
            tokio::spawn(publisher::run(
                server.url.clone(),
                p,
                args.publishers,
                names.clone(),
                args.rate,
                args.body_size,
                stop.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    let _ = phase_tx.send(Phase::Running(started));
    let warmup = args.warmup.unwrap_or((args.duration / 3.0).min(120.0));
    println!(
        "soak: publishing {} /s for {:.0} s; {:.0}% of the subscribers leave every minute for {} s and recover with since; a sample every {} s (RSS warm-up {warmup:.0} s)",
        args.rate,
        args.duration,
        args.reconnect_share * 100.0,
        args.away,
        args.sample
    );
    let samples = watch::sample(
        pid,
        started,
        Duration::from_secs_f64(args.duration),
        Duration::from_secs_f64(args.sample),
        &shared,
    )
    .await;

    stop.store(true, Relaxed);
    println!("soak: publishing stopped; waiting for the last acks");
    let mut last = vec![0u64; args.channels];
    let mut published = 0u64;
    let mut pub_errors = Vec::new();
    for p in pubs {
        let out = p.await??;
        published += out.sent;
        for (c, n) in out.last {
            last[c] = n;
        }
        pub_errors.extend(out.errors);
    }
    println!("soak: {published} publications; subscribers draining (each until its channel's last)");
    let _ = phase_tx.send(Phase::Drain(Arc::new(last.clone())));
    let mut totals = Totals::default();
    for s in subs {
        let acc = s.await?;
        totals.add(&acc, last[acc.channel]);
    }
    println!("soak: every subscriber left; waiting for lhttpd's open files to return");
    let rss_left = proc::rss_bytes(pid)?;
    let fd_after = watch::fds_settle(pid, fd_start + args.fd_allowance, Duration::from_secs(30)).await?;
    server.stop().await;

    let fds_ok = fd_after <= fd_start + args.fd_allowance;
    watch::print_rss(&samples, rss_start, rss_left, warmup, HISTORY_TTL);
    let fd_peak = samples.iter().map(|s| s.fds).max().unwrap_or(0);
    println!(
        "soak: lhttpd open files: start {fd_start}, peak {fd_peak}, after every client left {fd_after} (allowance {}): {}",
        args.fd_allowance,
        if fds_ok { "returned" } else { "NOT returned" }
    );
    let planned = (args.duration / 60.0 * args.reconnect_share * args.connections as f64).round();
    println!(
        "soak: deliveries: owed {}, received {}, lost {}, duplicated {}, out of order {}, offset not the body's sequence {}",
        totals.expected, totals.received, totals.lost, totals.duplicated, totals.out_of_order, totals.mismatched
    );
    println!(
        "soak: reconnects {} (about {planned:.0} planned): recovered {}, unrecovered {}, new epoch {}; {} publications came back through since",
        totals.reconnects, totals.recovered, totals.unrecovered, totals.epoch_changes, totals.recovered_publications
    );
    println!(
        "soak: publications {published}, publish errors {}; subscriber errors {} (never subscribed {})",
        pub_errors.len(),
        totals.errors,
        totals.never_subscribed
    );
    for e in totals.first_errors.iter().chain(pub_errors.iter().take(10)) {
        println!("soak:   error: {e}");
    }
    Ok(totals.clean() && pub_errors.is_empty() && fds_ok && totals.expected > 0)
}
