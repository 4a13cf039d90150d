//! A received message read as a presence event (spec section 15.3): `join` and `leave`
//! arrive through `lhttp_client_recv` like publications, and the session's reader turns
//! one into an `lhttp_presence_event` (its own copy, one free function).

use ::lhttp_client::{PresenceEvent, PresenceKind};

use crate::boundary::{guard, guard_or, null, object, write};
use crate::message::lhttp_message;
use crate::result::{fail, lhttp_result, set_last_error};
use crate::types::lhttp_str;

use super::presence::{lhttp_member, Members};

/// Which presence event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lhttp_presence_kind {
    /// A connection subscribed to the channel.
    Join = 1,
    /// A connection stopped being subscribed (`reason` says why).
    Leave = 2,
}

/// A `join` or `leave`, as `lhttp_message_presence_event` gives it; freed with
/// `lhttp_presence_event_free`. Its views live as long as it. Read-only.
#[repr(C)]
#[derive(Debug)]
pub struct lhttp_presence_event {
    /// Join or leave.
    pub kind: lhttp_presence_kind,
    /// The channel.
    pub channel: lhttp_str,
    /// The member that joined or left.
    pub member: lhttp_member,
    /// For a leave: `unsubscribe`, `disconnect` or `node-lost`; length 0 for a join.
    pub reason: lhttp_str,
}

/// An `lhttp_presence_event` and what its views point into; the public struct first,
/// so the pointer C holds is the pointer to this allocation.
#[repr(C)]
struct OwnedEvent {
    public: lhttp_presence_event,
    _channel: String,
    _reason: String,
    _member: Members,
}

impl OwnedEvent {
    fn new(e: PresenceEvent) -> Box<OwnedEvent> {
        let PresenceEvent {
            kind,
            channel,
            member,
            reason,
        } = e;
        let member = Members::new(vec![member]);
        let kind = match kind {
            PresenceKind::Join => lhttp_presence_kind::Join,
            PresenceKind::Leave => lhttp_presence_kind::Leave,
        };
        Box::new(OwnedEvent {
            public: lhttp_presence_event {
                kind,
                channel: lhttp_str::of(channel.as_bytes()),
                member: member.first(),
                reason: lhttp_str::of(reason.as_bytes()),
            },
            _channel: channel,
            _reason: reason,
            _member: member,
        })
    }
}

/// Reads the received message `msg` as a presence event and writes it to `*out`, to free
/// with `lhttp_presence_event_free` (`msg` may be freed first). `NOT_FOUND` when it is
/// not a `join` or `leave` (a publication, an `error`); `INTERNAL` for one without
/// `channel` or `client` or whose info is not a JSON object of strings (the server never
/// sends one).
#[no_mangle]
pub unsafe extern "C" fn lhttp_message_presence_event(
    msg: *const lhttp_message,
    out: *mut *mut lhttp_presence_event,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let m = unsafe { object(msg)? };
        if out.is_null() {
            return Err(null());
        }
        let event = PresenceEvent::read(&m.to_owned_message())
            .ok_or_else(|| {
                set_last_error("NotFound: the message is not a join or leave".into());
                lhttp_result::NotFound
            })?
            .map_err(|e| fail(&e))?;
        unsafe {
            write(
                out,
                Box::into_raw(OwnedEvent::new(event)).cast::<lhttp_presence_event>(),
            )
        }
    })
}

/// Frees what `lhttp_message_presence_event` gave. NULL is fine. Its views become invalid.
#[no_mangle]
pub unsafe extern "C" fn lhttp_presence_event_free(event: *mut lhttp_presence_event) {
    guard_or((), || {
        if !event.is_null() {
            // SAFETY: it came from Box::into_raw of an OwnedEvent (its first field) in
            // lhttp_message_presence_event, and is freed once.
            drop(unsafe { Box::from_raw(event.cast::<OwnedEvent>()) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{lhttp_message_free, lhttp_message_parse};

    fn text(s: lhttp_str) -> String {
        // SAFETY: a view of the event the test still holds.
        String::from_utf8(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) }.to_vec()).unwrap()
    }

    /// `bytes` parsed, read as an event: its result and, on success, the event.
    fn read(bytes: &[u8]) -> (lhttp_result, *mut lhttp_presence_event) {
        let mut msg = std::ptr::null_mut();
        let mut event = std::ptr::null_mut();
        // SAFETY: valid buffers and out-parameters; the message is freed before the event
        // is read, which owns its copy.
        unsafe {
            assert_eq!(
                lhttp_message_parse(bytes.as_ptr(), bytes.len(), std::ptr::null(), &mut msg),
                lhttp_result::Ok
            );
            let r = lhttp_message_presence_event(msg, &mut event);
            lhttp_message_free(msg);
            (r, event)
        }
    }

    #[test]
    fn a_leave_reads_with_its_member_and_reason() {
        let (r, event) = read(
            b"LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\nreason:disconnect\r\n\r\n{\"name\":\"Ann\"}",
        );
        assert_eq!(r, lhttp_result::Ok);
        // SAFETY: written on success; freed below.
        let e = unsafe { &*event };
        assert_eq!(e.kind, lhttp_presence_kind::Leave);
        assert_eq!((text(e.channel), text(e.reason)), ("room".into(), "disconnect".into()));
        assert_eq!(
            (text(e.member.client), text(e.member.uid)),
            ("n-1".into(), "ann".into())
        );
        assert_eq!(e.member.info_len, 1);
        // SAFETY: one pair.
        let pair = unsafe { *e.member.info };
        assert_eq!((text(pair.name), text(pair.value)), ("name".into(), "Ann".into()));
        unsafe { lhttp_presence_event_free(event) };
    }

    #[test]
    fn a_publication_is_not_found_and_a_broken_event_internal() {
        let (r, event) = read(b"LHTTP/1.0 chat\r\nchannel:room\r\n\r\njoin");
        assert_eq!((r, event.is_null()), (lhttp_result::NotFound, true));
        let (r, event) = read(b"LHTTP/1.0 join\r\nchannel:room\r\n\r\n");
        assert_eq!((r, event.is_null()), (lhttp_result::Internal, true));
        let (r, event) = read(b"LHTTP/1.0 join\r\nchannel:room\r\nclient:n-2\r\n\r\n");
        assert_eq!(r, lhttp_result::Ok);
        // SAFETY: written on success.
        let e = unsafe { &*event };
        assert_eq!(
            (e.kind, e.member.uid.len, e.reason.len, e.member.info_len),
            (lhttp_presence_kind::Join, 0, 0, 0)
        );
        assert!(e.member.info.is_null());
        unsafe { lhttp_presence_event_free(event) };
        unsafe { lhttp_presence_event_free(std::ptr::null_mut()) };
    }
}
