//! The result codes every fallible function returns, their stable names, and the
//! thread-local description of the last failure (`lhttp_last_error`).

use std::cell::RefCell;
use std::ffi::{c_char, CStr};

use lhttp_client::Error;
use lhttp_core::reply::ErrorCode;
use lhttp_core::Error as CoreError;

/// What a liblhttp call did. The numbers never change; new codes are only added at the end.
///
/// 1 to 11 are the codec's first errors in `lhttp_core::Error::ALL` order, and 33 and 34 its
/// later `Channel` and `Position`; 17 to 27 and 35 to 39 are the codes a server answers with (a
/// reply carrying a core name maps to that name's code). Every code named after a core or server error
/// carries exactly that name (`lhttp_result_str`).
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
    /// A channel name to send is empty or holds whitespace or a control character
    /// (it would be read back as no channel or as several).
    Channel = 33,
    /// A history position is not `<epoch>:<offset>`, or a `since` / `position` value names
    /// no channel (spec section 13.2).
    Position = 34,
    /// Server error: a `history` request names a channel without history.
    NoHistory = 35,
    /// Server error: the request's history headers do not fit together (a `since` for a
    /// channel it does not subscribe, or two for one channel).
    BadRequest = 36,
    /// Server error: the connection sent more messages per second than the server
    /// allows; the message was not processed.
    RateLimited = 37,
    /// Server error: a token's `exp` has passed (spec 14: a connect, refresh or subscribe
    /// with an expired token, or a subscription ended when its token expired).
    TokenExpired = 38,
    /// Server error: a presence query names a channel whose namespace keeps no presence
    /// (spec 15.2).
    NoPresence = 39,
}

/// Every code, in numeric order.
pub(crate) const ALL: [lhttp_result; 40] = {
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
        Channel,
        Position,
        NoHistory,
        BadRequest,
        RateLimited,
        TokenExpired,
        NoPresence,
    ]
};

/// The codes named after a server error (`ServerError`), in numeric order.
const SERVER_CODES: [lhttp_result; 16] = {
    use lhttp_result::*;
    [
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
        NoHistory,
        BadRequest,
        RateLimited,
        TokenExpired,
        NoPresence,
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
            Channel => c"Channel",
            Position => c"Position",
            NoHistory => c"NoHistory",
            BadRequest => c"BadRequest",
            RateLimited => c"RateLimited",
            TokenExpired => c"TokenExpired",
            NoPresence => c"NoPresence",
        }
    }

    /// The code for an error reply's `code`: a core name's code, a server name's
    /// code, or `Server` for any other name.
    fn from_server_code(code: &str) -> lhttp_result {
        match ErrorCode::from_name(code) {
            ErrorCode::Core(e) => e.into(),
            ErrorCode::Server(e) => SERVER_CODES
                .iter()
                .copied()
                .find(|r| r.name().to_bytes() == e.as_str().as_bytes())
                .unwrap_or(lhttp_result::Server),
        }
    }
}

impl From<CoreError> for lhttp_result {
    /// The code with the core error's name (`Panic` for a name this library has no
    /// code for, which the tests rule out).
    fn from(e: CoreError) -> lhttp_result {
        ALL[1..]
            .iter()
            .copied()
            .find(|r| r.name().to_bytes() == e.as_str().as_bytes())
            .unwrap_or(lhttp_result::Panic)
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
            Error::Server { code, .. } => lhttp_result::from_server_code(code),
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
    use lhttp_core::reply::ServerError;

    /// The server error names without a code of their own: the server answers them to a
    /// WebSocket upgrade (a refused handshake is `Connect`) or on HTTP paths this library
    /// never calls, so a reply naming one is `Server`. (`NotFound` is also the name of
    /// this library's own code for an absent item, which it must not be confused with.)
    const SERVER_NAMES_WITHOUT_CODE: [ServerError; 7] = [
        ServerError::OriginNotAllowed,
        ServerError::TooManyConnections,
        ServerError::ShuttingDown,
        ServerError::BadHandshake,
        ServerError::MethodNotAllowed,
        ServerError::NotFound,
        ServerError::UnknownCall,
    ];

    #[test]
    fn every_core_error_has_the_code_of_its_name() {
        for e in CoreError::ALL {
            let r = lhttp_result::from(e);
            assert_ne!(r, lhttp_result::Panic, "core error {} has no lhttp_result", e.as_str());
            assert_eq!(name(r), e.as_str());
        }
        // The first eleven keep their numbers; later ones were added at the end.
        for (i, e) in CoreError::ALL[..11].iter().enumerate() {
            assert_eq!(lhttp_result::from(*e) as usize, i + 1);
        }
        assert_eq!(lhttp_result::from(CoreError::Channel) as u32, 33);
        assert_eq!(lhttp_result::from(CoreError::Position) as u32, 34);
    }

    #[test]
    fn every_server_error_has_the_code_of_its_name_or_is_listed_without_one() {
        for e in ServerError::ALL {
            let listed = SERVER_CODES.iter().any(|r| name(*r) == e.as_str());
            let without = SERVER_NAMES_WITHOUT_CODE.contains(e);
            assert!(
                listed != without,
                "server error {} must have a code or be in SERVER_NAMES_WITHOUT_CODE (not both)",
                e.as_str()
            );
            let r = lhttp_result::from_server_code(e.as_str());
            if listed {
                assert_eq!(name(r), e.as_str());
            } else {
                assert_eq!(r, lhttp_result::Server, "{}", e.as_str());
            }
        }
        for r in SERVER_CODES {
            assert_ne!(
                ServerError::from_name(name(r)),
                ServerError::Unknown,
                "{} is no server name",
                name(r)
            );
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
        assert_eq!(server("Channel"), lhttp_result::Channel);
        assert_eq!(server("NoPresence"), lhttp_result::NoPresence);
        assert_eq!(lhttp_result::NoPresence as u32, 39);
        assert_eq!(server("NotFound"), lhttp_result::Server);
        assert_eq!(server("Panic"), lhttp_result::Server);
        assert_eq!(server("Whatever"), lhttp_result::Server);
    }
}
