//! The header view and the character rules shared by parsing and encoding:
//! names and commands are tokens, values are single-line UTF-8 text.

/// One header line, `name:value`, borrowed from the message buffer.
///
/// The name keeps the case it was sent in; lookups ignore ASCII case.
/// The value has its surrounding spaces and tabs removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'b> {
    /// The header name, a token (for example `subscribe`).
    pub name: &'b str,
    /// The header value, UTF-8 text without control characters.
    pub value: &'b str,
}

/// An empty header, to fill the caller's storage: `[EMPTY_HEADER; 16]`.
pub const EMPTY_HEADER: Header<'static> = Header { name: "", value: "" };

/// Whether `b` may appear in a command or a header name (RFC 9110 `tchar`).
#[inline]
pub(crate) const fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}

/// [`is_tchar`] for every byte: one load per byte where parsing is hottest.
const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_tchar(b as u8);
        b += 1;
    }
    table
};

/// The RFC 9110 `tchar` set.
const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' |
        b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Whether `s` is a non-empty token.
#[inline]
pub(crate) fn is_token_str(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token(b))
}

/// Whether `b` may appear in a header value (anything but control characters; tab allowed).
#[inline]
pub(crate) const fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Whether `b` is optional whitespace around a value.
#[inline]
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Checks a value for encoding: value bytes only, no leading or trailing whitespace.
pub(crate) fn is_encodable_value(v: &str) -> bool {
    let b = v.as_bytes();
    b.iter().all(|&c| is_value_byte(c))
        && !b.first().is_some_and(|&c| is_ows(c))
        && !b.last().is_some_and(|&c| is_ows(c))
}

/// Whether a command is valid: a token of 1 to [`MAX_COMMAND_LEN`](crate::MAX_COMMAND_LEN) bytes.
#[inline]
pub(crate) fn is_command(s: &[u8]) -> bool {
    s.len() <= crate::MAX_COMMAND_LEN && is_token_str(s)
}

/// Views bytes already checked to be ASCII (tokens, ASCII-only lines) as text,
/// without a second validation pass: the parser's hot path.
#[inline]
#[allow(unsafe_code)]
pub(crate) fn ascii_str(b: &[u8]) -> &str {
    debug_assert!(b.is_ascii());
    // SAFETY: every caller passes bytes it has checked to be ASCII (a token, or a
    // line whose bytes all have the high bit clear), and ASCII is valid UTF-8.
    unsafe { core::str::from_utf8_unchecked(b) }
}
