//! The one error type of the codec. Its variant names are stable: every binding
//! (C, Python, Node, wasm) and the server's error reply carry the same names.

use core::fmt;

/// Why a message could not be parsed, split or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The message does not start with exactly `LHTTP/1.0 `.
    Version,
    /// The command is empty, longer than [`MAX_COMMAND_LEN`](crate::MAX_COMMAND_LEN) or has a byte outside the token set.
    Command,
    /// A carriage return is not followed by a line feed.
    NewLine,
    /// A header line has no `:`, an empty name, or a byte outside the token set in its name.
    HeaderName,
    /// A header value holds a control character or invalid UTF-8 (or, when encoding, leading or trailing whitespace).
    HeaderValue,
    /// There are more headers than the caller's storage holds.
    TooManyHeaders,
    /// The `upstream` header is not `<METHOD> <URL>`.
    Upstream,
    /// A `multipart` offset is not a number, is not increasing, does not start at 0, or lies beyond the body.
    PartOffset,
    /// A multipart part has no blank line ending its headers.
    Part,
    /// There are more parts than the caller's storage holds.
    TooManyParts,
    /// The output buffer is smaller than the encoded message.
    BufferTooSmall,
    /// A channel name to write is empty or holds whitespace or a control character
    /// (it would be read back as no channel or as several).
    Channel,
    /// A history position is not `<epoch>:<offset>` (an epoch empty, over 32 characters
    /// or outside `A-Z a-z 0-9 - _`, an offset not a decimal up to 2^63 - 1), or a
    /// `since` / `position` value has no channel before it.
    Position,
}

impl Error {
    /// Every variant, in declaration order (for tables and bindings).
    pub const ALL: [Error; 13] = [
        Error::Version,
        Error::Command,
        Error::NewLine,
        Error::HeaderName,
        Error::HeaderValue,
        Error::TooManyHeaders,
        Error::Upstream,
        Error::PartOffset,
        Error::Part,
        Error::TooManyParts,
        Error::BufferTooSmall,
        Error::Channel,
        Error::Position,
    ];

    /// The stable name of the error, identical to the variant's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::Version => "Version",
            Error::Command => "Command",
            Error::NewLine => "NewLine",
            Error::HeaderName => "HeaderName",
            Error::HeaderValue => "HeaderValue",
            Error::TooManyHeaders => "TooManyHeaders",
            Error::Upstream => "Upstream",
            Error::PartOffset => "PartOffset",
            Error::Part => "Part",
            Error::TooManyParts => "TooManyParts",
            Error::BufferTooSmall => "BufferTooSmall",
            Error::Channel => "Channel",
            Error::Position => "Position",
        }
    }

    /// A one-line human description.
    pub const fn description(self) -> &'static str {
        match self {
            Error::Version => "message does not start with LHTTP/1.0",
            Error::Command => "command is empty, too long or has an invalid character",
            Error::NewLine => "carriage return not followed by line feed",
            Error::HeaderName => "header line has no colon or an invalid name",
            Error::HeaderValue => "header value has a control character or invalid UTF-8",
            Error::TooManyHeaders => "more headers than the storage holds",
            Error::Upstream => "upstream header is not <METHOD> <URL>",
            Error::PartOffset => "multipart offsets are not increasing numbers within the body, from 0",
            Error::Part => "multipart part has no blank line after its headers",
            Error::TooManyParts => "more parts than the storage holds",
            Error::BufferTooSmall => "output buffer too small",
            Error::Channel => "channel name is empty or holds whitespace or a control character",
            Error::Position => "position is not <epoch>:<offset>, or names no channel",
        }
    }

    /// The error whose stable name is `name`, if any.
    pub fn from_name(name: &str) -> Option<Error> {
        Error::ALL.iter().copied().find(|e| e.as_str() == name)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
