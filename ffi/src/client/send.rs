//! What a client sends: an encoded message as is, and the calls the server
//! acknowledges (subscribe, unsubscribe, publish).

use std::ffi::c_char;

use ::lhttp_client::{BlockingClient, Error, Message};

use crate::boundary::{array, bytes, guard, object, text};
use crate::result::{fail, fail_core, lhttp_result};
use crate::types::lhttp_header;

use super::{channel_list, lhttp_client, owned_headers, report_deliveries};

/// Sends one encoded LHTTP message, `msg[..len]` (e.g. from `lhttp_encode`), after
/// checking that it parses; returns once written.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_send(client: *const lhttp_client, msg: *const u8, len: usize) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let c = unsafe { object(client)? };
        let bytes = unsafe { bytes(msg, len)? };
        let parsed = Message::parse(bytes).map_err(fail_core)?;
        c.inner.send(&parsed).map_err(|e| fail(&e))
    })
}

/// Runs `call` (subscribe or unsubscribe) with the channel list argument on the client
/// behind `client`, waiting for the server's acknowledgement.
///
/// # Safety
/// `client` NULL or live; `channels` valid for `channels_len` bytes.
unsafe fn channel_call(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
    call: impl FnOnce(&BlockingClient, &[&str]) -> Result<(), Error>,
) -> lhttp_result {
    guard(|| {
        // SAFETY: per the caller.
        let c = unsafe { object(client)? };
        let list = unsafe { channel_list(channels, channels_len)? };
        call(&c.inner, &list).map_err(|e| fail(&e))
    })
}

/// Subscribes to the space-separated `channels[..channels_len]`; returns once the
/// server acknowledged. A refusal is the server's code (e.g. `TOO_MANY_SUBSCRIPTIONS`).
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_subscribe(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    unsafe { channel_call(client, channels, channels_len, |c, list| c.subscribe(list)) }
}

/// Unsubscribes from the space-separated `channels[..channels_len]`; waits for the ack.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_unsubscribe(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
) -> lhttp_result {
    // SAFETY: the caller's pointers.
    unsafe { channel_call(client, channels, channels_len, |c, list| c.unsubscribe(list)) }
}

/// Publishes a message with `command`, `headers` and `body` to the space-separated
/// `channels`; returns once the server acknowledged. When `out_deliveries` is not
/// NULL it receives the number of subscribers reached.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_publish(
    client: *const lhttp_client,
    channels: *const c_char,
    channels_len: usize,
    command: *const c_char,
    command_len: usize,
    headers: *const lhttp_header,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
    out_deliveries: *mut u64,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers, valid for their lengths.
        let c = unsafe { object(client)? };
        let list = unsafe { channel_list(channels, channels_len)? };
        let command = unsafe { text(command.cast(), command_len, lhttp_result::Command)? };
        let headers = unsafe { owned_headers(array(headers, headers_len)?)? };
        let body = unsafe { bytes(body, body_len)? };
        let n = c
            .inner
            .publish_counted(&list, command, &headers, body)
            .map_err(|e| fail(&e))?;
        unsafe { report_deliveries(out_deliveries, n) }
    })
}
