//! The delivery account of one soak subscriber: which sequence numbers of its
//! channel it was owed (everything after the position of its first subscribe
//! ack) and which it received, so lost and duplicated are counted exactly.

use crate::conn::COMMAND;
use lhttp_core::{parse, EMPTY_HEADER};

/// What one subscriber was owed and received.
#[derive(Debug, Default)]
pub struct Account {
    /// Its channel's number.
    pub channel: usize,
    /// The offset in its first subscribe ack; `None` before that ack.
    start: Option<u64>,
    /// The epoch of that ack.
    epoch: String,
    /// The highest sequence number received.
    highest: u64,
    /// Sequence numbers received, one bit each.
    seen: Vec<u64>,
    /// Publications that arrived before the first ack, replayed at the ack.
    early: Vec<u64>,
    /// Distinct publications received after the start.
    pub received: u64,
    /// Publications received a second time.
    pub duplicated: u64,
    /// Publications received after a later one.
    pub out_of_order: u64,
    /// Publications whose `offset` header is not the sequence number in their body
    /// (on a fresh memory-backend server the two are the same).
    pub mismatched: u64,
    /// Resubscribes whose ack did not say `recovered`.
    pub unrecovered: u64,
    /// Resubscribes whose ack said `recovered`.
    pub recovered: u64,
    /// Publications that came back through a `since` (before a resubscribe's ack).
    pub recovered_publications: u64,
    /// Resubscribes whose ack named another epoch.
    pub epoch_changes: u64,
    /// Times it left and came back.
    pub reconnects: u64,
    /// What went wrong, for the report.
    pub errors: Vec<String>,
}

/// The totals over many accounts, once the last sequence number of every
/// channel is known.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    /// Publications owed to subscribers.
    pub expected: u64,
    /// Owed and received.
    pub received: u64,
    /// Owed and never received.
    pub lost: u64,
    /// Received twice or more (the repeats).
    pub duplicated: u64,
    /// Received after a later one.
    pub out_of_order: u64,
    /// Offset and body disagreeing.
    pub mismatched: u64,
    /// Resubscribes not recovered.
    pub unrecovered: u64,
    /// Resubscribes recovered.
    pub recovered: u64,
    /// Publications that came back through a `since`.
    pub recovered_publications: u64,
    /// Resubscribes that found a new epoch.
    pub epoch_changes: u64,
    /// Reconnects, planned and not.
    pub reconnects: u64,
    /// Subscribers that never got a first ack.
    pub never_subscribed: u64,
    /// Errors, all of them counted; the first few kept.
    pub errors: u64,
    /// The first errors.
    pub first_errors: Vec<String>,
}

impl Account {
    /// An empty account for a subscriber of channel `channel`.
    pub fn new(channel: usize) -> Account {
        Account {
            channel,
            ..Account::default()
        }
    }

    /// Notes an error.
    pub fn error(&mut self, e: String) {
        self.errors.push(e);
    }

    /// The first subscribe's ack: everything after `offset` is owed.
    pub fn subscribed(&mut self, epoch: &str, offset: u64) {
        self.start = Some(offset);
        self.epoch = epoch.to_string();
        self.highest = self.highest.max(offset);
        for seq in std::mem::take(&mut self.early) {
            self.count(seq);
        }
    }

    /// A later subscribe's ack.
    pub fn resubscribed(&mut self, epoch: &str, recovered: bool) {
        if epoch != self.epoch {
            self.epoch_changes += 1;
        }
        if recovered {
            self.recovered += 1;
        } else {
            self.unrecovered += 1;
        }
    }

    /// The `since` of the next subscribe: the last position seen.
    pub fn since(&self) -> Option<String> {
        self.start.map(|_| format!("{}:{}", self.epoch, self.highest))
    }

    /// The highest sequence number received (or the start).
    pub fn last(&self) -> u64 {
        self.highest
    }

