//! Presence queries (spec section 15.2) for C: a channel's members as an `lhttp_presence`
//! the library allocates (views into its own copy, one free function), and its counts as
//! a plain `lhttp_presence_stats` written into the caller's struct. The session reads
//! the answers; this file only lays them out for C.

use std::ffi::c_char;

use ::lhttp_client::{Member, Presence, PresenceStats};

use crate::boundary::{guard, guard_or, null, object, text, write};
use crate::result::{fail, lhttp_result};
use crate::types::{lhttp_header, lhttp_str};

use super::lhttp_client;

/// A channel's counts (spec 15.2), always complete.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct lhttp_presence_stats {
    /// The channel's members: its subscribed connections, cluster-wide.
    pub connections: u64,
    /// The distinct non-empty uids among them.
    pub users: u64,
}

impl From<PresenceStats> for lhttp_presence_stats {
    fn from(s: PresenceStats) -> Self {
        lhttp_presence_stats {
            connections: s.connections,
            users: s.users,
        }
    }
}

/// One member of a channel: a subscribed connection. Its views point into the object it
/// came with (an `lhttp_presence` or `lhttp_presence_event`) and live as long as it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lhttp_member {
    /// Its client id.
    pub client: lhttp_str,
    /// Its uid (a token's `sub`, a backend's, or self-declared); length 0 when none.
    pub uid: lhttp_str,
    /// Its info, one `name:value` pair per key, ordered by name; NULL with 0 when none.
    pub info: *const lhttp_header,
    /// How many pairs `info` holds.
    pub info_len: usize,
}

/// A channel's members, as `lhttp_client_presence` gives them; freed with
/// `lhttp_presence_free`. Read-only: any number of threads may read it at once.
#[repr(C)]
#[derive(Debug)]
pub struct lhttp_presence {
    /// The counts (complete even when the list is capped).
    pub stats: lhttp_presence_stats,
    /// The server listed fewer members than there are (its `presence_max_members`).
    pub capped: bool,
    /// The members, ordered by client id; NULL with 0 when none.
    pub members: *const lhttp_member,
    /// How many members `members` holds.
    pub members_len: usize,
}

/// An `lhttp_presence` and what its views point into. `#[repr(C)]` with the public struct
/// first, so the pointer C holds is the pointer to this allocation.
#[repr(C)]
struct OwnedPresence {
    public: lhttp_presence,
    _members: Members,
}

/// Members laid out for C over the session's own strings (whose heap buffers do not move
/// when the owner does).
pub(crate) struct Members {
    /// What the views point into.
    _source: Vec<Member>,
    /// Every member's info pairs, one after another.
    _info: Vec<lhttp_header>,
    /// One per member, each pointing at its run of `_info`.
    views: Vec<lhttp_member>,
}

impl Members {
    pub(crate) fn new(source: Vec<Member>) -> Members {
        let info: Vec<lhttp_header> = source
            .iter()
            .flat_map(|m| m.info.iter())
            .map(|(name, value)| lhttp_header {
                name: lhttp_str::of(name.as_bytes()),
                value: lhttp_str::of(value.as_bytes()),
            })
            .collect();
        // Built after `info` is complete: it does not grow (move) once pointed into.
        let mut start = 0;
        let views = source
            .iter()
            .map(|m| {
                let run = &info[start..start + m.info.len()];
                start += m.info.len();
                lhttp_member {
                    client: lhttp_str::of(m.client.as_bytes()),
                    uid: lhttp_str::of(m.uid.as_bytes()),
                    info: if run.is_empty() { std::ptr::null() } else { run.as_ptr() },
                    info_len: run.len(),
                }
            })
            .collect();
        Members {
            _source: source,
            _info: info,
            views,
        }
    }

    /// The members for C; NULL when there are none.
    fn array(&self) -> (*const lhttp_member, usize) {
        match self.views.len() {
            0 => (std::ptr::null(), 0),
            n => (self.views.as_ptr(), n),
        }
    }

    /// The one member (of an event).
    pub(crate) fn first(&self) -> lhttp_member {
        self.views[0]
    }
}

/// The client and channel arguments of a query.
///
/// # Safety
/// `client` NULL or live; `channel` valid for `channel_len` bytes.
unsafe fn query_args<'a>(
    client: *const lhttp_client,
    channel: *const c_char,
    channel_len: usize,
) -> Result<(&'a lhttp_client, &'a str), lhttp_result> {
    // SAFETY: per the caller.
    let c = unsafe { object(client)? };
    let channel = unsafe { text(channel.cast(), channel_len, lhttp_result::Channel)? };
    Ok((c, channel))
}

