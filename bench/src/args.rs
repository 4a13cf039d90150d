//! The command line: which servers to measure, which scenarios, and their sizes.
//! `--smoke` shrinks everything so CI can check the harness in a second or two.

use crate::scenario::Shape;
use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// Load generator for LHTTP servers: fan-out deliveries/s, publish-to-deliver
/// latency and server memory per idle connection. Measures every server given
/// (`--lhttpd`, `--baseline`, `--url`) in the same run and prints one table.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "lhttp-bench",
    version,
    about,
    long_about = None,
    after_help = "Also: `lhttp-bench soak` (scripts/soak.sh: a long run with reconnects) and `lhttp-bench chaos` (scripts/chaos.sh: faults on a three-node cluster); each has its own --help."
)]
pub struct Args {
    /// Measure an already running server at this WebSocket URL (e.g. ws://127.0.0.1:8081/).
    #[arg(long)]
    pub url: Option<String>,
    /// Process id of the --url server; needed for the memory scenario and CPU figures.
    #[arg(long, requires = "url")]
    pub pid: Option<u32>,
    /// Start this lhttpd binary (a fresh process per scenario) and measure it.
    #[arg(long, value_name = "PATH")]
    pub lhttpd: Option<PathBuf>,
    /// Extra argument for the started lhttpd (repeatable), e.g. --lhttpd-arg=--max-queue=4096.
    #[arg(long = "lhttpd-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub lhttpd_args: Vec<String>,
    /// Start `node FILE` (the ws baseline, bench/baseline/server.js) and measure it.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The node executable used for --baseline.
    #[arg(long, default_value = "node")]
    pub node: PathBuf,
    /// Scenarios to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_values = ["fanout", "rate", "latency", "memory", "history", "history-cluster", "presence", "scale"])]
    pub scenarios: Vec<Scenario>,
    /// Subscribers on the one channel of the fan-out scenarios.
    #[arg(long, default_value_t = 1000)]
    pub subscribers: usize,
    /// Publishing connections (the publish rates are split between them).
    #[arg(long, default_value_t = 1)]
    pub publishers: usize,
    /// Seconds each fan-out and latency scenario measures, after the warm-up.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Publishes per second, all publishers together, in the fixed-rate fan-out.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Loads of the latency scenario, comma-separated, each
    /// SUBSCRIBERSxROOMS@PUBLISHES_PER_SECOND: the subscribers split evenly over
    /// the rooms, the publishes taking the rooms in turn. The defaults are three
    /// shapes, a busy room of 100, ten such rooms, and one room of 1,000 where
    /// every publish is a burst to all, each at 100,000 deliveries/s (about
    /// the ws baseline's flat-out capacity, so its queue grows) and at 50,000
    /// (a load ws carries, so its latency is not an overloaded queue's).
    #[arg(long, value_delimiter = ',', default_values = ["100x1@1000", "1000x10@1000", "1000x1@100", "100x1@500", "1000x10@500", "1000x1@50"])]
    pub latency_loads: Vec<Shape>,
    /// Rounds of each latency load (the table shows the round with the median
    /// p99), and of each node count of the scale scenario (the table shows the median).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Skip the plain-TCP floor that the latency scenarios are measured against.
    #[arg(long)]
    pub no_floor: bool,
    /// Body bytes of each fan-out publish.
    #[arg(long, default_value_t = 64)]
    pub body_size: usize,
    /// Flat-out flow control: most publishes ahead of the subscribers' average.
    /// Keeps server queues far below lhttpd's --max-queue and --max-queue-bytes,
    /// so nobody is dropped as a slow consumer.
    #[arg(long, default_value_t = 128)]
    pub window: u64,
    /// Idle connection counts for the memory scenario, comma-separated, ascending.
    #[arg(long, value_delimiter = ',', default_values_t = [5000usize, 9000])]
    pub idle: Vec<usize>,
    /// Recoveries timed by the history scenario.
    #[arg(long, default_value_t = 200)]
    pub recovery_rounds: usize,
    /// Publications each recovery round misses while disconnected (the default
    /// recover_max of lhttpd is 300).
    #[arg(long, default_value_t = 300)]
    pub recovery_missed: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Every scenario for a fraction of a second at tiny sizes: checks the harness works.
    #[arg(long)]
    pub smoke: bool,
}

