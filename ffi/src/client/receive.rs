//! What a client receives: the next message, waiting (`lhttp_client_recv`) or not
//! (`lhttp_client_try_recv`), handed to C as an owned `lhttp_message`.

use ::lhttp_client::{BlockingClient, Error, Message};

use crate::boundary::{guard, null, object, write};
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
/// `lhttp_last_error` naming `RestoreRefused` (receive again for the next message).
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
