//! Reconnect delays: exponential steps up to a ceiling, each delay half fixed and
//! half random ("equal jitter"), so the clients of a restarted server do not all
//! return in the same millisecond. The randomness is a seeded splitmix64, so a
//! test with a fixed seed sees fixed delays.

/// The delay generator of one session.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: u64,
    max: u64,
    attempt: u32,
    state: u64,
}

impl Backoff {
    pub(crate) fn new(initial: u64, max: u64, seed: u64) -> Backoff {
        Backoff {
            initial: initial.max(1),
            max: max.max(initial.max(1)),
            attempt: 0,
            state: seed,
        }
    }

    /// The failed attempts since the last success.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt, in `[step / 2, step]` where the step
    /// doubles from `initial` up to `max`.
    pub(crate) fn next_delay(&mut self) -> u64 {
        let step = self
            .initial
            .checked_shl(self.attempt.min(62))
            .filter(|s| *s <= self.max)
            .unwrap_or(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = step / 2;
        half + self.random() % (step - half + 1)
    }

    /// Starts over after a connection succeeded.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    fn random(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_their_step_and_reach_the_ceiling() {
        let mut b = Backoff::new(500, 20_000, 7);
        let mut steps = [500u64, 1000, 2000, 4000, 8000, 16000, 20000, 20000].into_iter();
        for _ in 0..8 {
            let step = steps.next().unwrap();
            let d = b.next_delay();
            assert!(d >= step / 2 && d <= step, "{d} not in [{}, {step}]", step / 2);
        }
        b.reset();
        assert!(b.next_delay() <= 500);
    }

    #[test]
    fn the_same_seed_gives_the_same_delays_and_others_differ() {
        let run = |seed| {
            let mut b = Backoff::new(1000, 30_000, seed);
            [b.next_delay(), b.next_delay(), b.next_delay()]
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }
}
