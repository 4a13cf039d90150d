//! The server half of the protocol (spec/PROTOCOL.md, section 8): the reserved
//! commands, the reply header names, the server's error names, the close codes,
//! and the `connected` / `ack` / `error` replies, read and written here once so
//! the server and every SDK agree on each of them.

use crate::{encode, encoded_len, Error, Header, Message};

/// The reserved commands of the server's own messages.
pub mod commands {
    /// The first message on every connection: its client id and limits.
    pub const CONNECTED: &str = "connected";
    /// A request carrying `id` took effect.
    pub const ACK: &str = "ack";
    /// A request failed (or a background `upstream` call did).
    pub const ERROR: &str = "error";
    /// A connection subscribed to a channel with join/leave events (spec 15.3).
    pub const JOIN: &str = "join";
    /// A connection stopped being subscribed to a channel with join/leave events (spec 15.3).
    pub const LEAVE: &str = "leave";
    /// Every reserved command: clients may not send them, so they always come from the server.
    pub const ALL: [&str; 5] = [CONNECTED, ACK, ERROR, JOIN, LEAVE];
}

/// The header names of the server's replies.
pub mod headers {
    /// The request id a client chose; echoed in `ack` and `error`.
    pub const ID: &str = crate::names::ID;
    /// An `error` reply's error name.
    pub const CODE: &str = "code";
    /// An `error` reply's human text.
    pub const DETAIL: &str = "detail";
    /// The command of the request an `error` reply is about.
    pub const COMMAND: &str = "command";
    /// The connection's id in `connected`.
    pub const CLIENT_ID: &str = "client-id";
    /// How many local connections a publish was queued to, in `ack`.
    pub const DELIVERIES: &str = "deliveries";
    /// The most channels one message may name, in `connected`.
    pub const MAX_CHANNELS: &str = "max-channels";
    /// The most subscriptions one connection may hold, in `connected`.
    pub const MAX_SUBSCRIPTIONS: &str = "max-subscriptions";
    /// The largest message the server reads, in bytes, in `connected`.
    pub const MAX_MESSAGE_SIZE: &str = "max-message-size";
    /// The most headers one message may carry, in `connected`.
    pub const MAX_HEADERS: &str = "max-headers";
    /// The HTTP status of an `upstream` answer sent back to the client.
    pub const UPSTREAM_STATUS: &str = "upstream-status";
    /// The HTTP header carrying the message's command to an `upstream` backend.
    pub const LHTTP_COMMAND: &str = "lhttp-command";
    /// The HTTP header carrying the sender's client id to an `upstream` backend.
    pub const LHTTP_CLIENT_ID: &str = "lhttp-client-id";
    /// The channel an `error` reply is about (a refused channel, an ended subscription).
    pub const CHANNEL: &str = crate::names::CHANNEL;
    /// Whole seconds until the token of a `connect`, `refresh` or token-carrying
    /// `subscribe` expires, in its `ack` (spec 8.2, 14).
    pub const EXPIRES_IN: &str = "expires-in";
    /// A presence query's member count (spec 15.2), in its `ack`.
    pub const CONNECTIONS: &str = "connections";
    /// A presence query's count of distinct uids (spec 15.2), in its `ack`.
    pub const USERS: &str = "users";
    /// `true` in a presence query's `ack` when the member list was cut at the server's cap.
    pub const CAPPED: &str = "capped";
    /// The member's client id in a `join` or `leave` (spec 15.3).
    pub const CLIENT: &str = "client";
    /// The member's uid in a `join` or `leave`, when it has one.
    pub const UID: &str = "uid";
    /// Why a `leave` happened: one of [`super::leave_reasons`].
    pub const REASON: &str = "reason";
}

/// The values of a `leave`'s `reason` header (spec 15.3).
pub mod leave_reasons {
    /// The connection unsubscribed.
    pub const UNSUBSCRIBE: &str = "unsubscribe";
    /// The connection closed (after the grace, for a member with a uid).
    pub const DISCONNECT: &str = "disconnect";
    /// The member's node stopped answering (15.4).
    pub const NODE_LOST: &str = "node-lost";
}

/// Whether clients may not use `command`: the reserved ones, compared ASCII case-insensitively.
pub fn is_reserved(command: &str) -> bool {
    commands::ALL.iter().any(|r| r.eq_ignore_ascii_case(command))
}

