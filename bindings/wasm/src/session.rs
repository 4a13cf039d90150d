//! The `Session` class: `lhttp-session`'s sans-IO client session for JavaScript.
//! A driver (js-sdk's `Lhttp`) feeds it what its WebSocket and clock did and
//! carries out what it asks; every decision (request ids, subscriptions and
//! their restore, backoff, close codes, reply parsing, the message buffer) is
//! the session's. Times are milliseconds as JS numbers from any fixed origin
//! (`performance.now()`), never going backwards.
//!
//! Transmits and events are plain objects shaped like the session vectors
//! (`spec/vectors/session/`) with camelCase fields; errors are `Error`s whose
//! `code` is the session error's stable name.

use js_sys::{Array, Object, Reflect};
use lhttp_core::OwnedMessage;
use lhttp_session::{Config, Error, Event, History, Limits, RequestId, State, Transmit};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::type_error;
use crate::message::Message;
use crate::position;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** `new Session(config)`: every key optional, times in milliseconds; an unknown key throws a TypeError. */
export interface SessionConfig {
  reconnect?: boolean; requestTimeout?: number; connectTimeout?: number; pingInterval?: number | null;
  backoffInitial?: number; backoffMax?: number; maxAttempts?: number | null; maxBuffered?: number; seed?: number;
  /** A connection token sent in `connect` (spec 14). */
  token?: string | null;
  /** The driver answers `token_needed` with `setToken` / `tokenFailed`. */
  tokenCallback?: boolean;
  /** The driver answers `subscription_token_needed` with `setSubscriptionToken` / `subscriptionTokenFailed`. */
  subscriptionTokenCallback?: boolean;
}
/** Why a token callback failed: `Io` with a reason (never the token). */
export interface TokenError { name: 'Io'; reason?: string }
/** A session error: `code` is the stable name (`Timeout`, `Closed`, `Connect`, `Io`, a core or server name). */
export interface SessionError extends Error {
  code: string; detail: string; command?: string; id?: string; status?: number; reason?: string; closeCode?: number;
}
/** What a `connectFailed` call reports: `Connect` (with the HTTP status of a refused handshake, when known) or `Io`. */
export interface ConnectError { name: 'Connect' | 'Io'; status?: number | null; reason?: string }
/** The limits a server announced in `connected` (`null`: not announced). */
export interface SessionLimits {
  maxChannels: number | null; maxSubscriptions: number | null; maxMessageSize: number | null; maxHeaders: number | null;
}
/** A place in a channel's stream, read and written by core: compare epochs as strings; `offset` exact to 2^53 - 1. */
export interface SessionPosition { epoch: string; offset: number }
/** Something the driver must do on the socket. `text` is set when `data` is UTF-8 (send a text frame). */
export type Transmit =
  | { type: 'connect' }
  | { type: 'frame'; data: Uint8Array; text?: string }
  | { type: 'ping' }
  | { type: 'close'; code: number; reason: string };
/** Something the application should know; `asError` is the error every SDK shows for a failure nobody waits for. */
export type SessionEvent =
  | { type: 'opened'; clientId: string; limits: SessionLimits }
  | { type: 'acked'; id: number; deliveries: number | null; reply: Message }
  | { type: 'failed'; id: number; error: SessionError }
  | { type: 'server_error'; error: SessionError; reply: Message; asError: SessionError }
  | { type: 'unreadable'; error: SessionError; asError: SessionError }
  | { type: 'restore_refused'; channel: string; error: SessionError; asError: SessionError }
  | { type: 'closed'; code: number | null; reason: string }
  | { type: 'connect_failed'; error: SessionError }
  | { type: 'reconnecting'; attempt: number; delay: number }
  | { type: 'gave_up'; error: SessionError; asError: SessionError }
  | { type: 'lagged'; dropped: number; asError: SessionError }
  | { type: 'recovered'; channel: string }
  | { type: 'unrecovered'; channel: string }
  | { type: 'token_needed' }
  | { type: 'subscription_token_needed'; channel: string }
  | { type: 'refresh_failed'; error: SessionError; asError?: SessionError }
  | { type: 'unsubscribed'; channel: string; error: SessionError; asError?: SessionError };
/** A history request's answer (`readHistory`): publications oldest first unless asked reverse. */
export interface HistoryAnswer { channel: string; position: SessionPosition; publications: Message[] }
/** Where a session is in its life. */
export type SessionState = 'idle' | 'connecting' | 'handshaking' | 'restoring' | 'open' | 'waiting' | 'ended';
"#;

