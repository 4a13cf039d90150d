//! A token as the session holds it (spec 14): a secret, so its `Debug` never shows
//! it and every SDK built on the session prints it redacted.

use alloc::string::String;
use core::fmt;

/// A connection or subscription token (a JWT the application's backend signed).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The token `text`.
    pub fn new(text: impl Into<String>) -> Token {
        Token(text.into())
    }

    /// The token's text, to put on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl From<String> for Token {
    fn from(s: String) -> Token {
        Token(s)
    }
}

impl From<&str> for Token {
    fn from(s: &str) -> Token {
        Token(s.into())
    }
}
