//! Channel lists: `subscribe:a b c`. Several channels per header, several
//! headers per message; empty entries (repeated spaces) are skipped.

use crate::Header;

/// An iterator over the channels named in every header called `name`.
#[derive(Debug, Clone)]
pub struct Channels<'h, 'b, 'n> {
    headers: core::slice::Iter<'h, Header<'b>>,
    name: &'n str,
    current: core::str::Split<'b, [char; 2]>,
}

impl<'h, 'b, 'n> Channels<'h, 'b, 'n> {
    /// The channels of the headers called `name` in `headers`.
    pub fn new(headers: &'h [Header<'b>], name: &'n str) -> Self {
        Channels {
            headers: headers.iter(),
            name,
            current: "".split([' ', '\t']),
        }
    }
}

impl<'b> Iterator for Channels<'_, 'b, '_> {
    type Item = &'b str;

    fn next(&mut self) -> Option<&'b str> {
        loop {
            for c in self.current.by_ref() {
                if !c.is_empty() {
                    return Some(c);
                }
            }
            let h = self.headers.find(|h| h.name.eq_ignore_ascii_case(self.name))?;
            self.current = h.value.split([' ', '\t']);
        }
    }
}

/// The channels of one header value, e.g. `"a  b c"` gives `a`, `b`, `c`.
pub fn split(value: &str) -> impl Iterator<Item = &str> {
    value.split([' ', '\t']).filter(|c| !c.is_empty())
}

/// Checks one channel name for writing: non-empty, no space or tab (a reader would
/// split it into several channels), no control character (not a header value).
///
/// ```
/// use lhttp_core::{channel, Error};
/// assert_eq!(channel::check("room:1"), Ok(()));
/// assert_eq!(channel::check("a b"), Err(Error::Channel));
/// assert_eq!(channel::check(""), Err(Error::Channel));
/// ```
pub fn check(name: &str) -> Result<(), crate::Error> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| crate::header::is_value_byte(b) && !crate::header::is_ows(b));
    if ok {
        Ok(())
    } else {
        Err(crate::Error::Channel)
    }
}

/// The length of the channel-list value [`write_list`] writes (names joined by one space).
pub fn list_len<S: AsRef<str>>(channels: &[S]) -> usize {
    channels.iter().map(|c| c.as_ref().len()).sum::<usize>() + channels.len().saturating_sub(1)
}

/// Writes `channels` as one `subscribe` / `publish` / `unsubscribe` value into
/// `out`, names separated by one space, and returns the length written. Every
/// name is checked first ([`check`]); on error nothing is written. An empty list
/// is [`Error::Channel`](crate::Error::Channel) too: a request naming no channel
/// is a mistake, not a no-op.
///
/// ```
/// let mut out = [0u8; 16];
/// let n = lhttp_core::channel::write_list(&["a", "b"], &mut out).unwrap();
/// assert_eq!(&out[..n], b"a b");
/// ```
pub fn write_list<S: AsRef<str>>(channels: &[S], out: &mut [u8]) -> Result<usize, crate::Error> {
    if channels.is_empty() {
        return Err(crate::Error::Channel);
    }
    for c in channels {
        check(c.as_ref())?;
    }
    let len = list_len(channels);
    if out.len() < len {
        return Err(crate::Error::BufferTooSmall);
    }
    let mut pos = 0;
    for (i, c) in channels.iter().enumerate() {
        if i > 0 {
            out[pos] = b' ';
            pos += 1;
        }
        let c = c.as_ref().as_bytes();
        out[pos..pos + c.len()].copy_from_slice(c);
        pos += c.len();
    }
    Ok(pos)
}

/// [`write_list`] into a new `String`.
#[cfg(feature = "alloc")]
pub fn list<S: AsRef<str>>(channels: &[S]) -> Result<alloc::string::String, crate::Error> {
    let mut out = alloc::vec![0; list_len(channels)];
    let n = write_list(channels, &mut out)?;
    out.truncate(n);
    // Every name was checked to be a header value, which is UTF-8 text.
    alloc::string::String::from_utf8(out).map_err(|_| crate::Error::Channel)
}
