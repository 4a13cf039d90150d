//! Channel history (spec section 13): the last position a client saw of a channel, and a
//! history read answered as one `lhttp_message` whose parts are the publications, read
//! with the multipart accessors C already has.

use std::ffi::c_char;

use ::lhttp_client::{History, OwnedPosition};
use lhttp_core::position::Position;

use crate::boundary::{copy_out, guard, null, object, text, write};
use crate::message::lhttp_message;
use crate::result::{fail, fail_core, lhttp_result};

use super::lhttp_client;

/// The command of the message `lhttp_client_history` gives.
const HISTORY_COMMAND: &str = "history";

/// Copies the last position this client saw of the subscribed channel
/// `channel[..channel_len]`, `<epoch>:<offset>` (from the subscribe's ack and each
/// publication since; a reconnect recovers from it), into `buf[..len]` (not
/// NUL-terminated) and writes its length to `*out_n`. `BUFFER_TOO_SMALL` writes the
/// length needed to `*out_n`; `NOT_FOUND` when the channel is not subscribed or has no
/// history.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_position(
    client: *const lhttp_client,
    channel: *const c_char,
    channel_len: usize,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let channel = unsafe { text(channel.cast(), channel_len, lhttp_result::Channel)? };
        let position = c.inner.position(channel).ok_or(lhttp_result::NotFound)?.to_string();
        unsafe { copy_out(&position, buf.cast(), len, out_n) }
    })
}

/// Reads the recent publications of `channel[..channel_len]` (subscribed or not): at
/// most `limit` (0: the server's default, its `recover_max`), only those after the
/// position `since[..since_len]` (`<epoch>:<offset>`; NULL and 0: from the oldest kept),
/// newest first when `reverse`. Writes to `*out` a message that owns its bytes (freed
/// with `lhttp_message_free`): command `history`, headers `channel:<channel>` and
/// `position:<epoch>:<offset>` (the channel's current position), and one multipart part
/// per publication, as delivered live: headers `command:<its command>`, `channel`,
/// `offset`, `epoch`, then its own headers, and its body (no publications: no parts).
/// A channel without history is `NO_HISTORY`; a malformed `since` is `POSITION`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_history(
    client: *const lhttp_client,
    channel: *const c_char,
    channel_len: usize,
    limit: u32,
    since: *const c_char,
    since_len: usize,
    reverse: bool,
    out: *mut *mut lhttp_message,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let channel = unsafe { text(channel.cast(), channel_len, lhttp_result::Channel)? };
        let since = unsafe { text(since.cast(), since_len, lhttp_result::Position)? };
        if out.is_null() {
            return Err(null());
        }
        let since = match since {
            "" => None,
            s => Some(OwnedPosition::from(Position::parse(s).map_err(fail_core)?)),
        };
        let limit = (limit != 0).then_some(limit);
        let history = c
            .inner
            .history(channel, limit, since.as_ref(), reverse)
            .map_err(|e| fail(&e))?;
        let msg = history_message(&history).map_err(fail_core)?;
        unsafe { write(out, Box::into_raw(Box::new(msg))) }
    })
}

/// The history answer as one message, its publications as parts.
fn history_message(h: &History) -> Result<lhttp_message, lhttp_core::Error> {
    let headers = vec![
        ("channel".to_owned(), h.channel.clone()),
        ("position".to_owned(), h.position.to_string()),
    ];
    let parts: Vec<lhttp_core::PartSpec> = h
        .publications
        .iter()
        .map(|m| {
            let mut part = vec![("command".to_owned(), m.command().to_owned())];
            part.extend(m.headers().iter().cloned());
            (part, m.body().to_vec())
        })
        .collect();
    let bytes = if parts.is_empty() {
        lhttp_core::owned::encode(HISTORY_COMMAND, &headers, &[])?
    } else {
        lhttp_core::owned::encode_multipart(HISTORY_COMMAND, &headers, &parts)?
    };
    lhttp_message::owned(bytes, headers.len() + 1)
}
