//! The soak's view of the server process: RSS and open files sampled at a
//! fixed interval with a progress line each, the RSS growth after the
//! warm-up, and the wait for the open files to come back down.

use super::subscriber::Shared;
use crate::proc;
use crate::Result;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::time::Instant;

/// One sample of the server.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since publishing started.
    pub at: f64,
    /// Resident set size, bytes.
    pub rss: u64,
    /// Open file descriptors.
    pub fds: usize,
}

/// Open file descriptors of process `pid` (entries of /proc/PID/fd).
pub fn fd_count(pid: u32) -> std::io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Samples `pid` every `every` from `start` for `duration`, printing a line
/// per sample; the last sample is taken at the end.
pub async fn sample(pid: u32, start: Instant, duration: Duration, every: Duration, shared: &Shared) -> Vec<Sample> {
    let end = start + duration;
    let mut out = Vec::new();
    let mut next = start + every;
    loop {
        let at = next.min(end);
        tokio::time::sleep_until(at).await;
        let (rss, fds) = (proc::rss_bytes(pid).unwrap_or(0), fd_count(pid).unwrap_or(0));
        let s = Sample {
            at: (at - start).as_secs_f64(),
            rss,
            fds,
        };
        println!(
            "soak:   t={:>4.0}s  lhttpd RSS {:>10}  open files {:>6}  subscribed {:>6}  received {:>10}",
            s.at,
            mib(rss),
            fds,
            shared.connected.load(Relaxed),
            shared.received.load(Relaxed)
        );
        out.push(s);
        if at >= end {
            return out;
        }
        next += every;
    }
}

/// Prints the RSS over the run: at start, after the warm-up, at the end and
/// after the clients left, and the growth between the warm-up and the end.
///
/// The history fills for `history_ttl` seconds (each entry stays that long),
/// so RSS grows until then by design; when the run is longer, the growth from
/// then to the end is printed too: that one should be flat.
pub fn print_rss(samples: &[Sample], start: u64, left: u64, warmup: f64, history_ttl: f64) {
    let Some(end) = samples.last() else { return };
    let warm = samples.iter().find(|s| s.at >= warmup).unwrap_or(end);
    let peak = samples.iter().map(|s| s.rss).max().unwrap_or(0);
    let growth = end.rss as f64 - warm.rss as f64;
    println!(
        "soak: lhttpd RSS: start {}, after warm-up (t={:.0}s) {}, end (t={:.0}s) {}, peak {}, after every client left {}; growth after warm-up {:+.1} MiB ({:+.1}%)",
        mib(start),
        warm.at,
        mib(warm.rss),
        end.at,
        mib(end.rss),
        mib(peak),
        mib(left),
        growth / (1024.0 * 1024.0),
        if warm.rss > 0 { growth * 100.0 / warm.rss as f64 } else { 0.0 }
    );
    if let Some(full) = samples.iter().find(|s| s.at >= history_ttl).filter(|s| s.at < end.at) {
        let growth = end.rss as f64 - full.rss as f64;
        println!(
            "soak: lhttpd RSS once the history is full (t={:.0}s, the history ttl) {}, end {}: growth {:+.1} MiB ({:+.1}%)",
            full.at,
            mib(full.rss),
            mib(end.rss),
            growth / (1024.0 * 1024.0),
            growth * 100.0 / full.rss.max(1) as f64
        );
    }
}

/// Waits until `pid` holds at most `target` open files or `timeout` passes;
/// returns the last count.
pub async fn fds_settle(pid: u32, target: usize, timeout: Duration) -> Result<usize> {
    let deadline = Instant::now() + timeout;
    loop {
        let n = fd_count(pid)?;
        if n <= target || Instant::now() >= deadline {
            return Ok(n);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_own_open_files() {
        assert!(super::fd_count(std::process::id()).unwrap() >= 3);
        assert!(super::fd_count(u32::MAX).is_err());
    }
}
