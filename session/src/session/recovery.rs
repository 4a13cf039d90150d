//! Channels with history (spec/PROTOCOL.md, 13.7): the last position of each, kept
//! from the subscribe acks and every publication received; repeats dropped; the
//! `since` headers of a restore and the `recovered` / `unrecovered` of its ack.

use super::*;

use crate::positions::Seen;
use lhttp_core::position;

impl Session {
    /// A channel leaves the subscription set, and its position with it (a later
    /// subscribe starts from the server's position, not a stale one).
    pub(super) fn drop_subscription(&mut self, channel: &str) -> bool {
        self.positions.forget(channel);
        self.sub_tokens.remove(channel);
        self.subscriptions.remove(channel)
    }

    /// An application message arrived. A publication of a subscribed channel with
    /// history (`channel`, `offset` and `epoch` all present) at or before the
    /// channel's last position in its epoch was delivered already and is dropped;
    /// one whose position does not read is reported and skipped.
    pub(super) fn delivered(&mut self, msg: OwnedMessage) {
        let (Some(channel), Some(offset), Some(epoch)) = (
            msg.header(names::CHANNEL),
            msg.header(names::OFFSET),
            msg.header(names::EPOCH),
        ) else {
            return self.buffer(msg);
        };
        let p = match position::parse_offset(offset).and_then(|offset| Position::new(epoch, offset)) {
            Ok(p) => p,
            Err(e) => {
                self.events.push_back(Event::Unreadable {
                    error: Error::Protocol(e),
                });
                return;
            }
        };
        if self.subscriptions.contains(channel) && self.positions.publication(channel, p) == Seen::Repeat {
            return;
        }
        self.buffer(msg);
    }

    /// Takes the positions of a subscribe's `ack` (13.3) for the channels still
    /// subscribed; one that does not read is reported and leaves its channel
    /// without a position. For a restore, a channel the ack gives no position has
    /// no history now and is forgotten, and each channel sent with `since` is
    /// reported `Recovered` or `Unrecovered` (not named `recovered`: the server did
    /// not say so, so nothing can be assumed).
    pub(super) fn ack_positions(&mut self, reply: &OwnedMessage, part: &Part) {
        if !part.subscribes {
            return;
        }
        let mut named: Vec<&str> = Vec::new();
        for value in reply.header_values(names::POSITION) {
            match position::parse_channel(value) {
                Ok((channel, p)) => {
                    named.push(channel);
                    if self.subscriptions.contains(channel) {
                        self.positions.acked(channel, p);
                    }
                }
                Err(e) => self.events.push_back(Event::Unreadable {
                    error: Error::Protocol(e),
                }),
            }
        }
        for channel in &part.restore {
            if !named.contains(&channel.as_str()) {
                self.positions.forget(channel);
            }
        }
        let recovered = reply.channels(names::RECOVERED);
        for channel in &part.recovering {
            if !self.subscriptions.contains(channel) {
                continue;
            }
            let channel = channel.clone();
            self.events.push_back(if recovered.contains(&channel) {
                Event::Recovered { channel }
            } else {
                Event::Unrecovered { channel }
            });
        }
    }

    /// The `since` header values of a restore batch (13.4), for its channels with a
    /// position, and those channels.
    pub(super) fn since(&self, batch: &[String]) -> (Vec<String>, Vec<String>) {
        batch
            .iter()
            .filter_map(|c| self.positions.get(c).map(|p| (format!("{c} {p}"), c.clone())))
            .unzip()
    }
}
