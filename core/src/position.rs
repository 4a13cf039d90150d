//! Positions in a channel's history (spec/PROTOCOL.md, section 13.2): `<epoch>:<offset>`,
//! and the channel-prefixed `<ch> <epoch>:<offset>` of the `since` and `position`
//! headers, read and written here once so the server and every SDK agree on them.
//!
//! ```
//! use lhttp_core::position::{self, Position};
//!
//! let p = Position::parse("xK9-a:42").unwrap();
//! assert_eq!((p.epoch, p.offset), ("xK9-a", 42));
//! let (channel, p) = position::parse_channel("chat:room1 xK9-a:42").unwrap();
//! assert_eq!((channel, p.offset), ("chat:room1", 42));
//! let mut out = [0u8; 32];
//! let n = position::write_channel("chat:room1", &p, &mut out).unwrap();
//! assert_eq!(&out[..n], b"chat:room1 xK9-a:42");
//! ```

use core::fmt;

use crate::Error;

/// The longest epoch, in characters (bytes: every epoch character is ASCII).
pub const MAX_EPOCH_LEN: usize = 32;

/// The largest offset: 2^63 - 1, so every language's signed 64-bit integer holds it.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// The longest position written: a full epoch, `:`, and 19 digits.
pub const MAX_LEN: usize = MAX_EPOCH_LEN + 1 + 19;

/// A place in a channel's stream: the stream's epoch and an offset in it.
///
/// A value built by hand is checked when written with [`Position::write`]
/// (`Display` writes it as it is, since formatting cannot fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position<'a> {
    /// The stream's epoch, 1 to 32 characters of `A-Z a-z 0-9 - _`; compared as a string only.
    pub epoch: &'a str,
    /// The offset in that epoch, at most [`MAX_OFFSET`]; 0 is before the first publication.
    pub offset: u64,
}

/// Whether `epoch` is 1 to 32 characters of `A-Z a-z 0-9 - _`.
pub fn is_epoch(epoch: &str) -> bool {
    (1..=MAX_EPOCH_LEN).contains(&epoch.len())
        && epoch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads a decimal offset: digits only (leading zeros allowed), at most [`MAX_OFFSET`].
pub fn parse_offset(text: &str) -> Result<u64, Error> {
    if text.is_empty() {
        return Err(Error::Position);
    }
    let mut n: u64 = 0;
    for b in text.bytes() {
        if !b.is_ascii_digit() {
            return Err(Error::Position);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .filter(|n| *n <= MAX_OFFSET)
            .ok_or(Error::Position)?;
    }
    Ok(n)
}

impl<'a> Position<'a> {
    /// A position, checked: [`Error::Position`] for a bad epoch or an offset over [`MAX_OFFSET`].
    pub fn new(epoch: &'a str, offset: u64) -> Result<Position<'a>, Error> {
        let p = Position { epoch, offset };
        p.check()?;
        Ok(p)
    }

    /// Reads `<epoch>:<offset>`; anything else is [`Error::Position`].
    pub fn parse(text: &'a str) -> Result<Position<'a>, Error> {
        let (epoch, offset) = text.split_once(':').ok_or(Error::Position)?;
        if !is_epoch(epoch) {
            return Err(Error::Position);
        }
        Ok(Position {
            epoch,
            offset: parse_offset(offset)?,
        })
    }

    /// Whether the epoch and the offset are within the rules (13.2).
    pub fn check(&self) -> Result<(), Error> {
        if is_epoch(self.epoch) && self.offset <= MAX_OFFSET {
            Ok(())
        } else {
            Err(Error::Position)
        }
    }

    /// The exact length [`write`](Self::write) writes.
    pub fn encoded_len(&self) -> usize {
        self.epoch.len() + 1 + digits(self.offset)
    }

    /// Writes `<epoch>:<offset>` (no leading zeros) into `out`, returning the length
    /// written: [`Error::Position`] for an invalid position, [`Error::BufferTooSmall`]
    /// for a short buffer; nothing is written on error.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.check()?;
        let n = self.encoded_len();
        let out = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
        let (epoch, rest) = out.split_at_mut(self.epoch.len());
        epoch.copy_from_slice(self.epoch.as_bytes());
        rest[0] = b':';
        let mut v = self.offset;
        for slot in rest[1..].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        Ok(n)
    }
}

impl fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch, self.offset)
    }
}

