//! What the chaos run's logs say, per event: how long until every client got
//! a publication published after the fault began, and, for the publications
//! of each event's window, how many each client was owed, lost and got twice.

use super::clients::{PubLog, SubLog};
use crate::report::render;
use std::collections::{HashMap, HashSet};

/// A client whose first publication after the fault came later than this was interrupted.
const INTERRUPTED_MS: u64 = 1000;

/// One fault.
#[derive(Debug, Clone)]
pub struct Event {
    /// What was done, for the table.
    pub name: String,
    /// When it began (ms since the start).
    pub at: u64,
    /// How long the fault lasted (ms): until the node restarted, nats-server
    /// listened again, the node was thawed.
    pub lasted: u64,
}

/// One row of the table: a window of publications.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// The window's name.
    pub name: String,
    /// The fault's length, ms (none for the calm start).
    pub lasted: Option<u64>,
    /// The longest wait of any client for a publication published after the fault began, ms;
    /// `Some(None)`: some client never got one.
    pub served_after: Option<Option<u64>>,
    /// The median client's wait, ms.
    pub median_wait: Option<u64>,
    /// Clients whose wait was over [`INTERRUPTED_MS`].
    pub interrupted: usize,
    /// Deliveries owed (acknowledged publications of the window, times their channel's subscribers).
    pub owed: u64,
    /// Owed and not received.
    pub lost: u64,
    /// Received more than once (the repeats).
    pub duplicated: u64,
    /// The slowest publish acknowledgement of the window, ms.
    pub slowest_ack: u64,
    /// Publishes of the window that failed or timed out at the publisher.
    pub failed_publishes: u64,
    /// Deliveries of those failed publishes (not owed, reported as they are).
    pub unacked_delivered: u64,
    /// Errors the subscribers' `recv()` yielded in the window (an `Unrecovered`, say).
    pub errors: u64,
}

/// The rows: the calm window before the first event, then one per event;
/// `subs` are `(channel, log)`, `pubs` indexed by channel.
pub fn rows(events: &[Event], end: u64, subs: &[(usize, &SubLog)], pubs: &[&PubLog]) -> Vec<Row> {
    let mut bounds = vec![(String::from("calm (no fault)"), 0u64, None)];
    bounds.extend(events.iter().map(|e| (e.name.clone(), e.at, Some(e))));
    let mut out = Vec::new();
    for (i, (name, lo, event)) in bounds.iter().enumerate() {
        let hi = bounds.get(i + 1).map_or(end, |b| b.1);
        let inside = |t: u64| t >= *lo && t < hi;
        let acked: Vec<HashSet<u64>> = pubs
            .iter()
            .map(|p| p.acked.iter().filter(|a| inside(a.1)).map(|a| a.0).collect())
            .collect();
        let mut row = Row {
            name: name.clone(),
            lasted: event.map(|e| e.lasted),
            failed_publishes: pubs
                .iter()
                .map(|p| p.failed.iter().filter(|f| inside(f.1)).count() as u64)
                .sum(),
            ..Row::default()
        };
        row.slowest_ack = pubs
            .iter()
            .flat_map(|p| p.acked.iter().filter(|a| inside(a.1)).map(|a| a.2 - a.1))
            .max()
            .unwrap_or(0);
        let mut slowest = Some(0u64);
        let mut waits = Vec::new();
        for (channel, log) in subs {
            let owed = &acked[*channel];
            let mut times: HashMap<u64, u64> = HashMap::new();
            for g in log.got.iter().filter(|g| inside(g.published)) {
                *times.entry(g.n).or_default() += 1;
            }
            row.owed += owed.len() as u64;
            row.lost += owed.iter().filter(|n| !times.contains_key(n)).count() as u64;
            row.duplicated += times.values().map(|k| k - 1).sum::<u64>();
            row.unacked_delivered += times.keys().filter(|n| !owed.contains(n)).count() as u64;
            row.errors += log.errors.iter().filter(|e| inside(e.0)).count() as u64;
            if let Some(e) = event {
                let wait = log.got.iter().find(|g| g.published >= e.at).map(|g| g.arrived - e.at);
                if wait.is_none_or(|w| w > INTERRUPTED_MS) {
                    row.interrupted += 1;
                }
                slowest = slowest.zip(wait).map(|(a, b)| a.max(b));
                waits.extend(wait);
            }
        }
        if event.is_some() {
            row.served_after = Some(slowest);
            waits.sort_unstable();
            row.median_wait = waits.get(waits.len() / 2).copied();
        }
        out.push(row);
    }
    out
}