macro_rules! server_errors {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The error names only the server uses: in `error` replies (section 8.3)
        /// and in the JSON of its HTTP answers. A name this crate does not know
        /// reads as [`ServerError::Unknown`], which clients treat as a generic failure.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ServerError {
            $($(#[$doc])* $name,)*
            /// A name this version does not know (a newer server's).
            Unknown,
        }

        impl ServerError {
            /// Every known name, in declaration order ([`ServerError::Unknown`] excluded).
            pub const ALL: &'static [ServerError] = &[$(ServerError::$name,)*];

            /// The stable name, identical to the variant's name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ServerError::$name => stringify!($name),)*
                    ServerError::Unknown => "Unknown",
                }
            }
        }
    };
}

server_errors! {
    /// The message is larger than the server's maximum message size.
    MessageTooLarge,
    /// One message names more channels than the server allows.
    TooManyChannels,
    /// The connection would hold more subscriptions than the server allows.
    TooManySubscriptions,
    /// A filter or policy refused the request.
    Forbidden,
    /// The `upstream` URL is not on the server's allow-list.
    UpstreamRefused,
    /// The upstream HTTP call failed.
    UpstreamFailed,
    /// The upstream HTTP call took longer than the server's timeout.
    UpstreamTimeout,
    /// The request used a reserved command.
    ReservedCommand,
    /// The server failed in a way that is not the client's fault.
    Internal,
    /// HTTP: a missing or wrong bearer token.
    Unauthorized,
    /// HTTP publish: the message has no `publish` header.
    NoChannel,
    /// HTTP: a WebSocket upgrade from a page of an origin that is not allowed.
    OriginNotAllowed,
    /// HTTP: the server holds its maximum number of connections.
    TooManyConnections,
    /// HTTP: the server is shutting down.
    ShuttingDown,
    /// HTTP: a WebSocket upgrade request that is not valid.
    BadHandshake,
    /// HTTP: the method is not allowed on this path.
    MethodNotAllowed,
    /// HTTP: nothing is at this path.
    NotFound,
    /// The request's history headers do not fit together (13.4: a `since` for a channel
    /// it does not subscribe, or two for one channel); in the HTTP directory API, the
    /// call's JSON arguments are missing or not valid.
    BadRequest,
    /// HTTP directory API: no call of that name.
    UnknownCall,
    /// A `history` request names a channel without history (13.5).
    NoHistory,
    /// A token's `exp` has passed (14.1); without `id` and with `channel`, a
    /// subscription ended because its token expired (14.7).
    TokenExpired,
    /// The connection sent more messages per second than the server allows (the
    /// message was not processed), or, over HTTP (429), its address opened more
    /// WebSocket connections per second than allowed (10.3).
    RateLimited,
    /// A presence query names a channel whose namespace keeps no presence (15.2).
    NoPresence,
}

impl ServerError {
    /// The error called `name`; [`ServerError::Unknown`] for any other name.
    pub fn from_name(name: &str) -> ServerError {
        ServerError::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == name)
            .unwrap_or(ServerError::Unknown)
    }
}

impl core::fmt::Display for ServerError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `code` of an `error` reply: a codec error name or a server one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// One of the codec's names (section 6), e.g. `HeaderValue`.
    Core(Error),
    /// One of the server's names, [`ServerError::Unknown`] for a name nobody knows.
    Server(ServerError),
}

impl ErrorCode {
    /// The code called `name`: a core name first, then a server name.
    pub fn from_name(name: &str) -> ErrorCode {
        match Error::from_name(name) {
            Some(e) => ErrorCode::Core(e),
            None => ErrorCode::Server(ServerError::from_name(name)),
        }
    }

    /// The stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Core(e) => e.as_str(),
            ErrorCode::Server(e) => e.as_str(),
        }
    }
}

