//! NATS subjects for lhttp channels. A channel name may hold characters a NATS
//! subject token may not (`.`, `*`, `>`, spaces) or be too long for a subject,
//! so names are encoded reversibly: never refused, never mixed up.
//!
//! - A name made only of `A-Z a-z 0-9 - _ : @ + =`, up to [`MAX_PLAIN`] bytes, is its own token.
//! - Any other name is `~` followed by the lowercase hex of its bytes (`room.1` is `~726f6f6d2e31`).
//! - A token that would be longer than [`MAX_TOKEN`] becomes `~h` and a 64-bit hash
//!   ([`subject_token`] only): the subject stays short, and the message carries the exact
//!   names in a header (see the NATS broker) so a hash collision is filtered out on receipt.

/// Longest plain channel name used as a token as it is.
pub const MAX_PLAIN: usize = 128;
/// Longest token put in a subject; longer encodings are hashed.
pub const MAX_TOKEN: usize = 200;

fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PLAIN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:@+=".contains(&b))
}

/// The reversible encoding of `name` (any length): plain, or `~` and hex.
pub fn encode(name: &str) -> String {
    if is_plain(name) {
        return name.to_string();
    }
    let mut out = String::with_capacity(1 + 2 * name.len());
    out.push('~');
    for b in name.bytes() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The channel name behind a token made by [`encode`]; `None` for anything else
/// (including hashed `~h` tokens, which are not reversible by design).
pub fn decode(token: &str) -> Option<String> {
    let Some(hex) = token.strip_prefix('~') else {
        return is_plain(token).then(|| token.to_string());
    };
    if hex.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let bytes = hex
        .as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect::<Option<Vec<u8>>>()?;
    let name = String::from_utf8(bytes).ok()?;
    // Only the canonical encoding decodes, so one name has exactly one token.
    (!is_plain(&name)).then_some(name)
}

/// The token used in a subject: [`encode`], or a hash when that is too long.
pub fn subject_token(name: &str) -> String {
    let token = encode(name);
    if token.len() <= MAX_TOKEN {
        return token;
    }
    format!("~h{:016x}", fnv1a(name.as_bytes()))
}

/// Whether the subject token had to be hashed (the receiver then checks names).
pub fn is_hashed(token: &str) -> bool {
    token.starts_with("~h")
}

/// FNV-1a, 64 bits: the same on every node (unlike std's randomly keyed hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether `prefix` is usable as the first tokens of every subject
/// (dot-separated tokens of `A-Z a-z 0-9 - _`, at most 64 bytes).
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .split('.')
            .all(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_their_own_token() {
        for name in ["chat", "room-1", "a_b", "user:42", "x@y", "a+b=c", "Z9"] {
            assert_eq!(encode(name), name);
            assert_eq!(decode(name).as_deref(), Some(name));
        }
    }

    #[test]
    fn other_names_round_trip_through_hex() {
        let long = "x".repeat(MAX_PLAIN + 1);
        for name in [
            "room.1",
            "a*b",
            "a>b",
            "a b",
            "",
            "~",
            "~6869",
            "中文",
            "a/b",
            long.as_str(),
        ] {
            let token = encode(name);
            assert!(token.starts_with('~'), "{name:?} -> {token}");
            assert!(token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_:@+=~".contains(&b)));
            assert_eq!(decode(&token).as_deref(), Some(name), "{token}");
        }
        assert_eq!(encode("room.1"), "~726f6f6d2e31");
    }

    #[test]
    fn distinct_names_never_share_a_token() {
        // "~6869" is a name; its token is not "~6869" (which would decode to "hi").
        assert_ne!(encode("~6869"), "~6869");
        assert_eq!(decode("~6869"), None, "hi is plain, so ~6869 is not canonical");
        assert_eq!(decode("~zz"), None);
        assert_eq!(decode("~7"), None);
        assert_eq!(decode("a.b"), None);
    }

    #[test]
    fn long_names_hash_in_subjects_only() {
        let long = "é".repeat(200);
        let t = subject_token(&long);
        assert!(is_hashed(&t) && t.len() == 18, "{t}");
        assert_eq!(t, subject_token(&long), "same on every call and node");
        assert_eq!(decode(&t), None);
        assert_eq!(decode(&encode(&long)).as_deref(), Some(long.as_str()));
        assert_eq!(subject_token("room.1"), "~726f6f6d2e31");
    }

    #[test]
    fn prefixes() {
        assert!(valid_prefix("lhttp"));
        assert!(valid_prefix("prod.lhttp-1"));
        for bad in ["", "a..b", ".a", "a.", "a b", "a*", "a>", &"x".repeat(65)] {
            assert!(!valid_prefix(bad), "{bad:?}");
        }
    }
}