    /// Takes a message in; `false` when it is not a publication (an ack, say).
    pub fn publication(&mut self, bytes: &[u8]) -> bool {
        let mut headers = [EMPTY_HEADER; 16];
        let Ok(msg) = parse(bytes, &mut headers) else {
            return false;
        };
        if msg.command != COMMAND || msg.header("channel").is_none() {
            return false;
        }
        let body = std::str::from_utf8(msg.body).unwrap_or("");
        let Some(seq) = body.split(' ').next().and_then(|s| s.parse::<u64>().ok()) else {
            self.errors
                .push(format!("a publication without a sequence number: {body:?}"));
            return true;
        };
        if msg.header("offset").and_then(|o| o.parse::<u64>().ok()) != Some(seq) {
            self.mismatched += 1;
        }
        if self.start.is_none() {
            self.early.push(seq);
        } else {
            self.count(seq);
        }
        true
    }

    fn count(&mut self, seq: u64) {
        let start = self.start.unwrap_or(0);
        if seq <= start {
            return; // Published before the subscribe: not owed.
        }
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & (1 << bit) != 0 {
            self.duplicated += 1;
            return;
        }
        self.seen[word] |= 1 << bit;
        self.received += 1;
        if seq < self.highest {
            self.out_of_order += 1;
        }
        self.highest = self.highest.max(seq);
    }

    fn has(&self, seq: u64) -> bool {
        self.seen
            .get((seq / 64) as usize)
            .is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }
}

impl Totals {
    /// Adds `acc`, whose channel's last sequence number is `last`.
    pub fn add(&mut self, acc: &Account, last: u64) {
        match acc.start {
            Some(start) if start <= last => {
                self.expected += last - start;
                let got = (start + 1..=last).filter(|&s| acc.has(s)).count() as u64;
                self.received += got;
                self.lost += last - start - got;
            }
            Some(_) => self.errors(format!("channel {}: a start beyond the last publication", acc.channel)),
            None => self.never_subscribed += 1,
        }
        self.duplicated += acc.duplicated;
        self.out_of_order += acc.out_of_order;
        self.mismatched += acc.mismatched;
        self.unrecovered += acc.unrecovered;
        self.recovered += acc.recovered;
        self.recovered_publications += acc.recovered_publications;
        self.epoch_changes += acc.epoch_changes;
        self.reconnects += acc.reconnects;
        for e in &acc.errors {
            self.errors(e.clone());
        }
    }

    fn errors(&mut self, e: String) {
        self.errors += 1;
        if self.first_errors.len() < 10 {
            self.first_errors.push(e);
        }
    }

    /// Whether nothing was lost, repeated, mismatched or unrecovered, and no error.
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.out_of_order == 0
            && self.mismatched == 0
            && self.unrecovered == 0
            && self.epoch_changes == 0
            && self.never_subscribed == 0
            && self.errors == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publication(channel: &str, seq: u64) -> Vec<u8> {
        format!("LHTTP/1.0 {COMMAND}\r\nchannel:{channel}\r\noffset:{seq}\r\nepoch:e\r\n\r\n{seq} x").into_bytes()
    }

    #[test]
    fn counts_lost_duplicated_and_early() {
        let mut a = Account::new(0);
        assert!(a.publication(&publication("c", 3)));
        a.subscribed("e", 2);
        for s in [4, 4, 6] {
            assert!(a.publication(&publication("c", s)));
        }
        assert_eq!(a.since().as_deref(), Some("e:6"));
        let mut t = Totals::default();
        t.add(&a, 7);
        assert_eq!((t.expected, t.received, t.lost, t.duplicated), (5, 3, 2, 1));
        assert!(!t.clean());
        assert!(!a.publication(b"LHTTP/1.0 ack\r\nid:1\r\n\r\n"));
    }

    #[test]
    fn a_complete_account_is_clean() {
        let mut a = Account::new(1);
        a.subscribed("e", 0);
        for s in 1..=100 {
            a.publication(&publication("c", s));
        }
        a.resubscribed("e", true);
        let mut t = Totals::default();
        t.add(&a, 100);
        assert!(t.clean(), "{t:?}");
        assert_eq!(t.received, 100);
    }
}
