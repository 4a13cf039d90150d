//! What the benchmark reads about processes from Linux: a server's resident
//! memory, CPU time and time spent waiting for a CPU, the CPU time the
//! hypervisor took from this machine (from /proc), and raising this process's
//! open-file limit so thousands of connections fit.

use std::io;

/// Resident set size of process `pid`, in bytes (`VmRSS` of /proc/PID/status).
pub fn rss_bytes(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS in /proc status"))
}

/// User plus system CPU time process `pid` has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad /proc stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line; 12 and 13 after the name.
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let (Some(user), Some(system)) = (ticks(11), ticks(12)) else {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad /proc stat"));
    };
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    Ok((user + system) as f64 / hz)
}

/// The machine's CPU time so far, in clock ticks summed over its CPUs: (stolen
/// by the hypervisor for other guests, all of it). The first line of /proc/stat.
pub fn machine_ticks() -> io::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad /proc/stat");
    let line = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .ok_or_else(bad)?;
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let ticks: Vec<u64> = line.split_whitespace().take(8).filter_map(|f| f.parse().ok()).collect();
    if ticks.len() < 8 {
        return Err(bad());
    }
    Ok((ticks[7], ticks.iter().sum()))
}

/// Seconds the threads of process `pid` have spent runnable but waiting for a
/// CPU, summed (the second field of each thread's /proc schedstat).
pub fn run_queue_wait(pid: u32) -> io::Result<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        // A thread that ended meanwhile is skipped.
        if let Ok(stat) = std::fs::read_to_string(task?.path().join("schedstat")) {
            ns += schedstat_wait(&stat).unwrap_or(0);
        }
    }
    Ok(ns as f64 / 1e9)
}

/// Seconds the calling thread has spent runnable but waiting for a CPU.
pub fn thread_run_queue_wait() -> io::Result<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let ns = schedstat_wait(&stat).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad schedstat"))?;
    Ok(ns as f64 / 1e9)
}

/// The run-queue wait, in nanoseconds, of a schedstat line (`run wait slices`).
fn schedstat_wait(stat: &str) -> Option<u64> {
    stat.split_whitespace().nth(1)?.parse().ok()
}

/// Raises the soft open-file limit to the hard one (children started later
/// inherit it) and returns the new soft limit.
pub fn raise_fd_limit() -> io::Result<libc::rlim_t> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(io::Error::last_os_error());
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(lim.rlim_cur)
}

/// CPU time the calling thread has used so far, in seconds.
pub fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for clock_gettime to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0.0;
    }
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_rss_and_cpu() {
        let me = std::process::id();
        assert!(rss_bytes(me).unwrap() > 0);
        assert!(cpu_seconds(me).unwrap() >= 0.0);
    }

    #[test]
    fn reads_steal_and_run_queue_waits() {
        let (steal, all) = machine_ticks().unwrap();
        assert!(all > 0 && steal <= all);
        assert!(run_queue_wait(std::process::id()).unwrap() >= 0.0);
        assert!(thread_run_queue_wait().unwrap() >= 0.0);
        assert_eq!(schedstat_wait("100 250 3\n"), Some(250));
        assert_eq!(schedstat_wait("100"), None);
    }

    #[test]
    fn missing_process_is_an_error() {
        assert!(rss_bytes(u32::MAX).is_err());
    }
}