/// One measurement.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Fan-out deliveries/s with the publishers going flat out.
    Fanout,
    /// Fan-out deliveries/s at a fixed publish rate.
    Rate,
    /// Publish-to-deliver latency at each of `--latency-loads`, next to the plain-TCP floor.
    Latency,
    /// Server RSS per idle (subscribed) connection.
    Memory,
    /// lhttpd only (needs --lhttpd): the flat-out fan-out with history off and
    /// on, and the time to recover missed publications on resubscribe.
    History,
    /// The same on two lhttpd nodes whose history is in JetStream (needs
    /// --lhttpd and nats-server; the benchmark starts `nats-server -js`):
    /// publisher on A, subscribers over A and B, recovery on B.
    HistoryCluster,
    /// lhttpd only (needs --lhttpd): the fixed-rate fan-out to one room while
    /// 100 connections a second join and leave it, presence off and on.
    Presence,
    /// The flat-out fan-out, history off, with the subscribers spread over 1,
    /// 2 and 3 lhttpd nodes joined through a fresh nats-server each time (needs
    /// --lhttpd and nats-server), `--rounds` rounds taking turns, against one node.
    Scale,
}

impl Scenario {
    /// Whether it prints a table of its own (the lhttpd-only scenarios) rather
    /// than rows of the comparison table.
    pub fn own_table(self) -> bool {
        use Scenario::*;
        matches!(self, History | HistoryCluster | Presence | Scale)
    }
}

impl Args {
    /// Applies `--smoke` and checks the combination makes sense.
    pub fn resolved(mut self) -> Result<Args, String> {
        if self.smoke {
            self.subscribers = self.subscribers.min(20);
            self.publishers = self.publishers.min(2);
            self.duration = 0.3;
            self.warmup = 0.1;
            self.rate = 100.0;
            self.latency_loads = vec![
                Shape {
                    subscribers: 20,
                    rooms: 4,
                    rate: 200.0,
                },
                Shape {
                    subscribers: 20,
                    rooms: 1,
                    rate: 50.0,
                },
            ];
            self.rounds = 1;
            self.window = self.window.min(32);
            self.idle = vec![20, 40];
            self.recovery_rounds = self.recovery_rounds.min(3);
            self.recovery_missed = self.recovery_missed.min(20);
        }
        if self.url.is_none() && self.lhttpd.is_none() && self.baseline.is_none() {
            return Err("nothing to measure: give --lhttpd, --baseline and/or --url".into());
        }
        if self.subscribers == 0
            || self.publishers == 0
            || self.threads == 0
            || self.rounds == 0
            || self.recovery_rounds == 0
            || self.recovery_missed == 0
        {
            return Err("--subscribers, --publishers, --threads, --rounds and --recovery-* must be at least 1".into());
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.duration) || !positive(self.rate) {
            return Err("--duration and --rate must be positive".into());
        }
        if !(self.warmup.is_finite() && self.warmup >= 0.0) {
            return Err("--warmup must not be negative".into());
        }
        if self.window == 0 {
            return Err("--window must be at least 1".into());
        }
        if self.idle.is_empty() || self.idle.contains(&0) || self.idle.windows(2).any(|w| w[0] >= w[1]) {
            return Err("--idle must be ascending positive counts, e.g. 5000,9000".into());
        }
        Ok(self)
    }

    /// Whether `s` was asked for.
    pub fn runs(&self, s: Scenario) -> bool {
        self.scenarios.contains(&s)
    }
}