/// Lists the members of `channel[..channel_len]` (subscribed or not): every connection
/// subscribed to it, cluster-wide, with its client id, uid and info, ordered by client
/// id, and the counts. Writes to `*out` an `lhttp_presence` to free with
/// `lhttp_presence_free`. At most the server's `presence_max_members` are listed (then
/// `capped`). A channel whose namespace keeps no presence is `NO_PRESENCE`, one this
/// connection may not subscribe to `FORBIDDEN`, a bad channel name `CHANNEL`.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_presence(
    client: *const lhttp_client,
    channel: *const c_char,
    channel_len: usize,
    out: *mut *mut lhttp_presence,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let (c, channel) = unsafe { query_args(client, channel, channel_len)? };
        if out.is_null() {
            return Err(null());
        }
        let Presence { stats, members, capped } = c.inner.presence(channel).map_err(|e| fail(&e))?;
        let members = Members::new(members);
        let (array, len) = members.array();
        let owned = Box::new(OwnedPresence {
            public: lhttp_presence {
                stats: stats.into(),
                capped,
                members: array,
                members_len: len,
            },
            _members: members,
        });
        unsafe { write(out, Box::into_raw(owned).cast::<lhttp_presence>()) }
    })
}

/// Counts the members of `channel[..channel_len]` without listing them, into `*out`.
/// Fails as `lhttp_client_presence` does.
#[no_mangle]
pub unsafe extern "C" fn lhttp_client_presence_stats(
    client: *const lhttp_client,
    channel: *const c_char,
    channel_len: usize,
    out: *mut lhttp_presence_stats,
) -> lhttp_result {
    guard(|| {
        // SAFETY: the caller's pointers.
        let (c, channel) = unsafe { query_args(client, channel, channel_len)? };
        if out.is_null() {
            return Err(null());
        }
        let stats = c.inner.presence_stats(channel).map_err(|e| fail(&e))?;
        unsafe { write(out, stats.into()) }
    })
}

/// Frees what `lhttp_client_presence` gave. NULL is fine. Its views become invalid.
#[no_mangle]
pub unsafe extern "C" fn lhttp_presence_free(presence: *mut lhttp_presence) {
    guard_or((), || {
        if !presence.is_null() {
            // SAFETY: it came from Box::into_raw of an OwnedPresence (its first field) in
            // lhttp_client_presence, and is freed once.
            drop(unsafe { Box::from_raw(presence.cast::<OwnedPresence>()) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: lhttp_str) -> &'static str {
        // SAFETY: views of strings the test's `Members` keeps alive while read.
        std::str::from_utf8(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) }).unwrap()
    }

    fn member(client: &str, uid: &str, info: &[(&str, &str)]) -> Member {
        Member {
            client: client.into(),
            uid: uid.into(),
            info: info.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// A member as read back through its views: client, uid, info pairs.
    type Read = (&'static str, &'static str, Vec<(&'static str, &'static str)>);

    #[test]
    fn each_member_points_at_its_own_info() {
        let members = Members::new(vec![
            member("n-1", "ann", &[("name", "Ann"), ("team", "red")]),
            member("n-2", "", &[]),
            member("n-3", "cy", &[("name", "Cy")]),
        ]);
        let (array, len) = members.array();
        assert_eq!(len, 3);
        // SAFETY: `array` holds `len` members, kept by `members`.
        let views = unsafe { std::slice::from_raw_parts(array, len) };
        let read: Vec<Read> = views
            .iter()
            .map(|m| {
                let info = if m.info.is_null() {
                    Vec::new()
                } else {
                    // SAFETY: `info` holds `info_len` pairs, kept by `members`.
                    unsafe { std::slice::from_raw_parts(m.info, m.info_len) }
                        .iter()
                        .map(|h| (text(h.name), text(h.value)))
                        .collect()
                };
                (text(m.client), text(m.uid), info)
            })
            .collect();
        assert_eq!(
            read,
            vec![
                ("n-1", "ann", vec![("name", "Ann"), ("team", "red")]),
                ("n-2", "", vec![]),
                ("n-3", "cy", vec![("name", "Cy")]),
            ]
        );
        assert_eq!(views[1].info_len, 0);
        assert!(Members::new(Vec::new()).array().0.is_null());
    }
}