/// Where the waits of each event were: the slowest wait, per client's
/// balancer (rows) and per balancer its channel's publisher goes through
/// (columns); `subs` are `(balancer, publisher's balancer, log)`.
pub fn waits_by_path(events: &[Event], subs: &[(usize, usize, &SubLog)]) -> String {
    let mut out = String::new();
    for e in events {
        let mut grid = [[None::<u64>; 3]; 3];
        for (via, pub_via, log) in subs {
            let wait = log.got.iter().find(|g| g.published >= e.at).map(|g| g.arrived - e.at);
            let cell = &mut grid[via % 3][pub_via % 3];
            *cell = Some(cell.unwrap_or(0).max(wait.unwrap_or(u64::MAX)));
        }
        out.push_str(&format!(
            "{}: slowest wait by the client's balancer (row) and its publisher's (column):\n",
            e.name
        ));
        for (i, row) in grid.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    None => "-".into(),
                    Some(u64::MAX) => "never".into(),
                    Some(ms) => format!("{:.1} s", *ms as f64 / 1000.0),
                })
                .collect();
            out.push_str(&format!("  via balancer {}: {}\n", i + 1, cells.join(" | ")));
        }
    }
    out
}

/// The table of `rows`, with `clients` subscribers in all.
pub fn table(rows: &[Row], clients: usize) -> String {
    let secs = |ms: u64| format!("{:.1} s", ms as f64 / 1000.0);
    let mut lines = vec![[
        "event",
        "fault lasted",
        "every client served again after",
        "median client",
        "clients waiting > 1 s",
        "deliveries owed",
        "lost",
        "duplicated",
        "slowest publish ack",
        "failed publishes (their deliveries)",
        "client errors",
    ]
    .map(String::from)
    .to_vec()];
    for r in rows {
        lines.push(vec![
            r.name.clone(),
            r.lasted.map_or("-".into(), secs),
            match r.served_after {
                None => "-".into(),
                Some(None) => "never".into(),
                Some(Some(ms)) => secs(ms),
            },
            r.median_wait.map_or("-".into(), secs),
            if r.lasted.is_some() {
                format!("{} of {clients}", r.interrupted)
            } else {
                "-".into()
            },
            r.owed.to_string(),
            r.lost.to_string(),
            r.duplicated.to_string(),
            secs(r.slowest_ack),
            format!("{} ({})", r.failed_publishes, r.unacked_delivered),
            r.errors.to_string(),
        ]);
    }
    render(&lines)
}

#[cfg(test)]
mod tests {
    use super::super::clients::Got;
    use super::*;

    #[test]
    fn counts_per_window_and_the_wait() {
        let got = |n, published, arrived| Got { n, published, arrived };
        let log = SubLog {
            got: vec![got(1, 0, 5), got(2, 100, 105), got(2, 100, 106), got(4, 300, 2500)],
            ..SubLog::default()
        };
        let pubs = PubLog {
            acked: vec![(1, 0, 1), (2, 100, 101), (3, 200, 201), (4, 300, 1900)],
            ..PubLog::default()
        };
        let events = [Event {
            name: "kill".into(),
            at: 150,
            lasted: 1000,
        }];
        let rows = rows(&events, 1000, &[(0, &log)], &[&pubs]);
        assert_eq!((rows[0].owed, rows[0].lost, rows[0].duplicated), (2, 0, 1));
        assert_eq!((rows[1].owed, rows[1].lost, rows[1].interrupted), (2, 1, 1));
        assert_eq!(rows[1].served_after, Some(Some(2350)));
        assert_eq!(rows[1].slowest_ack, 1600);
        assert!(table(&rows, 1).contains("2.4 s"));
    }
}
