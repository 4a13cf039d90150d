//! When each soak subscriber leaves and comes back: a fixed share of the
//! connections every minute, spread evenly over the minute.

use std::time::Duration;
use tokio::time::Instant;

/// One subscriber's reconnect times: `start + offset + k * period`.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// The first leave; `None` never leaves.
    first: Option<Instant>,
    /// Time between two leaves of this subscriber.
    period: Duration,
}

impl Schedule {
    /// Subscriber `index` of `count` when `share` of them (0.1: 10%) reconnect
    /// every minute from `start` on.
    pub fn new(index: usize, count: usize, share: f64, start: Instant) -> Schedule {
        if share <= 0.0 || count == 0 {
            return Schedule {
                first: None,
                period: Duration::MAX,
            };
        }
        let period = Duration::from_secs_f64(60.0 / share);
        let offset = period.mul_f64(index as f64 / count as f64);
        Schedule {
            first: Some(start + offset),
            period,
        }
    }

    /// The first planned leave at or after `now`.
    pub fn next_after(&self, now: Instant) -> Option<Instant> {
        let first = self.first?;
        if now <= first {
            return Some(first);
        }
        let k = ((now - first).as_secs_f64() / self.period.as_secs_f64()).ceil();
        Some(first + self.period.mul_f64(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_percent_a_minute_each_once_in_ten_minutes() {
        let t0 = Instant::now();
        let s = Schedule::new(500, 1000, 0.1, t0);
        assert_eq!(s.next_after(t0), Some(t0 + Duration::from_secs(300)));
        let later = t0 + Duration::from_secs(301);
        assert_eq!(s.next_after(later), Some(t0 + Duration::from_secs(900)));
        let never = Schedule::new(1, 10, 0.0, t0);
        assert_eq!(never.next_after(t0), None);
    }
}