/// A sans-IO lhttp client session (see `lhttp-session`).
#[wasm_bindgen]
pub struct Session {
    inner: lhttp_session::Session,
}

#[wasm_bindgen]
impl Session {
    /// A session that has not started; calls made now are queued until it is open.
    /// Throws a `TypeError` naming an unknown or mistyped key.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "SessionConfig")] config: &JsValue,
    ) -> Result<Session, JsValue> {
        Ok(Session {
            inner: lhttp_session::Session::new(config_from_js(config)?),
        })
    }

    /// Starts connecting: a `connect` transmit follows.
    pub fn start(&mut self, now: f64) {
        self.inner.start(ms(now));
    }

    /// The socket asked for by the `connect` transmit is open.
    #[wasm_bindgen(js_name = socketOpened)]
    pub fn socket_opened(&mut self, now: f64) {
        self.inner.socket_opened(ms(now));
    }

    /// The connection attempt failed: `{ name: 'Connect', status?, reason }` or `{ name: 'Io', reason }`.
    #[wasm_bindgen(js_name = connectFailed)]
    pub fn connect_failed(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "ConnectError")] error: &JsValue,
    ) -> Result<(), JsValue> {
        let reason = string_field(error, "reason")?.unwrap_or_default();
        let error = match string_field(error, "name")?.as_deref() {
            Some("Io") => Error::Io(reason),
            Some("Connect") => Error::Connect {
                status: number_field(error, "status")?.map(|s| s as u16),
                reason,
            },
            _ => return Err(type_error("connectFailed: error.name must be 'Connect' or 'Io'")),
        };
        self.inner.connect_failed(ms(now), error);
        Ok(())
    }

    /// The answer to `token_needed`: the connection token to use.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&mut self, now: f64, token: String) {
        self.inner.set_token(ms(now), token.into());
    }

    /// The answer to `token_needed` when no token could be got: `{ name: 'Io', reason }`.
    #[wasm_bindgen(js_name = tokenFailed)]
    pub fn token_failed(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "TokenError")] error: &JsValue,
    ) -> Result<(), JsValue> {
        let error = token_error(error)?;
        self.inner.token_failed(ms(now), error);
        Ok(())
    }

    /// The answer to `subscription_token_needed`: the channel's token, or `null` when it needs none.
    #[wasm_bindgen(js_name = setSubscriptionToken)]
    pub fn set_subscription_token(&mut self, now: f64, channel: &str, token: Option<String>) {
        self.inner
            .set_subscription_token(ms(now), channel, token.map(Into::into));
    }

    /// The answer to `subscription_token_needed` when no token could be got: `{ name: 'Io', reason }`.
    #[wasm_bindgen(js_name = subscriptionTokenFailed)]
    pub fn subscription_token_failed(
        &mut self,
        now: f64,
        channel: &str,
        #[wasm_bindgen(unchecked_param_type = "TokenError")] error: &JsValue,
    ) -> Result<(), JsValue> {
        let error = token_error(error)?;
        self.inner.subscription_token_failed(ms(now), channel, error);
        Ok(())
    }

    /// A WebSocket message arrived: a string (text frame) or bytes (binary frame).
    pub fn received(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] data: &JsValue,
    ) -> Result<(), JsValue> {
        self.inner.received(ms(now), &convert::bytes(data)?);
        Ok(())
    }

    /// Any frame arrived, a pong included: the connection is alive.
    pub fn activity(&mut self, now: f64) {
        self.inner.activity(ms(now));
    }

    /// The socket closed: `code` from the close frame (`null` without one).
    #[wasm_bindgen(js_name = socketClosed)]
    pub fn socket_closed(&mut self, now: f64, code: Option<u16>, reason: Option<String>) {
        self.inner.socket_closed(ms(now), code, reason.as_deref().unwrap_or(""));
    }

    /// Time passed: timeouts, pings and reconnect delays fall due here.
    pub fn tick(&mut self, now: f64) {
        self.inner.tick(ms(now));
    }

    /// Subscribes to `channels` (names); returns the request id. Throws `Channel`
    /// for an empty name or one holding whitespace, and nothing is subscribed.
    pub fn subscribe(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string[]")] channels: &JsValue,
    ) -> Result<f64, JsValue> {
        id(with_names(channels, |names| self.inner.subscribe(ms(now), names))?)
    }

    /// Unsubscribes from `channels`; returns the request id.
    pub fn unsubscribe(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string[]")] channels: &JsValue,
    ) -> Result<f64, JsValue> {
        id(with_names(channels, |names| self.inner.unsubscribe(ms(now), names))?)
    }

    /// Publishes `body` with `command` and `headers` to `channels`; returns the request id.
    pub fn publish(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string[]")] channels: &JsValue,
        command: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Headers | null")] headers: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Body")] body: &JsValue,
    ) -> Result<f64, JsValue> {
        let headers = convert::headers(headers)?;
        let body = convert::bytes(body)?;
        id(with_names(channels, |names| {
            self.inner.publish(ms(now), names, command, &headers, &body)
        })?)
    }

    /// Sends an encoded message with the session's `id` (any `id` of its own is
    /// replaced); returns the request id.
    pub fn request(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] message: &JsValue,
    ) -> Result<f64, JsValue> {
        let msg = parse(message)?;
        id(self.inner.request(ms(now), msg))
    }

    /// Sends an encoded message without waiting for an answer (queued until open);
    /// its `subscribe` / `unsubscribe` headers update the subscription set.
    pub fn send(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] message: &JsValue,
    ) -> Result<(), JsValue> {
        let msg = parse(message)?;
        self.inner.send(ms(now), &msg).map_err(|e| error(&e))
    }

    /// Sends bytes as they are: not checked, not tracked.
    #[wasm_bindgen(js_name = sendRaw)]
    pub fn send_raw(
        &mut self,
        now: f64,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] bytes: &JsValue,
    ) -> Result<(), JsValue> {
        let bytes = convert::bytes(bytes)?;
        self.inner.send_raw(ms(now), bytes).map_err(|e| error(&e))
    }

    /// Reads `channel`'s recent publications: at most `limit`, after `since`
    /// (`{ epoch, offset }`, the offset a number or a bigint) when given, newest first
    /// when `reverse`; returns the request id, whose `acked` reply `readHistory` reads.
    /// Throws `Channel` or `Position`.
    pub fn history(
        &mut self,
        now: f64,
        channel: &str,
        limit: Option<u32>,
        #[wasm_bindgen(unchecked_optional_param_type = "SessionPosition | null")] since: Option<Object>,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean | null")] reverse: Option<bool>,
    ) -> Result<f64, JsValue> {
        let since = since.map(|p| position::from_js(&p)).transpose()?;
        let since = since.as_ref().map(|p| p.as_position());
        id(self
            .inner
            .history(ms(now), channel, limit, since, reverse.unwrap_or(false)))
    }

    /// The last position seen of a subscribed channel with history, `{ epoch, offset }`
    /// read by core, or `undefined`; a reconnect recovers from it. Throws `Position` for
    /// an offset past 2^53 - 1.
    #[wasm_bindgen(unchecked_return_type = "SessionPosition | undefined")]
    pub fn position(&self, channel: &str) -> Result<JsValue, JsValue> {
        self.inner
            .position(channel)
            .map_or(Ok(JsValue::UNDEFINED), position::to_js)
    }

    /// Closes for good (default code 1000): waiting requests fail with `Closed`.
    pub fn close(&mut self, now: f64, code: Option<u16>, reason: Option<String>) {
        self.inner
            .close(ms(now), code.unwrap_or(1000), reason.as_deref().unwrap_or(""));
    }

    /// The next thing to do on the socket, or `undefined`.
    #[wasm_bindgen(js_name = pollTransmit, unchecked_return_type = "Transmit | undefined")]
    pub fn poll_transmit(&mut self) -> JsValue {
        let Some(t) = self.inner.poll_transmit() else {
            return JsValue::UNDEFINED;
        };
        match t {
            Transmit::Connect => object(&[("type", "connect".into())]),
            Transmit::Ping => object(&[("type", "ping".into())]),
            Transmit::Close { code, reason } => object(&[
                ("type", "close".into()),
                ("code", code.into()),
                ("reason", reason.into()),
            ]),
            Transmit::Frame(bytes) => {
                let text = core::str::from_utf8(&bytes).map_or(JsValue::UNDEFINED, JsValue::from_str);
                let data = js_sys::Uint8Array::from(bytes.as_slice());
                object(&[("type", "frame".into()), ("data", data.into()), ("text", text)])
            }
        }
    }

    /// The next event for the application, or `undefined`.
    #[wasm_bindgen(js_name = pollEvent, unchecked_return_type = "SessionEvent | undefined")]
    pub fn poll_event(&mut self) -> JsValue {
        self.inner.poll_event().map_or(JsValue::UNDEFINED, event)
    }

    /// The next received application message, oldest first, or `undefined`.
    #[wasm_bindgen(js_name = pollMessage)]
    pub fn poll_message(&mut self) -> Option<Message> {
        self.inner.poll_message().map(message)
    }

    /// Asks who is subscribed to `channel` (spec 15.2); returns the request id, whose
    /// `acked` reply `readPresence` reads. Throws `Channel` for a bad name.
    pub fn presence(&mut self, now: f64, channel: &str) -> Result<f64, JsValue> {
        id(self.inner.presence(ms(now), channel))
    }

    /// Asks only for the counts of `channel`'s members (spec 15.2); returns the request
    /// id, whose `acked` reply `readPresenceStats` reads. Throws `Channel` for a bad name.
    #[wasm_bindgen(js_name = presenceStats)]
    pub fn presence_stats(&mut self, now: f64, channel: &str) -> Result<f64, JsValue> {
        id(self.inner.presence_stats(ms(now), channel))
    }

    /// How many received messages wait to be read.
    #[wasm_bindgen(getter)]
    pub fn buffered(&self) -> u32 {
        self.inner.buffered().try_into().unwrap_or(u32::MAX)
    }

    /// Whether the buffer has room (a driver that can stop reading does so while not).
    #[wasm_bindgen(js_name = wantsRead)]
    pub fn wants_read(&self) -> bool {
        self.inner.wants_read()
    }

    /// When to call `tick` next (ms), or `undefined` when nothing is timed.
    #[wasm_bindgen(js_name = nextDeadline)]
    pub fn next_deadline(&self) -> Option<f64> {
        self.inner.next_deadline().map(|t| t as f64)
    }

    /// Where the session is: `idle`, `connecting`, `handshaking`, `restoring`, `open`, `waiting` or `ended`.
    #[wasm_bindgen(getter, unchecked_return_type = "SessionState")]
    pub fn state(&self) -> String {
        match self.inner.state() {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Handshaking => "handshaking",
            State::Restoring => "restoring",
            State::Open => "open",
            State::Waiting => "waiting",
            State::Ended => "ended",
        }
        .into()
    }

    /// The channels subscribed (or being subscribed), sorted; restored after a reconnect.
    #[wasm_bindgen(getter)]
    pub fn subscriptions(&self) -> Vec<String> {
        self.inner.subscriptions().map(str::to_owned).collect()
    }

    /// The id the server gave the current (or last) connection.
    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> Option<String> {
        self.inner.client_id().map(str::to_owned)
    }

    /// The limits the server announced last.
    #[wasm_bindgen(getter, unchecked_return_type = "SessionLimits")]
    pub fn limits(&self) -> JsValue {
        limits(self.inner.limits())
    }
}

