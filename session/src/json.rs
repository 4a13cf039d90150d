//! The JSON of presence answers and events (spec 15.2, 15.3), read without a
//! JSON library: the shapes are fixed (objects of strings, an array of members),
//! and a general parser would more than double the browser SDK's wasm. Unknown
//! keys and values are skipped, as unknown headers are, so later fields can be
//! added; anything else that is not JSON is refused.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// Not the JSON this reader expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bad;

/// How deep unknown values may nest before the reader refuses them.
const MAX_DEPTH: usize = 32;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Result<(), Bad> {
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(Bad)
        }
    }

    fn end(mut self) -> Result<(), Bad> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Bad),
        }
    }

    fn hex4(&mut self) -> Result<u32, Bad> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or(Bad)?;
        self.at += 4;
        let text = core::str::from_utf8(digits).map_err(|_| Bad)?;
        u32::from_str_radix(text, 16).map_err(|_| Bad)
    }

    fn string(&mut self) -> Result<String, Bad> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let b = *self.bytes.get(self.at).ok_or(Bad)?;
            self.at += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|_| Bad),
                b'\\' => {
                    let e = *self.bytes.get(self.at).ok_or(Bad)?;
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return Err(Bad),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(Bad),
                _ => out.push(b),
            }
        }
    }

    /// The character of a `\u` escape (its `\u` read), a surrogate pair included.
    fn escaped_char(&mut self) -> Result<char, Bad> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err(Bad);
                }
                self.at += 2;
                let low = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&low) {
                    return Err(Bad);
                }
                0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(Bad),
            c => c,
        };
        char::from_u32(code).ok_or(Bad)
    }

    /// Skips any JSON value (an unknown field's).
    fn skip(&mut self, depth: usize) -> Result<(), Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad);
        }
        match self.peek().ok_or(Bad)? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|c, _| c.skip(depth + 1)),
            b'[' => self.array(|c| c.skip(depth + 1)),
            _ => {
                let start = self.at;
                while let Some(b) = self.bytes.get(self.at) {
                    if !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'a'..=b'z') {
                        break;
                    }
                    self.at += 1;
                }
                let word = &self.bytes[start..self.at];
                let number = word.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-');
                if number || matches!(word, b"true" | b"false" | b"null") {
                    Ok(())
                } else {
                    Err(Bad)
                }
            }
        }
    }

    /// Reads an object, calling `field` with each key (the cursor at its value).
    fn object(&mut self, mut field: impl FnMut(&mut Self, String) -> Result<(), Bad>) -> Result<(), Bad> {
        self.eat(b'{')?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Bad),
            }
        }
    }

    /// Reads an array, calling `item` with the cursor at each element.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Result<(), Bad>) -> Result<(), Bad> {
        self.eat(b'[')?;
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Bad),
            }
        }
    }

    fn strings(&mut self) -> Result<BTreeMap<String, String>, Bad> {
        let mut map = BTreeMap::new();
        self.object(|c, key| {
            map.insert(key, c.string()?);
            Ok(())
        })?;
        Ok(map)
    }
}

/// A JSON object whose values are all strings (a member's info).
pub(crate) fn strings(bytes: &[u8]) -> Result<BTreeMap<String, String>, Bad> {
    let mut c = Cursor::new(bytes);
    let map = c.strings()?;
    c.end()?;
    Ok(map)
}

/// One member as the reader sees it: `client`, `uid`, `info`.
pub(crate) type RawMember = (String, String, BTreeMap<String, String>);

/// A JSON array of members, each `{"client": .., "uid": .., "info": {..}}`
/// (`uid` and `info` may be missing; `client` may not).
pub(crate) fn members(bytes: &[u8]) -> Result<Vec<RawMember>, Bad> {
    let mut c = Cursor::new(bytes);
    let mut out = Vec::new();
    c.array(|c| {
        let (mut client, mut uid, mut info) = (None, String::new(), BTreeMap::new());
        c.object(|c, key| {
            match key.as_str() {
                "client" => client = Some(c.string()?),
                "uid" => uid = c.string()?,
                "info" => info = c.strings()?,
                _ => c.skip(0)?,
            }
            Ok(())
        })?;
        out.push((client.ok_or(Bad)?, uid, info));
        Ok(())
    })?;
    c.end()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn members_read_with_escapes_and_unknown_fields_skipped() {
        let text = br#" [ {"client":"n-1","uid":"ann","info":{"name":"Ann \"A\" \u00e9\ud83d\ude00"},"since":[1,{"x":null}],"n":-1.5e3},
                        {"client":"n-2"} ] "#;
        let m = members(text).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].0.as_str(), m[0].1.as_str()), ("n-1", "ann"));
        assert_eq!(m[0].2["name"], "Ann \"A\" é😀");
        assert_eq!((m[1].1.as_str(), m[1].2.len()), ("", 0));
        assert_eq!(members(b"[]").unwrap(), Vec::new());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            &b""[..],
            b"{}",
            b"[{}]",
            b"[{\"client\":1}]",
            b"[{\"client\":\"a\"}] x",
            b"[{\"client\":\"a\",}]",
            b"[{\"client\":\"a\" \"uid\":\"b\"}]",
            b"[{\"client\":\"a\\q\"}]",
            b"[{\"client\":\"\\ud800\"}]",
            b"[{\"client\":\"a\",\"x\":nope}]",
            b"[{\"client\":\"a\",\"info\":{\"k\":1}}]",
            b"[{\"client\":\"tab\there\"}]",
        ] {
            assert_eq!(members(bad), Err(Bad), "{:?}", core::str::from_utf8(bad));
        }
        let deep = "[{\"client\":\"a\",\"x\":".to_string() + &"[".repeat(40) + &"]".repeat(40) + "}]";
        assert_eq!(members(deep.as_bytes()), Err(Bad), "nesting is bounded");
    }

    #[test]
    fn info_is_an_object_of_strings() {
        assert_eq!(strings(br#"{"a":"1","b":""}"#).unwrap().len(), 2);
        assert_eq!(strings(b"{}").unwrap().len(), 0);
        assert_eq!(strings(br#"{"a":true}"#), Err(Bad));
        assert_eq!(strings(b"[]"), Err(Bad));
    }
}
