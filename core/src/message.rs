//! The parsed message view: header lookup by name and the standard-header helpers.

use crate::channel::Channels;
use crate::multipart::{Offsets, Part, Parts};
use crate::upstream::Upstream;
use crate::{names, Error, Header};

/// A parsed LHTTP message, borrowing from the input buffer (`'b`) and the
/// caller's header storage (`'h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'h, 'b> {
    /// The command from the start line, e.g. `chat`; processors are chosen by it.
    pub command: &'b str,
    /// The headers in the order they were sent, duplicates kept.
    pub headers: &'h [Header<'b>],
    /// Everything after the blank line; any bytes.
    pub body: &'b [u8],
}

impl<'h, 'b> Message<'h, 'b> {
    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// The values of every header called `name`, in order.
    pub fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'b str> + 'n
    where
        'h: 'n,
        'b: 'n,
    {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// The body as text, if it is valid UTF-8.
    pub fn body_str(&self) -> Option<&'b str> {
        core::str::from_utf8(self.body).ok()
    }

    /// The channels listed in every header called `name`, space-separated, empty entries skipped.
    pub fn channels<'n>(&self, name: &'n str) -> Channels<'h, 'b, 'n> {
        Channels::new(self.headers, name)
    }

    /// The channels of the `subscribe` headers.
    pub fn subscribe(&self) -> Channels<'h, 'b, 'static> {
        self.channels(names::SUBSCRIBE)
    }

    /// The channels of the `publish` headers.
    pub fn publish(&self) -> Channels<'h, 'b, 'static> {
        self.channels(names::PUBLISH)
    }

    /// The channels of the `unsubscribe` headers.
    pub fn unsubscribe(&self) -> Channels<'h, 'b, 'static> {
        self.channels(names::UNSUBSCRIBE)
    }

    /// The `upstream` header, read as `<METHOD> <URL>`; `None` when absent.
    pub fn upstream(&self) -> Option<Result<Upstream<'b>, Error>> {
        self.header(names::UPSTREAM).map(Upstream::parse)
    }

    /// The offsets of the `multipart` header; `None` when absent.
    pub fn multipart(&self) -> Option<Offsets<'b>> {
        self.header(names::MULTIPART).map(Offsets::new)
    }

    /// The parts of the body, checked one by one; `None` without a `multipart` header.
    pub fn parts(&self) -> Option<Parts<'b>> {
        self.multipart().map(|o| Parts::new(self.body, o))
    }

    /// Splits the body into `storage`, checking every offset and part.
    /// A message without a `multipart` header has no parts.
    pub fn split_parts<'p>(&self, storage: &'p mut [Part]) -> Result<&'p [Part], Error> {
        match self.parts() {
            None => Ok(&storage[..0]),
            Some(parts) => parts.collect_into(storage),
        }
    }

    /// The exact number of bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        crate::encoded_len(self.command, self.headers, self.body)
    }

    /// Writes this message into `out`, returning the length written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        crate::encode(self.command, self.headers, self.body, out)
    }
}
