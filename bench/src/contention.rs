//! Why a latency round was slow, when the machine was the cause: how long the
//! server's threads waited for a CPU, and how much CPU the hypervisor took
//! from this VM, over the measured window.

use crate::proc;
use std::time::Instant;

/// What the machine and a process's threads did with their time over a measurement.
#[derive(Debug, Clone, Copy)]
pub struct Contention {
    wait: Option<f64>,
    ticks: Option<(u64, u64)>,
    at: Instant,
}

impl Contention {
    /// Starts counting, for the threads of `pid` (or, with `None`, the calling thread).
    pub fn start(pid: Option<u32>) -> Contention {
        Contention {
            wait: Contention::wait(pid),
            ticks: proc::machine_ticks().ok(),
            at: Instant::now(),
        }
    }

    fn wait(pid: Option<u32>) -> Option<f64> {
        match pid {
            Some(p) => proc::run_queue_wait(p).ok(),
            None => proc::thread_run_queue_wait().ok(),
        }
    }

    /// Since `start`: the threads' run-queue wait and the machine's steal, both
    /// in percent (see [`Latency::server_wait_pct`](crate::scenario::Latency::server_wait_pct)
    /// and [`Latency::steal_pct`](crate::scenario::Latency::steal_pct)).
    pub fn finish(self, pid: Option<u32>) -> (Option<f64>, Option<f64>) {
        let secs = self.at.elapsed().as_secs_f64();
        let wait = self
            .wait
            .zip(Contention::wait(pid))
            .map(|(a, b)| (b - a) / secs * 100.0);
        let steal = self
            .ticks
            .zip(proc::machine_ticks().ok())
            .and_then(|((s0, t0), (s1, t1))| {
                (t1 > t0).then(|| s1.saturating_sub(s0) as f64 / (t1 - t0) as f64 * 100.0)
            });
        (wait, steal)
    }
}