/// The WebSocket close codes the server uses (section 9.7) and what a client does after each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    /// 1000: normal close.
    Normal,
    /// 1001: the server is shutting down, or the connection was idle too long.
    GoingAway,
    /// 1002: the client broke the WebSocket protocol (RFC 6455: reserved bits,
    /// an unknown opcode, an unmasked frame, a fragmented or oversized control frame).
    ProtocolError,
    /// 1007: a text frame that is not UTF-8.
    InvalidData,
    /// 1008: the server refuses this connection (policy), or the connection kept
    /// sending past its message rate limit.
    Policy,
    /// 1009: a frame larger than the server reads at all.
    TooBig,
    /// 1013: the client read too slowly (slow consumer).
    TryAgainLater,
    /// 4001: a newer connection with the same takeover key replaced this one.
    TakenOver,
    /// 4002: the node missed publications of a channel with history that it could not
    /// read back (13.6); reconnect and recover.
    InsufficientState,
    /// 4003: the connection token of a `connect` does not verify (14.1).
    TokenRefused,
    /// 4004: the connection token expired, at `connect` or unrefreshed past its grace (14.3).
    TokenExpired,
    /// 4005: the server requires a token and none was accepted in time (14.4).
    Unauthenticated,
}

impl CloseCode {
    /// Every code, in declaration order.
    pub const ALL: [CloseCode; 12] = [
        CloseCode::Normal,
        CloseCode::GoingAway,
        CloseCode::ProtocolError,
        CloseCode::InvalidData,
        CloseCode::Policy,
        CloseCode::TooBig,
        CloseCode::TryAgainLater,
        CloseCode::TakenOver,
        CloseCode::InsufficientState,
        CloseCode::TokenRefused,
        CloseCode::TokenExpired,
        CloseCode::Unauthenticated,
    ];

    /// The number on the wire.
    pub const fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::InvalidData => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::TryAgainLater => 1013,
            CloseCode::TakenOver => 4001,
            CloseCode::InsufficientState => 4002,
            CloseCode::TokenRefused => 4003,
            CloseCode::TokenExpired => 4004,
            CloseCode::Unauthenticated => 4005,
        }
    }

    /// The code numbered `code`, if the server uses it.
    pub fn from_code(code: u16) -> Option<CloseCode> {
        CloseCode::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// The reason text the server sends with this code.
    pub const fn reason(self) -> &'static str {
        match self {
            CloseCode::Normal => "",
            CloseCode::GoingAway => "going away",
            CloseCode::ProtocolError => "protocol error",
            CloseCode::InvalidData => "invalid frame payload data",
            CloseCode::Policy => "forbidden",
            CloseCode::TooBig => "message too big",
            CloseCode::TryAgainLater => "slow consumer",
            CloseCode::TakenOver => "taken over by a newer connection",
            CloseCode::InsufficientState => "insufficient state",
            CloseCode::TokenRefused => "token refused",
            CloseCode::TokenExpired => "token expired",
            CloseCode::Unauthenticated => "unauthenticated",
        }
    }

    /// Whether a client that reconnects automatically should do so after this code:
    /// not after 1008, 4003 or 4005 (it would be refused again) nor 4001 (it would
    /// take the key back from its replacement, and the two would fight forever).
    /// After 4004 it should only with a new token (the session's call, spec 12).
    pub const fn should_reconnect(self) -> bool {
        !matches!(
            self,
            CloseCode::Policy | CloseCode::TakenOver | CloseCode::TokenRefused | CloseCode::Unauthenticated
        )
    }
}

/// Whether a client should reconnect after a close with `code` (`None`: the
/// connection ended without a close frame). Codes the server does not use count
/// as transient.
pub fn should_reconnect(code: Option<u16>) -> bool {
    code.and_then(CloseCode::from_code)
        .is_none_or(CloseCode::should_reconnect)
}

/// The limits a server announces in `connected`, which a client must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// The most channels one message may name (all channel headers together).
    pub max_channels: Option<u32>,
    /// The most subscriptions one connection may hold.
    pub max_subscriptions: Option<u32>,
    /// The largest message the server reads, in bytes.
    pub max_message_size: Option<u64>,
    /// The most headers one message may carry: a client bounds its own headers per
    /// message by it, `since` headers above all (13.7).
    pub max_headers: Option<u32>,
}

/// `LHTTP/1.0 connected`: the connection's id and the server's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connected<'b> {
    /// The connection's cluster-unique id (absent only from a broken server).
    pub client_id: Option<&'b str>,
    /// The limits the server announced (absent from servers older than this field).
    pub limits: Limits,
}

/// `LHTTP/1.0 ack`: request `id` took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack<'b> {
    /// The request's id (absent only from a broken server).
    pub id: Option<&'b str>,
    /// For a publish, the local subscribers it was queued to.
    pub deliveries: Option<u64>,
}

