//! What a client receives: the next message, waiting (`lhttp_client_recv`) or not
//! (`lhttp_client_try_recv`), handed to C as an owned `lhttp_message`; and the next
//! recovery notice after a reconnect (`lhttp_client_recovery`).

use std::ffi::c_char;

use ::lhttp_client::{BlockingClient, Error, Message};

use crate::boundary::{copy_out, guard, null, object, write};
use crate::message::lhttp_message;
use crate::result::{fail, fail_core, lhttp_result};

use super::{lhttp_client, millis};

/// `lhttp_client_recv` without a time limit.
pub const LHTTP_WAIT_FOREVER: u32 = u32::MAX;

/// Takes the next message from the client behind `client` with `next` and hands it to C
/// as an owned `lhttp_message` in `*out`; no message yet is `WOULD_BLOCK`.
///
/// # Safety
/// `client` NULL or live; `out` NULL or writable.
unsafe fn deliver(
    client: *const lhttp_client,
    out: *mut *mut lhttp_message,
    next: impl FnOnce(&BlockingClient) -> Result<Option<Message>, Error>,
) -> Result<(), lhttp_result> {
    // SAFETY: per the caller.
    let c = unsafe { object(client)? };
    if out.is_null() {
        return Err(null());
    }
    let msg = next(&c.inner).map_err(|e| fail(&e))?.ok_or(lhttp_result::WouldBlock)?;
    let bytes = msg.encode().map_err(fail_core)?;
    let owned = lhttp_message::owned(bytes, msg.headers().len()).map_err(fail_core)?;
    // SAFETY: per the caller.
    unsafe { write(out, Box::into_raw(Box::new(owned))) }
}

/// Waits at most `timeout_ms` (`LHTTP_WAIT_FOREVER`: no limit) for the next message
/// and writes it to `*out`: a message that owns its bytes, read with the
/// `lhttp_message_*` functions and freed with `lhttp_message_free`.
/// `TIMEOUT` when none came; `CLOSED` once the connection is over (after the error
/// that ended it, e.g. `CLOSED` with the server's close code in `lhttp_last_error`).
/// Server `error` replies not tied to a call arrive as messages with command
/// `error`; a channel not restored after a reconnect is `SERVER` with
/// `lhttp_last_error` naming `RestoreRefused`, a channel with history that could not
/// get what it missed one naming `Unrecovered` (receive again for the next message;
/// `lhttp_client_recovery` gives every such channel's outcome).
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_recv(
    client: *const lhttp_client,
    timeout_ms: u32,
    out: *mut *mut lhttp_message,
) -> lhttp_result {
    guard(|| {
        let timeout = (timeout_ms != LHTTP_WAIT_FOREVER).then(|| millis(timeout_ms));
        // SAFETY: the caller's pointers.
        unsafe { deliver(client, out, |c| c.recv_timeout(timeout)) }.map_err(|r| match r {
            lhttp_result::WouldBlock => lhttp_result::Timeout,
            other => other,
        })
    })
}

/// Writes the next message to `*out` if one has already arrived; never blocks.
/// `WOULD_BLOCK` when there is none; `CLOSED` once the connection is over.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_try_recv(
    client: *const lhttp_client,
    out: *mut *mut lhttp_message,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    guard(|| unsafe { deliver(client, out, BlockingClient::try_recv) })
}

/// What a reconnect did for one channel with history restored from its last position.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lhttp_recovery {
    /// It got every publication it missed, received before this notice.
    Recovered = 1,
    /// It got none of them (`lhttp_client_recv` reports `Unrecovered` too); it is
    /// subscribed and gets every later publication.
    Unrecovered = 2,
}

/// Waits at most `timeout_ms` (0: not at all; `LHTTP_WAIT_FOREVER`: no limit) for the
/// next recovery notice: after a reconnect, one for each channel with history restored
/// from its last position. Copies the channel into `buf[..len]` (not NUL-terminated),
/// writes its length to `*out_n` and what happened to `*out_kind`. `TIMEOUT` when none
/// came; `CLOSED` once the connection is over and every notice was read;
/// `BUFFER_TOO_SMALL` writes the length needed to `*out_n` and keeps the notice for the
/// next call. Notices wait until read (at most the configured `max_buffered`).
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_recovery(
    client: *const lhttp_client,
    timeout_ms: u32,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    out_kind: *mut lhttp_recovery,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        if out_n.is_null() || out_kind.is_null() {
            return Err(null());
        }
        let unread = || c.unread.lock().unwrap_or_else(|e| e.into_inner());
        // Not locked while waiting: other threads' calls keep their own time limits.
        let kept = unread().pop_front();
        let notice = match kept {
            Some(notice) => notice,
            None => {
                let timeout = (timeout_ms != LHTTP_WAIT_FOREVER).then(|| millis(timeout_ms));
                c.inner
                    .recovery_timeout(timeout)
                    .map_err(|e| fail(&e))?
                    .ok_or(lhttp_result::Timeout)?
            }
        };
        // SAFETY: the caller's pointers.
        if let Err(r) = unsafe { copy_out(&notice.channel, buf.cast(), len, out_n) } {
            unread().push_front(notice);
            return Err(r);
        }
        let kind = if notice.recovered {
            lhttp_recovery::Recovered
        } else {
            lhttp_recovery::Unrecovered
        };
        unsafe { write(out_kind, kind) }
    })
}
