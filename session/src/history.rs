//! A channel's history as its `history` request answers it (spec/PROTOCOL.md, 13.5):
//! the `ack` of [`Session::history`](crate::Session::history) read once here, so
//! every SDK hands its application the same messages.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use lhttp_core::reply::headers::COMMAND;
use lhttp_core::{names, position, Error as CoreError, OwnedMessage, OwnedPosition};

use crate::Error;

/// The command of the session's history requests (any command would do: the
/// `history` header asks).
pub const HISTORY_COMMAND: &str = "history";

/// What a history request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// The channel read.
    pub channel: String,
    /// The channel's current position (its epoch tells whether a `since` of another
    /// epoch was answered with nothing).
    pub position: OwnedPosition,
    /// The publications, oldest first (newest first when asked `reverse`), each as it
    /// was delivered live: its command, the headers `channel`, `offset` and `epoch`,
    /// then its own headers, and its body.
    pub publications: Vec<OwnedMessage>,
}

impl History {
    /// Reads the `ack` of a history request (the `reply` of its
    /// [`Event::Acked`](crate::Event::Acked)). An ack without a readable `position` is
    /// [`lhttp_core::Error::Position`], a part without `command` is
    /// [`lhttp_core::Error::Command`], a part whose `offset` is not a number is
    /// `Position`, a bad multipart body its multipart error; all as [`Error::Protocol`].
    pub fn read(reply: &OwnedMessage) -> Result<History, Error> {
        let value = reply.header(names::POSITION).ok_or(CoreError::Position)?;
        let (channel, p) = position::parse_channel(value)?;
        let mut publications = Vec::new();
        for part in reply.parts()? {
            let command = part.header(COMMAND).ok_or(CoreError::Command)?;
            let offset = position::parse_offset(part.header(names::OFFSET).unwrap_or(""))?;
            let mut msg = OwnedMessage::new(command)
                .with_header(names::CHANNEL, channel)
                .with_header(names::OFFSET, offset.to_string())
                .with_header(names::EPOCH, p.epoch);
            msg.headers_mut().extend(part.headers.into_iter().filter(|(n, _)| {
                ![COMMAND, names::CHANNEL, names::OFFSET, names::EPOCH]
                    .iter()
                    .any(|x| n.eq_ignore_ascii_case(x))
            }));
            msg.set_body(part.body);
            publications.push(msg);
        }
        Ok(History {
            channel: channel.to_owned(),
            position: p.into(),
            publications,
        })
    }
}