/// Reads the `acked` reply of a `history` request: `{ channel, position, publications }`,
/// the position `{ epoch, offset }`, each publication a `Message` as delivered live
/// (`channel`, `offset`, `epoch`, then its own headers). Throws with the core error's
/// `code` for a malformed answer (`Position` too for an offset past 2^53 - 1).
#[wasm_bindgen(js_name = readHistory, unchecked_return_type = "HistoryAnswer")]
pub fn read_history(reply: &Message) -> Result<JsValue, JsValue> {
    let h = History::read(reply.owned()).map_err(|e| error(&e))?;
    let publications: Array = h.publications.into_iter().map(|m| JsValue::from(message(m))).collect();
    Ok(object(&[
        ("channel", h.channel.into()),
        ("position", position::to_js(h.position.as_position())?),
        ("publications", publications.into()),
    ]))
}

/// A JS time in ms as the session's `u64` (negative and NaN are 0).
fn ms(now: f64) -> u64 {
    now as u64
}

/// The settings from a `{ camelCase: value }` object; `undefined`/`null` is the default.
fn config_from_js(value: &JsValue) -> Result<Config, JsValue> {
    let mut config = Config::default();
    if value.is_undefined() || value.is_null() {
        return Ok(config);
    }
    if !value.is_object() {
        return Err(type_error("Session: config must be an object"));
    }
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        let v = Reflect::get(value, &key)?;
        if v.is_undefined() {
            continue;
        }
        let n = || count(&v, &name);
        let optional = || if v.is_null() { Ok(None) } else { n().map(Some) };
        match name.as_str() {
            "reconnect" => config.reconnect = v.as_bool().ok_or_else(|| wrong(&name, "a boolean"))?,
            "requestTimeout" => config.request_timeout = n()?,
            "connectTimeout" => config.connect_timeout = n()?,
            "pingInterval" => config.ping_interval = optional()?,
            "backoffInitial" => config.backoff_initial = n()?,
            "backoffMax" => config.backoff_max = n()?,
            "maxAttempts" => config.max_attempts = optional()?.map(|n| n.min(u32::MAX.into()) as u32),
            "maxBuffered" => config.max_buffered = n()?.try_into().unwrap_or(usize::MAX),
            "seed" => config.seed = n()?,
            "token" if v.is_null() => config.token = None,
            "token" => config.token = Some(v.as_string().ok_or_else(|| wrong(&name, "a string"))?.into()),
            "tokenCallback" => config.token_callback = v.as_bool().ok_or_else(|| wrong(&name, "a boolean"))?,
            "subscriptionTokenCallback" => {
                config.subscription_token_callback = v.as_bool().ok_or_else(|| wrong(&name, "a boolean"))?
            }
            _ => return Err(type_error(&format!("Session: unknown config key \"{name}\""))),
        }
    }
    Ok(config)
}

