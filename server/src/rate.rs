//! Rate limits as the peers have them: token buckets (a rate per second and a
//! burst) for each connection's messages and for each address's new
//! connections, and a throttle so that the warnings about them cannot flood
//! the log themselves. Plain state on a monotonic clock; the pipeline and the
//! HTTP side decide what a refusal answers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket: `burst` tokens at most, `rate` more each second, one per event.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket.
    pub(crate) fn new(rate: f64, burst: f64, now: Instant) -> Bucket {
        Bucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token if there is one.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket would be full at `now` (it can be forgotten).
    fn is_full(&self, now: Instant) -> bool {
        self.tokens + now.saturating_duration_since(self.last).as_secs_f64() * self.rate >= self.burst
    }

    /// Whole seconds until the next token, at least 1 (an HTTP `Retry-After`).
    fn retry_after(&self) -> u64 {
        let wait = (1.0 - self.tokens).max(0.0) / self.rate;
        if wait.is_finite() {
            (wait.ceil() as u64).max(1)
        } else {
            u64::MAX
        }
    }
}

/// A limit as configured: `rate` per second (0: no limit) with bursts of `burst`
/// (0: the rate, rounded up, at least 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limit {
    /// Events per second.
    pub(crate) rate: f64,
    /// The most events at once.
    pub(crate) burst: u32,
}

impl Limit {
    /// The limit of `rate` and `burst`, `None` when `rate` is 0 (off).
    pub(crate) fn new(rate: f64, burst: usize) -> Option<Limit> {
        if rate <= 0.0 || !rate.is_finite() {
            return None;
        }
        let burst = if burst == 0 {
            rate.ceil().max(1.0) as usize
        } else {
            burst
        };
        Some(Limit {
            rate,
            burst: u32::try_from(burst).unwrap_or(u32::MAX),
        })
    }

    fn bucket(&self, now: Instant) -> Bucket {
        Bucket::new(self.rate, f64::from(self.burst), now)
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} per second, bursts of {}", self.rate, self.burst)
    }
}

/// What one connection's next message may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Within the limit.
    Pass,
    /// Over the limit: refused with `RateLimited`.
    Refuse,
    /// Over the limit again after a burst's worth of refusals in a row: the
    /// client ignores the replies, so the connection is closed (1008).
    Cut,
}

/// One connection's message rate.
#[derive(Debug)]
pub(crate) struct MessageRate {
    limit: Limit,
    bucket: Bucket,
    /// Messages refused since the last one that passed.
    refused_in_a_row: u32,
}

impl MessageRate {
    /// A connection's rate, with a full burst to start.
    pub(crate) fn new(limit: Limit, now: Instant) -> MessageRate {
        MessageRate {
            bucket: limit.bucket(now),
            limit,
            refused_in_a_row: 0,
        }
    }

    /// Counts one received message.
    pub(crate) fn message(&mut self, now: Instant) -> Verdict {
        if self.bucket.take(now) {
            self.refused_in_a_row = 0;
            return Verdict::Pass;
        }
        self.refused_in_a_row = self.refused_in_a_row.saturating_add(1);
        if self.refused_in_a_row >= self.limit.burst {
            Verdict::Cut
        } else {
            Verdict::Refuse
        }
    }
}

/// Most addresses whose connection rate is remembered; beyond, the ones whose
/// bucket is full again are forgotten first, then all (a forgotten address
/// starts with a full burst, which only helps a client with that many addresses).
const MAX_ADDRESSES: usize = 65_536;