/// `LHTTP/1.0 error`: a request (or its background `upstream` call) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorReply<'b> {
    /// The error name as sent; [`ErrorReply::error_code`] reads it.
    pub code: &'b str,
    /// Human text; programs branch on `code` only.
    pub detail: &'b str,
    /// The failed request's command, when the server could read it.
    pub command: Option<&'b str>,
    /// The failed request's id, when the server could read it.
    pub id: Option<&'b str>,
    /// The channel the error is about, when it is about one (14.6, 14.7).
    pub channel: Option<&'b str>,
}

impl ErrorReply<'_> {
    /// The code as a known name ([`ServerError::Unknown`] for others).
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::from_name(self.code)
    }
}

/// One of the server's own messages, read from a parsed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'b> {
    /// The greeting.
    Connected(Connected<'b>),
    /// An acknowledgement.
    Ack(Ack<'b>),
    /// An error reply.
    Error(ErrorReply<'b>),
}

impl<'b> Reply<'b> {
    /// The reply `msg` is, or `None` when its command is not a reserved one (an
    /// application message). Numbers that do not read count as absent.
    ///
    /// ```
    /// use lhttp_core::{parse, reply::Reply, EMPTY_HEADER};
    /// let mut h = [EMPTY_HEADER; 4];
    /// let msg = parse(b"LHTTP/1.0 ack\r\nid:7\r\ndeliveries:3\r\n\r\n", &mut h).unwrap();
    /// let Some(Reply::Ack(ack)) = Reply::read(&msg) else { panic!() };
    /// assert_eq!((ack.id, ack.deliveries), (Some("7"), Some(3)));
    /// ```
    pub fn read(msg: &Message<'_, 'b>) -> Option<Reply<'b>> {
        let number = |name| msg.header(name).and_then(|v| v.parse().ok());
        match msg.command {
            commands::CONNECTED => Some(Reply::Connected(Connected {
                client_id: msg.header(headers::CLIENT_ID),
                limits: Limits {
                    max_channels: number(headers::MAX_CHANNELS).and_then(|n: u64| u32::try_from(n).ok()),
                    max_subscriptions: number(headers::MAX_SUBSCRIPTIONS).and_then(|n: u64| u32::try_from(n).ok()),
                    max_message_size: number(headers::MAX_MESSAGE_SIZE),
                    max_headers: number(headers::MAX_HEADERS).and_then(|n: u64| u32::try_from(n).ok()),
                },
            })),
            commands::ACK => Some(Reply::Ack(Ack {
                id: msg.header(headers::ID),
                deliveries: number(headers::DELIVERIES),
            })),
            commands::ERROR => Some(Reply::Error(ErrorReply {
                code: msg.header(headers::CODE).unwrap_or(ServerError::Internal.as_str()),
                detail: msg.header(headers::DETAIL).unwrap_or(""),
                command: msg.header(headers::COMMAND),
                id: msg.header(headers::ID),
                channel: msg.header(headers::CHANNEL),
            })),
            _ => None,
        }
    }
}

/// Decimal digits of a number, on the stack.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn new(mut n: u64) -> Digits {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Digits { buf, start }
    }

    fn as_str(&self) -> &str {
        crate::header::ascii_str(&self.buf[self.start..])
    }
}

/// Calls `f` with the headers of the replies below, built on the stack.
fn with_headers<T>(pairs: &[Option<(&str, &str)>], f: impl FnOnce(&[Header<'_>]) -> T) -> T {
    let mut storage = [crate::EMPTY_HEADER; 6];
    let mut n = 0;
    for (name, value) in pairs.iter().flatten() {
        storage[n] = Header { name, value };
        n += 1;
    }
    f(&storage[..n])
}

macro_rules! reply_writer {
    ($ty:ident, $command:expr) => {
        impl $ty<'_> {
            /// The exact length [`encode`](Self::encode) writes.
            pub fn encoded_len(&self) -> usize {
                self.with_fields(|h| encoded_len($command, h, b""))
            }

            /// Writes this reply into `out`, returning the length written (the core's
            /// `encode` rules: nothing is written on error).
            pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
                self.with_fields(|h| encode($command, h, b"", out))
            }

            /// This reply as new bytes.
            #[cfg(feature = "alloc")]
            pub fn to_vec(&self) -> Result<alloc::vec::Vec<u8>, Error> {
                let mut out = alloc::vec![0; self.encoded_len()];
                let n = self.encode(&mut out)?;
                out.truncate(n);
                Ok(out)
            }
        }
    };
}