/// A config value that must be a number of 0 or more (milliseconds or a count).
fn count(v: &JsValue, name: &str) -> Result<u64, JsValue> {
    match v.as_f64() {
        Some(n) if n >= 0.0 && n.is_finite() => Ok(n as u64),
        _ => Err(wrong(name, "a number of 0 or more")),
    }
}

fn wrong(name: &str, what: &str) -> JsValue {
    type_error(&format!("Session: config.{name} must be {what}"))
}

/// Runs `f` on the channel names of an array of strings.
fn with_names<T>(value: &JsValue, f: impl FnOnce(&[&str]) -> T) -> Result<T, JsValue> {
    let list = value
        .dyn_ref::<Array>()
        .ok_or_else(|| type_error("channels must be an array of strings"))?;
    let mut names = Vec::with_capacity(list.length() as usize);
    for c in list.iter() {
        names.push(
            c.as_string()
                .ok_or_else(|| type_error("each channel must be a string"))?,
        );
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(f(&names))
}

/// An encoded message, read by core; a bad one is the session's `Protocol` error.
fn parse(value: &JsValue) -> Result<OwnedMessage, JsValue> {
    OwnedMessage::parse(&convert::bytes(value)?).map_err(|e| error(&Error::Protocol(e)))
}

fn id(result: Result<RequestId, Error>) -> Result<f64, JsValue> {
    result.map(|id| id.0 as f64).map_err(|e| error(&e))
}

/// A token callback's failure, `{ name: 'Io', reason }`, as the session's `Io` error.
fn token_error(error: &JsValue) -> Result<Error, JsValue> {
    match string_field(error, "name")?.as_deref() {
        Some("Io") => Ok(Error::Io(string_field(error, "reason")?.unwrap_or_default())),
        _ => Err(type_error("a token failure's name must be 'Io'")),
    }
}

fn string_field(value: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    Ok(Reflect::get(value, &JsValue::from_str(name))?.as_string())
}

fn number_field(value: &JsValue, name: &str) -> Result<Option<f64>, JsValue> {
    Ok(Reflect::get(value, &JsValue::from_str(name))?.as_f64())
}

/// A plain object with these fields (`undefined` ones left out).
pub(crate) fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (name, value) in fields {
        if !value.is_undefined() {
            // Defining a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&obj, &JsValue::from_str(name), value);
        }
    }
    obj.into()
}