/// A position that owns its epoch, for code that keeps positions past the message
/// they came in (the client session's last position of each channel).
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedPosition {
    /// The stream's epoch.
    pub epoch: alloc::string::String,
    /// The offset in that epoch.
    pub offset: u64,
}

#[cfg(feature = "alloc")]
impl OwnedPosition {
    /// The borrowed view, to compare, check or write.
    pub fn as_position(&self) -> Position<'_> {
        Position {
            epoch: &self.epoch,
            offset: self.offset,
        }
    }
}

#[cfg(feature = "alloc")]
impl From<Position<'_>> for OwnedPosition {
    fn from(p: Position<'_>) -> OwnedPosition {
        OwnedPosition {
            epoch: p.epoch.into(),
            offset: p.offset,
        }
    }
}

#[cfg(feature = "alloc")]
impl fmt::Display for OwnedPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_position().fmt(f)
    }
}

/// How many decimal digits `n` has.
fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Reads a `since` or `position` header value, `<ch> <epoch>:<offset>`: a channel
/// name (5.1), spaces or tabs, and a position. No channel, no position, or more
/// than the two is [`Error::Position`].
pub fn parse_channel(value: &str) -> Result<(&str, Position<'_>), Error> {
    let mut words = crate::channel::split(value);
    let (Some(channel), Some(position), None) = (words.next(), words.next(), words.next()) else {
        return Err(Error::Position);
    };
    Ok((channel, Position::parse(position)?))
}

/// The exact length [`write_channel`] writes.
pub fn channel_len(channel: &str, position: &Position<'_>) -> usize {
    channel.len() + 1 + position.encoded_len()
}

/// Writes `<ch> <epoch>:<offset>` into `out`, returning the length written:
/// [`Error::Channel`] for a bad channel name, [`Error::Position`] for a bad
/// position, [`Error::BufferTooSmall`]; nothing is written on error.
pub fn write_channel(channel: &str, position: &Position<'_>, out: &mut [u8]) -> Result<usize, Error> {
    crate::channel::check(channel)?;
    position.check()?;
    let n = channel_len(channel, position);
    if out.len() < n {
        return Err(Error::BufferTooSmall);
    }
    let (name, rest) = out.split_at_mut(channel.len());
    name.copy_from_slice(channel.as_bytes());
    rest[0] = b' ';
    position.write(&mut rest[1..])?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_offset_reads_and_one_more_does_not() {
        assert_eq!(parse_offset("9223372036854775807"), Ok(MAX_OFFSET));
        assert_eq!(parse_offset("9223372036854775808"), Err(Error::Position));
        assert_eq!(parse_offset("99999999999999999999999"), Err(Error::Position));
        let p = Position::new("e", MAX_OFFSET).unwrap();
        let mut out = [0u8; MAX_LEN];
        let n = p.write(&mut out).unwrap();
        assert_eq!(&out[..n], b"e:9223372036854775807");
        assert_eq!(Position::new("e", MAX_OFFSET + 1), Err(Error::Position));
    }

    #[test]
    fn a_failed_write_writes_nothing() {
        let p = Position::parse("abc:123").unwrap();
        let mut out = [0u8; 6];
        assert_eq!(p.write(&mut out), Err(Error::BufferTooSmall));
        assert_eq!(write_channel("a b", &p, &mut [0u8; 64]), Err(Error::Channel));
        let mut big = [0u8; 16];
        assert_eq!(write_channel("room", &p, &mut big[..8]), Err(Error::BufferTooSmall));
        assert!(out.iter().chain(big.iter()).all(|b| *b == 0));
    }
}
