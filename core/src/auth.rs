//! The words of authentication (spec/PROTOCOL.md, section 14), named once here so
//! that the server and every SDK's session agree on them: the `connect` and
//! `refresh` commands, the `expires-in` of their acks, and which channels are
//! personal (`#<uid>`). Verifying tokens is the server's; this is only the format.

use crate::reply::headers;
use crate::Message;

/// The command presenting a connection token after the greeting (14.2).
pub const CONNECT: &str = "connect";
/// The command presenting a new connection token before the current one expires (14.3).
pub const REFRESH: &str = "refresh";
/// What separates a personal channel's name from its uid (14.8).
pub const PERSONAL_SEPARATOR: char = '#';

/// The uid a personal channel belongs to: what follows its last `#` (14.8);
/// `None` for a channel that is not personal. `notice:#` belongs to the empty
/// uid, which no authenticated connection has.
///
/// ```
/// use lhttp_core::auth::personal_uid;
/// assert_eq!(personal_uid("notice:#ann"), Some("ann"));
/// assert_eq!(personal_uid("a#b#c"), Some("c"));
/// assert_eq!(personal_uid("chat:room"), None);
/// ```
pub fn personal_uid(channel: &str) -> Option<&str> {
    channel.rsplit_once(PERSONAL_SEPARATOR).map(|(_, uid)| uid)
}

/// The `expires-in` of an ack (8.2): whole seconds left on its token; `None` when
/// absent or not a decimal number.
pub fn expires_in(msg: &Message<'_, '_>) -> Option<u64> {
    let v = msg.header(headers::EXPIRES_IN)?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// `n` seconds as an `expires-in` value, on the stack.
pub fn write_expires_in(n: u64, out: &mut [u8; 20]) -> &str {
    let mut start = out.len();
    let mut n = n;
    loop {
        start -= 1;
        out[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    crate::header::ascii_str(&out[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, EMPTY_HEADER};

    #[test]
    fn expires_in_reads_decimal_seconds_only() {
        let mut h = [EMPTY_HEADER; 4];
        let m = parse(b"LHTTP/1.0 ack\r\nid:1\r\nexpires-in:3600\r\n\r\n", &mut h).unwrap();
        assert_eq!(expires_in(&m), Some(3600));
        let mut h = [EMPTY_HEADER; 4];
        let m = parse(b"LHTTP/1.0 ack\r\nexpires-in:-1\r\n\r\n", &mut h).unwrap();
        assert_eq!(expires_in(&m), None);
        let mut buf = [0u8; 20];
        assert_eq!(write_expires_in(0, &mut buf), "0");
        assert_eq!(write_expires_in(u64::MAX, &mut buf), "18446744073709551615");
    }

    #[test]
    fn personal_channels_end_in_a_uid() {
        assert_eq!(personal_uid("notice:#"), Some(""));
        assert_eq!(personal_uid("#ann"), Some("ann"));
    }
}
