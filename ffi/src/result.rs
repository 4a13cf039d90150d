//! The result codes every fallible function returns, their stable names, and the
//! thread-local description of the last failure (`lhttp_last_error`).

use std::cell::RefCell;
use std::ffi::{c_char, CStr};

use lhttp_client::Error;
use lhttp_core::Error as CoreError;

/// What a liblhttp call did. The numbers never change; new codes are only added at the end.
///
/// 1 to 11 are the codec's errors in `lhttp_core::Error::ALL` order; 17 to 27 are the
/// codes a server answers with (a reply carrying a core name maps to 1 to 11).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lhttp_result {
    /// Success.
    Ok = 0,
    /// The message does not start with exactly `LHTTP/1.0 `.
    Version = 1,
    /// The command is empty, too long or has an invalid character.
    Command = 2,
    /// A carriage return is not followed by a line feed.
    NewLine = 3,
    /// A header line has no colon or an invalid name.
    HeaderName = 4,
    /// A header value has a control character or invalid UTF-8 (when encoding: surrounding whitespace).
    HeaderValue = 5,
    /// More headers than the storage holds.
    TooManyHeaders = 6,
    /// The `upstream` header is not `<METHOD> <URL>`.
    Upstream = 7,
    /// The `multipart` offsets are not increasing numbers within the body, from 0.
    PartOffset = 8,
    /// A multipart part has no blank line after its headers.
    Part = 9,
    /// More parts than the storage holds.
    TooManyParts = 10,
    /// The output buffer is too small (the needed length is reported).
    BufferTooSmall = 11,
    /// The connection could not be made: refused, DNS, TLS or handshake failure.
    Connect = 12,
    /// The connection is closed (by the server, or by `lhttp_client_close`).
    Closed = 13,
    /// The operation did not complete in time.
    Timeout = 14,
    /// Reading or writing the connection failed.
    Io = 15,
    /// The server replied with an error code not listed here (see `lhttp_last_error`).
    Server = 16,
    /// Server error: the message is larger than the server accepts.
    MessageTooLarge = 17,
    /// Server error: too many channels in one message.
    TooManyChannels = 18,
    /// Server error: the connection has too many subscriptions.
    TooManySubscriptions = 19,
    /// Server error: a header filter refused the message.
    Forbidden = 20,
    /// Server error: the upstream URL is not allowed.
    UpstreamRefused = 21,
    /// Server error: the upstream request failed.
    UpstreamFailed = 22,
    /// Server error: the upstream request timed out.
    UpstreamTimeout = 23,
    /// Server error: the command is reserved (`connected`, `ack`, `error`).
    ReservedCommand = 24,
    /// Server error: an internal failure.
    Internal = 25,
    /// HTTP publish: the server wants a valid bearer token.
    Unauthorized = 26,
    /// HTTP publish: the message has no `publish` channel.
    NoChannel = 27,
    /// A required pointer argument was NULL.
    NullParameter = 28,
    /// The header, channel list entry, client id or `upstream` header asked for is absent.
    NotFound = 29,
    /// An index is beyond the number of items.
    OutOfRange = 30,
    /// Nothing to receive right now (`lhttp_client_try_recv`).
    WouldBlock = 31,
    /// A bug in liblhttp was caught at the boundary (a Rust panic); please report it.
    Panic = 32,
}

/// Every code, in numeric order.
pub(crate) const ALL: [lhttp_result; 33] = {
    use lhttp_result::*;
    [
        Ok,
        Version,
        Command,
        NewLine,
        HeaderName,
        HeaderValue,
        TooManyHeaders,
        Upstream,
        PartOffset,
        Part,
        TooManyParts,
        BufferTooSmall,
        Connect,
        Closed,
        Timeout,
        Io,
        Server,
        MessageTooLarge,
        TooManyChannels,
        TooManySubscriptions,
        Forbidden,
        UpstreamRefused,
        UpstreamFailed,
        UpstreamTimeout,
        ReservedCommand,
        Internal,
        Unauthorized,
        NoChannel,
        NullParameter,
        NotFound,
        OutOfRange,
        WouldBlock,
        Panic,
    ]
};