reply_writer!(Connected, commands::CONNECTED);
reply_writer!(Ack, commands::ACK);
reply_writer!(ErrorReply, commands::ERROR);

impl Connected<'_> {
    fn with_fields<T>(&self, f: impl FnOnce(&[Header<'_>]) -> T) -> T {
        let ch = self.limits.max_channels.map(|n| Digits::new(n.into()));
        let subs = self.limits.max_subscriptions.map(|n| Digits::new(n.into()));
        let size = self.limits.max_message_size.map(Digits::new);
        let heads = self.limits.max_headers.map(|n| Digits::new(n.into()));
        with_headers(
            &[
                self.client_id.map(|v| (headers::CLIENT_ID, v)),
                ch.as_ref().map(|d| (headers::MAX_CHANNELS, d.as_str())),
                subs.as_ref().map(|d| (headers::MAX_SUBSCRIPTIONS, d.as_str())),
                size.as_ref().map(|d| (headers::MAX_MESSAGE_SIZE, d.as_str())),
                heads.as_ref().map(|d| (headers::MAX_HEADERS, d.as_str())),
            ],
            f,
        )
    }
}

impl Ack<'_> {
    fn with_fields<T>(&self, f: impl FnOnce(&[Header<'_>]) -> T) -> T {
        let n = self.deliveries.map(Digits::new);
        with_headers(
            &[
                self.id.map(|v| (headers::ID, v)),
                n.as_ref().map(|d| (headers::DELIVERIES, d.as_str())),
            ],
            f,
        )
    }
}

impl ErrorReply<'_> {
    fn with_fields<T>(&self, f: impl FnOnce(&[Header<'_>]) -> T) -> T {
        with_headers(
            &[
                Some((headers::CODE, self.code)),
                Some((headers::DETAIL, self.detail)),
                self.command.map(|v| (headers::COMMAND, v)),
                self.id.map(|v| (headers::ID, v)),
                self.channel.map(|v| (headers::CHANNEL, v)),
            ],
            f,
        )
    }
}

/// `text` made into a header value: control characters become spaces and the
/// ends are trimmed, so any error text can travel in `detail`.
#[cfg(feature = "alloc")]
pub fn clean_value(text: &str) -> alloc::string::String {
    let cleaned: alloc::string::String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    alloc::string::String::from(cleaned.trim_matches([' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_say_whether_to_reconnect() {
        assert!(should_reconnect(None));
        assert!(should_reconnect(Some(1000)));
        assert!(should_reconnect(Some(1001)));
        assert!(should_reconnect(Some(1013)));
        assert!(
            should_reconnect(Some(1002)) && should_reconnect(Some(1007)),
            "a broken frame is not worth giving up for"
        );
        assert!(should_reconnect(Some(1006)));
        assert!(!should_reconnect(Some(1008)));
        assert!(!should_reconnect(Some(4001)));
        assert!(should_reconnect(Some(4002)));
        assert!(!should_reconnect(Some(4003)));
        assert!(should_reconnect(Some(4004)), "with a new token: the session decides");
        assert!(!should_reconnect(Some(4005)));
        for c in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(c.code()), Some(c));
        }
    }

    #[test]
    fn names_round_trip_and_unknown_is_the_catch_all() {
        for e in ServerError::ALL {
            assert_eq!(ServerError::from_name(e.as_str()), *e);
            assert!(Error::from_name(e.as_str()).is_none(), "{e} is also a core name");
        }
        assert_eq!(ServerError::from_name("SlowDown"), ServerError::Unknown);
        assert_eq!(ErrorCode::from_name("Channel"), ErrorCode::Core(Error::Channel));
        assert_eq!(ErrorCode::from_name("Forbidden").as_str(), "Forbidden");
        assert!(is_reserved("ACK") && is_reserved("connected") && !is_reserved("chat"));
        assert!(is_reserved("join") && is_reserved("Leave"));
    }

    #[test]
    fn an_error_detail_with_control_characters_is_refused_unless_cleaned() {
        let bad = ErrorReply {
            code: "Internal",
            detail: "line1\nline2",
            command: None,
            id: None,
            channel: None,
        };
        let mut out = [0u8; 128];
        assert_eq!(bad.encode(&mut out), Err(Error::HeaderValue));
        let detail = clean_value(" line1\nline2\t");
        assert_eq!(detail, "line1 line2");
    }
}
