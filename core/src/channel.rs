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
