//! Eight bytes at a time: loading a word from a line and the exact per-byte
//! masks (SWAR) that let the header reader classify eight bytes per step.

/// The first eight bytes of `s` as a little-endian word, and how many of them
/// are real: past the end of `s` the word holds zeros, which every mask here
/// flags, so a scan stops there at the latest.
#[inline]
pub(crate) fn load(s: &[u8]) -> (u64, usize) {
    match s.first_chunk::<8>() {
        Some(chunk) => (u64::from_le_bytes(*chunk), 8),
        None => load_short(s),
    }
}

/// [`load`] for the last bytes of a buffer.
#[inline(never)]
pub(crate) fn load_short(s: &[u8]) -> (u64, usize) {
    let mut word = [0; 8];
    let n = s.len().min(8);
    word[..n].copy_from_slice(&s[..n]);
    (u64::from_le_bytes(word), n)
}

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is not `a`..=`z` or `-`. Exact for
/// every byte (no borrow or carry crosses a byte), so any flagged byte is real.
#[inline]
pub(crate) const fn not_lower_or_dash(w: u64) -> u64 {
    // Seven-bit bytes: adding at most 0x7f to one never carries out of it.
    let low = w & (ONES * 0x7f);
    // `low + 0x1f` reaches 0x80 iff the byte is at least `a` (0x61);
    // `low + 0x05` iff it is above `z` (0x7a).
    let lower = (low + ONES * 0x1f) & !(low + ONES * 0x05);
    // Zero bytes of `low ^ '-'` (0x2d) are the dashes: the sum leaves the high bit
    // clear only for a zero byte.
    let x = low ^ (ONES * 0x2d);
    let dash = !((x + ONES * 0x7f) | x);
    // Bytes with the high bit set are never `[a-z-]`.
    !((lower | dash) & !w) & HIGH
}

/// The high bit of each byte of `w` that is not printable ASCII: below 0x20
/// (tab included), 0x7f, or 0x80 and above. Exact for every byte.
#[inline]
pub(crate) const fn not_printable_ascii(w: u64) -> u64 {
    let low = w & (ONES * 0x7f);
    // `low + 0x01` reaches 0x80 only for 0x7f; `low + 0x60` stays below 0x80
    // only for bytes below 0x20. Neither sum carries out of its byte.
    ((low + ONES) | !(low + ONES * 0x60) | w) & HIGH
}

/// The high bit of each byte of `w` that is below 0x20 or equal to 0x7f (tab
/// included). The lowest flagged byte is always a real one; bytes above it may
/// be flagged falsely (borrows), so callers use only the lowest.
#[inline]
pub(crate) const fn control_bytes(w: u64) -> u64 {
    // A byte below n sets its high bit in (w - n) & !w.
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let del = w ^ (ONES * 0x7f);
    let is_del = del.wrapping_sub(ONES) & !del & HIGH;
    below_space | is_del
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::tests::next;

    /// The word check finds exactly the first control byte (tab included), or none.
    #[test]
    fn control_bytes_finds_the_first_control_byte() {
        let first = |w: [u8; 8]| w.iter().position(|&c| c < 0x20 || c == 0x7f);
        let found = |w: u64| {
            let m = control_bytes(w);
            (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
        };
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = b;
                assert_eq!(found(u64::from_le_bytes(w)), first(w), "byte {b:#x} at {at}");
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            let w = next(&mut state);
            assert_eq!(found(w), first(w.to_le_bytes()), "word {w:#x}");
        }
    }

    /// Checks a per-byte mask against `expected` on every byte value at every
    /// position of a word, and on random words: exact for every byte.
    fn check_exact_mask(mask: fn(u64) -> u64, expected: fn(u8) -> bool) {
        let flags = |w: [u8; 8]| {
            w.iter()
                .enumerate()
                .filter(|&(_, &c)| expected(c))
                .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i))
        };
        for filler in [b'a', b'-', b'z', b':', 0, 0xff] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut w = [filler; 8];
                    w[at] = b;
                    assert_eq!(
                        mask(u64::from_le_bytes(w)),
                        flags(w),
                        "byte {b:#x} at {at} among {filler:#x}"
                    );
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            let w = next(&mut state);
            assert_eq!(mask(w), flags(w.to_le_bytes()), "word {w:#x}");
        }
    }

    /// The name mask flags exactly the bytes outside `[a-z-]`.
    #[test]
    fn not_lower_or_dash_flags_exactly_the_other_bytes() {
        check_exact_mask(not_lower_or_dash, |c| !(c.is_ascii_lowercase() || c == b'-'));
    }

    /// The value mask flags exactly the bytes that are not printable ASCII.
    #[test]
    fn not_printable_ascii_flags_exactly_the_other_bytes() {
        check_exact_mask(not_printable_ascii, |c| !(0x20..0x7f).contains(&c));
    }
}
