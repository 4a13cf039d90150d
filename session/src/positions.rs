//! The last position the session saw of each subscribed channel with history
//! (spec/PROTOCOL.md, 13.7): what it sends back as `since` after a reconnect, and
//! what tells a repeated publication from a new one.

use alloc::string::String;
use alloc::vec::Vec;

use lhttp_core::{OwnedPosition, Position};

/// Channel name to last position, kept sorted by channel.
#[derive(Debug, Clone, Default)]
pub(crate) struct Positions(Vec<(String, OwnedPosition)>);

/// What a received publication is, given the channel's last position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// After the last position (or of another epoch, or the first one seen): deliver it.
    New,
    /// At or before the last position in the same epoch: already delivered, drop it.
    Repeat,
}

impl Positions {
    fn find(&self, channel: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(c, _)| c.as_str().cmp(channel))
    }

    /// The last position of `channel`, if it has one.
    pub fn get(&self, channel: &str) -> Option<Position<'_>> {
        self.find(channel).ok().map(|i| self.0[i].1.as_position())
    }

    fn set(&mut self, channel: &str, p: Position<'_>) {
        match self.find(channel) {
            Ok(i) => self.0[i].1 = p.into(),
            Err(i) => self.0.insert(i, (channel.into(), p.into())),
        }
    }

    /// A publication of `channel` at `p`: a repeat, or new (and then the channel's
    /// last position). Another epoch is new: the stream was lost and started over.
    pub fn publication(&mut self, channel: &str, p: Position<'_>) -> Seen {
        match self.get(channel) {
            Some(last) if last.epoch == p.epoch && p.offset <= last.offset => Seen::Repeat,
            _ => {
                self.set(channel, p);
                Seen::New
            }
        }
    }

    /// The position an `ack` gives `channel`: where its stream starts for this client.
    /// Within one epoch the position never goes back, so a publication already
    /// delivered before the ack is never taken again.
    pub fn acked(&mut self, channel: &str, p: Position<'_>) {
        match self.get(channel) {
            Some(last) if last.epoch == p.epoch && last.offset >= p.offset => {}
            _ => self.set(channel, p),
        }
    }

    /// Forgets `channel` (unsubscribed, refused, or without history now).
    pub fn forget(&mut self, channel: &str) {
        if let Ok(i) = self.find(channel) {
            self.0.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(epoch: &str, offset: u64) -> Position<'_> {
        Position { epoch, offset }
    }

    #[test]
    fn repeats_are_told_within_an_epoch_only() {
        let mut p = Positions::default();
        assert_eq!(p.publication("a", at("e", 5)), Seen::New);
        assert_eq!(p.publication("a", at("e", 5)), Seen::Repeat);
        assert_eq!(p.publication("a", at("e", 3)), Seen::Repeat);
        assert_eq!(p.publication("a", at("e", 9)), Seen::New);
        assert_eq!(p.publication("a", at("f", 1)), Seen::New);
        assert_eq!(p.get("a"), Some(at("f", 1)));
        p.acked("a", at("f", 0));
        assert_eq!(p.get("a"), Some(at("f", 1)), "an ack never moves back in an epoch");
        p.acked("a", at("g", 0));
        assert_eq!(p.get("a"), Some(at("g", 0)));
        p.forget("a");
        assert_eq!(p.get("a"), None);
    }
}