/// New WebSocket connections per address. IPv6 addresses count by their /64:
/// one host usually holds a whole /64, and could otherwise take a new address
/// for every connection.
#[derive(Debug)]
pub(crate) struct ConnectionRate {
    limit: Limit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl ConnectionRate {
    /// No address has connected yet.
    pub(crate) fn new(limit: Limit) -> ConnectionRate {
        ConnectionRate {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limit in force.
    pub(crate) fn limit(&self) -> Limit {
        self.limit
    }

    /// Counts a new connection from `peer`: `Err` with the seconds until it may
    /// connect again when it is over the limit.
    pub(crate) fn connect(&self, peer: IpAddr, now: Instant) -> Result<(), u64> {
        let key = key(peer);
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&key) {
            map.retain(|_, b| !b.is_full(now));
            if map.len() >= MAX_ADDRESSES {
                map.clear();
            }
        }
        let bucket = map.entry(key).or_insert_with(|| self.limit.bucket(now));
        if bucket.take(now) {
            Ok(())
        } else {
            Err(bucket.retry_after())
        }
    }
}

/// The address a connection counts under: IPv4 as is, IPv6 by its /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

/// At most one log line per period for one kind of event; the lines left out
/// are counted and told in the next one.
#[derive(Debug)]
pub(crate) struct Throttle {
    every: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttle {
    /// A throttle of one line per `every`.
    pub(crate) fn new(every: Duration) -> Throttle {
        Throttle {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(lines left out since the last one)` when a line may be written now.
    pub(crate) fn allow(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, skipped) = &mut *state;
        if last.is_some_and(|t| now.saturating_duration_since(t) < self.every) {
            *skipped += 1;
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn a_bucket_gives_its_burst_then_its_rate() {
        let t = Instant::now();
        let mut b = Bucket::new(2.0, 3.0, t);
        assert!((0..3).all(|_| b.take(t)));
        assert!(!b.take(t));
        assert!(b.take(t + SEC / 2), "a token every half second");
        assert!(!b.take(t + SEC / 2));
        assert!((0..3).all(|_| b.take(t + SEC * 60)), "refills up to the burst only");
        assert!(!b.take(t + SEC * 60));
    }

    #[test]
    fn a_burst_of_refusals_in_a_row_cuts_and_a_pass_forgives() {
        let t = Instant::now();
        let mut r = MessageRate::new(Limit::new(1.0, 2).unwrap(), t);
        assert_eq!([r.message(t), r.message(t)], [Verdict::Pass; 2]);
        assert_eq!(r.message(t), Verdict::Refuse);
        assert_eq!(r.message(t + SEC), Verdict::Pass, "a token came back");
        assert_eq!(r.message(t + SEC), Verdict::Refuse);
        assert_eq!(r.message(t + SEC), Verdict::Cut);
    }

    #[test]
    fn limits_are_off_at_zero_and_the_burst_defaults_to_the_rate() {
        assert_eq!(Limit::new(0.0, 5), None);
        assert_eq!(Limit::new(f64::NAN, 5), None);
        assert_eq!(Limit::new(2.5, 0).unwrap().burst, 3);
        assert_eq!(Limit::new(0.1, 0).unwrap().burst, 1);
        assert_eq!(Limit::new(10.0, 4).unwrap().to_string(), "10 per second, bursts of 4");
    }

    #[test]
    fn addresses_count_apart_and_ipv6_by_its_64() {
        let t = Instant::now();
        let r = ConnectionRate::new(Limit::new(0.5, 1).unwrap());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(r.connect(a, t), Ok(()));
        assert_eq!(r.connect(a, t), Err(2), "a token in two seconds");
        assert_eq!(r.connect("10.0.0.2".parse().unwrap(), t), Ok(()));
        assert_eq!(r.connect("2001:db8::1".parse().unwrap(), t), Ok(()));
        assert!(r.connect("2001:db8::2:3".parse().unwrap(), t).is_err(), "same /64");
        assert_eq!(r.connect("2001:db8:0:1::1".parse().unwrap(), t), Ok(()));
        assert!(
            r.connect("::ffff:10.0.0.1".parse().unwrap(), t).is_err(),
            "mapped IPv4 is IPv4"
        );
    }

    #[test]
    fn a_throttle_writes_one_line_per_period_and_counts_the_rest() {
        let t = Instant::now();
        let th = Throttle::new(SEC * 10);
        assert_eq!(th.allow(t), Some(0));
        assert_eq!(th.allow(t + SEC), None);
        assert_eq!(th.allow(t + SEC * 2), None);
        assert_eq!(th.allow(t + SEC * 10), Some(2));
    }
}