impl lhttp_result {
    /// The stable name, NUL-terminated: the core or client error name, `OK` for success.
    pub(crate) fn name(self) -> &'static CStr {
        use lhttp_result::*;
        match self {
            Ok => c"OK",
            Version => c"Version",
            Command => c"Command",
            NewLine => c"NewLine",
            HeaderName => c"HeaderName",
            HeaderValue => c"HeaderValue",
            TooManyHeaders => c"TooManyHeaders",
            Upstream => c"Upstream",
            PartOffset => c"PartOffset",
            Part => c"Part",
            TooManyParts => c"TooManyParts",
            BufferTooSmall => c"BufferTooSmall",
            Connect => c"Connect",
            Closed => c"Closed",
            Timeout => c"Timeout",
            Io => c"Io",
            Server => c"Server",
            MessageTooLarge => c"MessageTooLarge",
            TooManyChannels => c"TooManyChannels",
            TooManySubscriptions => c"TooManySubscriptions",
            Forbidden => c"Forbidden",
            UpstreamRefused => c"UpstreamRefused",
            UpstreamFailed => c"UpstreamFailed",
            UpstreamTimeout => c"UpstreamTimeout",
            ReservedCommand => c"ReservedCommand",
            Internal => c"Internal",
            Unauthorized => c"Unauthorized",
            NoChannel => c"NoChannel",
            NullParameter => c"NullParameter",
            NotFound => c"NotFound",
            OutOfRange => c"OutOfRange",
            WouldBlock => c"WouldBlock",
            Panic => c"Panic",
        }
    }

    /// The code whose name is `name` (a core or server error name).
    fn from_name(name: &str) -> Option<lhttp_result> {
        ALL.iter().copied().find(|r| r.name().to_bytes() == name.as_bytes())
    }
}

impl From<CoreError> for lhttp_result {
    fn from(e: CoreError) -> lhttp_result {
        let index = CoreError::ALL.iter().position(|x| *x == e).unwrap_or(0);
        ALL.get(index + 1).copied().unwrap_or(lhttp_result::Panic)
    }
}

impl From<&Error> for lhttp_result {
    fn from(e: &Error) -> lhttp_result {
        match e {
            Error::Connect { .. } => lhttp_result::Connect,
            Error::Closed { .. } => lhttp_result::Closed,
            Error::Protocol(e) => (*e).into(),
            Error::Timeout => lhttp_result::Timeout,
            Error::Io(_) => lhttp_result::Io,
            Error::Server { code, .. } => match lhttp_result::from_name(code) {
                Some(r) if r != lhttp_result::Ok && (r as u32) <= lhttp_result::NoChannel as u32 => r,
                _ => lhttp_result::Server,
            },
        }
    }
}

thread_local! {
    /// The description of the last failure on this thread.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `text` as this thread's last error.
pub(crate) fn set_last_error(text: String) {
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// The name of a code, for messages.
pub(crate) fn name(r: lhttp_result) -> &'static str {
    r.name().to_str().unwrap_or("Unknown")
}

/// Records a client error and returns its code.
pub(crate) fn fail(e: &Error) -> lhttp_result {
    set_last_error(e.to_string());
    e.into()
}

/// Records a codec error and returns its code.
pub(crate) fn fail_core(e: CoreError) -> lhttp_result {
    set_last_error(format!("{}: {}", e.as_str(), e.description()));
    e.into()
}

/// The stable name of a result code, as a static NUL-terminated string (never freed).
/// Unknown numbers give `"Unknown"`. Thread-safe.
#[no_mangle]
pub extern "C" fn lhttp_result_str(result: u32) -> *const c_char {
    let name = ALL.get(result as usize).map_or(c"Unknown", |r| r.name());
    name.as_ptr()
}

/// Copies a description of the last failed call on the calling thread into `buf`
/// (at most `len - 1` bytes, then a NUL), like `snprintf`, and returns the full
/// description's length. With `len` 0, `buf` may be NULL. Empty when nothing failed.
#[no_mangle]
pub unsafe extern "C" fn lhttp_last_error(buf: *mut c_char, len: usize) -> usize {
    crate::boundary::guard_or(0, || {
        LAST_ERROR.with(|e| {
            let e = e.borrow();
            if !buf.is_null() && len > 0 {
                let n = e.len().min(len - 1);
                // SAFETY: the caller gives `buf` valid for `len` bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(e.as_ptr(), buf.cast::<u8>(), n);
                    *buf.add(n) = 0;
                }
            }
            e.len()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_order_and_names() {
        for (i, e) in CoreError::ALL.iter().enumerate() {
            let r = lhttp_result::from(*e);
            assert_eq!(r as usize, i + 1);
            assert_eq!(r.name().to_str().unwrap(), e.as_str());
        }
    }

    #[test]
    fn codes_are_their_index() {
        for (i, r) in ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }

    #[test]
    fn server_codes_map_by_name() {
        let server = |code: &str| {
            lhttp_result::from(&Error::Server {
                code: code.into(),
                detail: String::new(),
                command: None,
                id: None,
            })
        };
        assert_eq!(server("Forbidden"), lhttp_result::Forbidden);
        assert_eq!(server("HeaderValue"), lhttp_result::HeaderValue);
        assert_eq!(server("NoChannel"), lhttp_result::NoChannel);
        assert_eq!(server("Panic"), lhttp_result::Server);
        assert_eq!(server("Whatever"), lhttp_result::Server);
    }
}
