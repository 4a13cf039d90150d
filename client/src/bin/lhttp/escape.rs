//! Escapes in typed or piped messages: one input line is one message, so line
//! breaks are written `\r\n` (also `\n`, `\t`, `\\`, `\0` and `\xHH`).

/// The bytes `line` stands for, with escapes replaced.
pub fn unescape(line: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| format!("bad escape \\x{hex}: two hex digits expected"))?;
                out.push(byte);
            }
            Some(other) => return Err(format!("unknown escape \\{other} (use \\r \\n \\t \\0 \\\\ \\xHH)")),
            None => return Err("the line ends with a lone backslash".into()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn escapes_become_bytes() {
        assert_eq!(
            unescape(r"LHTTP/1.0 chat\r\npublish:a\r\n\r\nhi\x21\\").unwrap(),
            b"LHTTP/1.0 chat\r\npublish:a\r\n\r\nhi!\\"
        );
        assert_eq!(unescape(r"a\tb\nc\0").unwrap(), b"a\tb\nc\0");
        assert_eq!(unescape("é").unwrap(), "é".as_bytes());
    }

    #[test]
    fn bad_escapes_are_reported() {
        assert!(unescape(r"\q").unwrap_err().contains("unknown escape"));
        assert!(unescape(r"\x4").is_err());
        assert!(unescape(r"\xzz").is_err());
        assert!(unescape("end\\").is_err());
    }
}