fn optional(value: Option<impl Into<JsValue>>) -> JsValue {
    value.map_or(JsValue::NULL, Into::into)
}

/// A session error as a JS `Error`: `message` is its text, `code` its stable
/// name, plus `detail` and whichever of `command`, `id`, `status`, `reason`,
/// `closeCode` it has.
pub fn error(e: &Error) -> JsValue {
    let message = e.to_string();
    let (detail, reason, number, command, id) = match e {
        Error::Server {
            detail, command, id, ..
        } => (detail.as_str(), None, None, command.as_deref(), id.as_deref()),
        Error::Connect { status, reason } => (
            message.as_str(),
            Some(reason),
            status.map(|s| ("status", s)),
            None,
            None,
        ),
        Error::Closed { code, reason } => (
            message.as_str(),
            Some(reason),
            code.map(|c| ("closeCode", c)),
            None,
            None,
        ),
        Error::Protocol(core) => (core.description(), None, None, None, None),
        Error::Timeout | Error::Io(_) => (message.as_str(), None, None, None, None),
    };
    let err: JsValue = js_sys::Error::new(&message).into();
    let set = |name: &str, value: JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&err, &JsValue::from_str(name), &value);
    };
    set("code", e.name().into());
    set("detail", detail.into());
    for (name, value) in [("reason", reason.map(String::as_str)), ("command", command), ("id", id)] {
        if let Some(v) = value {
            set(name, v.into());
        }
    }
    if let Some((name, n)) = number {
        set(name, n.into());
    }
    err
}

