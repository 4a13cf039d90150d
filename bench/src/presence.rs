//! Presence (spec 15) on one node: what join/leave churn costs a busy room. A
//! room of `--subscribers` receives `--rate` publishes/s while [`CHURN`]
//! connections a second join it and leave it a second later, against lhttpd
//! with presence off and on (taking turns); the table shows the deliveries/s
//! (publications and, with presence on, the join and leave events) and
//! lhttpd's CPU for each.

use crate::args::Args;
use crate::report::{render, thousands};
use crate::scenario::{self, Fanout};
use crate::server::ServerUnderTest;
use crate::swarm::CHANNEL;
use crate::{conn, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The flags of the presence-on run (default namespace): members, events, leaves at once.
pub const FLAGS: [&str; 4] = ["--presence", "--join-leave", "--presence-grace", "0"];

/// Connections that join the room per second; each leaves [`STAY`] later.
pub const CHURN: f64 = 100.0;
const STAY: Duration = Duration::from_secs(1);

/// What the scenario measured.
#[derive(Debug, Default)]
pub struct PresenceResults {
    /// Presence off.
    pub off: Option<Result<Churned, String>>,
    /// Presence on ([`FLAGS`]).
    pub on: Option<Result<Churned, String>>,
}

/// A fan-out at a fixed rate under churn.
#[derive(Debug, Clone)]
pub struct Churned {
    /// The room's fan-out (deliveries count the events too).
    pub fanout: Fanout,
    /// Joins (and as many leaves) per second achieved over the whole run.
    pub joins_per_sec: f64,
}

/// The fixed-rate fan-out on a fresh `server` with [`CHURN`] joins and leaves a second.
pub async fn churn(server: &ServerUnderTest, args: &Args) -> Result<Churned> {
    let running = server.start().await?;
    let stop = Arc::new(AtomicBool::new(false));
    let joined = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let churner = tokio::spawn(churn_loop(running.url.clone(), stop.clone(), joined.clone()));
    let result = scenario::fanout_across(&[&running.url], &running.url, &[running.pid], args, false).await;
    stop.store(true, Relaxed);
    let churn_error = churner
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let secs = started.elapsed().as_secs_f64();
    running.stop().await;
    let (fanout, _) = result?;
    churn_error?;
    Ok(Churned {
        fanout,
        joins_per_sec: joined.load(Relaxed) as f64 / secs,
    })
}

/// Opens [`CHURN`] connections a second, each subscribed to the room for
/// [`STAY`] and then closed, until `stop`. A failed join ends the run.
async fn churn_loop(url: String, stop: Arc<AtomicBool>, joined: Arc<AtomicU64>) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / CHURN));
    let mut visits = tokio::task::JoinSet::new();
    let mut n = 0u64;
    while !stop.load(Relaxed) {
        tick.tick().await;
        n += 1;
        let (url, joined) = (url.clone(), joined.clone());
        visits.spawn(async move {
            let mut ws = conn::open(&url, 4096, 0).await?;
            conn::subscribe(&mut ws, CHANNEL, &format!("c{n}")).await?;
            joined.fetch_add(1, Relaxed);
            tokio::time::sleep(STAY).await;
            drop(ws);
            Ok::<(), crate::Error>(())
        });
        while let Some(done) = visits.try_join_next() {
            done??;
        }
    }
    while let Some(done) = visits.join_next().await {
        done??;
    }
    Ok(())
}

/// The scenario's table.
pub fn table(p: &PresenceResults, subscribers: usize, rate: f64) -> String {
    let mut lines = vec![[
        "room under churn",
        "deliveries/s",
        "of which events/s",
        "joins+leaves/s",
        "lhttpd CPU",
        "CPU per delivery",
    ]
    .map(String::from)
    .to_vec()];
    let row = |what: &str, r: &Option<Result<Churned, String>>| -> Vec<String> {
        let mut v = vec![what.to_string()];
        match r {
            Some(Ok(c)) => {
                let f = &c.fanout;
                v.push(if f.lost > 0 {
                    format!("{} ({} subs lost)", thousands(f.delivered_per_sec), f.lost)
                } else {
                    thousands(f.delivered_per_sec)
                });
                v.push(thousands(f.delivered_per_sec - f.offered_per_sec));
                v.push(thousands(2.0 * c.joins_per_sec));
                v.push(f.server_cpu.map_or("-".into(), |c| format!("{c:.0}%")));
                v.push(f.server_cpu.map_or("-".into(), |c| {
                    format!("{:.2} µs", c / 100.0 / f.delivered_per_sec.max(1.0) * 1e6)
                }));
            }
            Some(Err(_)) => v.push("error".into()),
            None => v.push("-".into()),
        }
        v
    };
    let subs = thousands(subscribers as f64);
    lines.push(row(&format!("presence off, {subs} subs, {rate} pub/s"), &p.off));
    lines.push(row(&format!("presence on ({}), same load", FLAGS.join(" ")), &p.on));
    render(&lines)
}

/// The errors of the scenario, for the notes.
pub fn errors(p: &PresenceResults) -> Vec<String> {
    [("presence off", &p.off), ("presence on", &p.on)]
        .into_iter()
        .filter_map(|(what, r)| match r {
            Some(Err(e)) => Some(format!("lhttpd {what} under churn: {e}")),
            _ => None,
        })
        .collect()
}