fn limits(l: Limits) -> JsValue {
    object(&[
        ("maxChannels", optional(l.max_channels)),
        ("maxSubscriptions", optional(l.max_subscriptions)),
        ("maxMessageSize", optional(l.max_message_size.map(|n| n as f64))),
        ("maxHeaders", optional(l.max_headers)),
    ])
}

/// A received message as the `Message` class (which wraps core's owned message).
fn message(msg: OwnedMessage) -> Message {
    Message::from(msg)
}

/// An event as a plain object; `asError` is the error every SDK shows for it
/// (`Event::as_error`), on the events that report a failure nobody waits for.
fn event(e: Event) -> JsValue {
    let as_error = e.as_error();
    let kind = |t: &str| ("type", JsValue::from_str(t));
    let obj = match e {
        Event::Opened { client_id, limits: l } => {
            object(&[kind("opened"), ("clientId", client_id.into()), ("limits", limits(l))])
        }
        Event::Acked { id, deliveries, reply } => object(&[
            kind("acked"),
            ("id", (id.0 as f64).into()),
            ("deliveries", optional(deliveries.map(|n| n as f64))),
            ("reply", message(reply).into()),
        ]),
        Event::Failed { id, error: e } => object(&[kind("failed"), ("id", (id.0 as f64).into()), ("error", error(&e))]),
        Event::ServerError { error: e, reply } => object(&[
            kind("server_error"),
            ("error", error(&e)),
            ("reply", message(reply).into()),
        ]),
        Event::Unreadable { error: e } => object(&[kind("unreadable"), ("error", error(&e))]),
        Event::RestoreRefused { channel, error: e } => object(&[
            kind("restore_refused"),
            ("channel", channel.into()),
            ("error", error(&e)),
        ]),
        Event::Closed { code, reason } => {
            object(&[kind("closed"), ("code", optional(code)), ("reason", reason.into())])
        }
        Event::ConnectFailed { error: e } => object(&[kind("connect_failed"), ("error", error(&e))]),
        Event::Reconnecting { attempt, delay } => object(&[
            kind("reconnecting"),
            ("attempt", attempt.into()),
            ("delay", (delay as f64).into()),
        ]),
        Event::GaveUp { error: e } => object(&[kind("gave_up"), ("error", error(&e))]),
        Event::Lagged { dropped } => object(&[kind("lagged"), ("dropped", (dropped as f64).into())]),
        Event::Recovered { channel } => object(&[kind("recovered"), ("channel", channel.into())]),
        Event::Unrecovered { channel } => object(&[kind("unrecovered"), ("channel", channel.into())]),
        // Tokens (spec 14): the browser driver's answers come with its token callback.
        Event::TokenNeeded => object(&[kind("token_needed")]),
        Event::SubscriptionTokenNeeded { channel } => {
            object(&[kind("subscription_token_needed"), ("channel", channel.into())])
        }
        Event::RefreshFailed { error: e } => object(&[kind("refresh_failed"), ("error", error(&e))]),
        Event::Unsubscribed { channel, error: e } => {
            object(&[kind("unsubscribed"), ("channel", channel.into()), ("error", error(&e))])
        }
    };
    if let Some(e) = as_error {
        let _ = Reflect::set(&obj, &JsValue::from_str("asError"), &error(&e));
    }
    obj
}
