//! `NativeClient`: one [`lhttp_client::Client`] connection, driven by napi's tokio
//! runtime. Every call returns a promise; failures reject with an `Error` whose
//! `code` is the client error's name. `lib/client.js` turns [`NativeClient::recv`]
//! into events and an async iterator, and [`NativeClient::recovery`] into the
//! `'recovered'` and `'unrecovered'` events.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Env, PromiseRaw, ToNapiValue};
use napi_derive::napi;

use crate::codec::{owned, MessageInit};
use crate::error::client_error_value;
use napi::bindgen_prelude::{Either, Uint8Array};

use crate::input::{body_vec, to_vec};
use crate::message::Message;
use crate::presence::{self, Presence, PresenceStats};
use crate::tokens::TokenRequests;

/// The command a published message carries when the caller names none (`chat`,
/// the same in every SDK).
pub const DEFAULT_PUBLISH_COMMAND: &str = lhttp_client::DEFAULT_COMMAND;

/// How to connect; every field is optional and every duration is in milliseconds.
/// `lib/` refuses any other field with a `TypeError`.
#[napi(object)]
pub struct ConnectOptions {
    /// Reconnect with exponential backoff after the connection drops, re-subscribing every channel. Default false.
    pub reconnect: Option<bool>,
    /// Send a WebSocket ping this often (milliseconds). Default: no pings.
    pub ping_interval_ms: Option<u32>,
    /// The longest a connection attempt may take, until the server's greeting (milliseconds). Default 10000.
    pub connect_timeout_ms: Option<u32>,
    /// The longest an awaited `subscribe` / `unsubscribe` / `publish` waits for its ack (milliseconds). Default 10000.
    pub request_timeout_ms: Option<u32>,
    /// The first wait before reconnecting, doubled after each failed attempt (milliseconds). Default 500.
    pub initial_backoff_ms: Option<u32>,
    /// The longest wait between two reconnect attempts (milliseconds). Default 20000.
    pub max_backoff_ms: Option<u32>,
    /// Stop reconnecting after this many failed attempts in a row. Default: never.
    pub max_attempts: Option<u32>,
    /// The most received messages kept until read; while that many wait unread the
    /// client stops reading the socket instead of dropping any. Default 10000.
    pub max_buffered: Option<u32>,
    /// Extra certificate authorities (PEM) to trust for `wss://`.
    pub ca_pem: Option<Either<String, Uint8Array>>,
    /// The handshake's `Origin` header, as a browser page would send it. Default: none.
    /// A server that does not allow it refuses with code `Connect` (HTTP 403 `OriginNotAllowed`).
    pub origin: Option<String>,
    /// A connection token (spec 14), sent in `connect` on every connection. Never logged.
    pub token: Option<String>,
}

/// The client configuration for `url` and the JS options.
fn config(url: String, opts: Option<ConnectOptions>) -> lhttp_client::Config {
    let mut config = lhttp_client::Config::new(url);
    let Some(opts) = opts else { return config };
    let ms = |n: u32| Duration::from_millis(u64::from(n));
    if let Some(reconnect) = opts.reconnect {
        config.reconnect = reconnect;
    }
    config.ping_interval = opts.ping_interval_ms.map(ms).or(config.ping_interval);
    if let Some(n) = opts.connect_timeout_ms {
        config.connect_timeout = ms(n);
    }
    if let Some(n) = opts.request_timeout_ms {
        config.request_timeout = ms(n);
    }
    if let Some(n) = opts.initial_backoff_ms {
        config.initial_backoff = ms(n);
    }
    if let Some(n) = opts.max_backoff_ms {
        config.max_backoff = ms(n);
    }
    config.max_attempts = opts.max_attempts.filter(|n| *n > 0);
    if let Some(n) = opts.max_buffered {
        config.max_buffered = (n as usize).max(1);
    }
    config.ca_pem = opts.ca_pem.map(to_vec);
    config.origin = opts.origin;
    config.token = opts.token.map(Into::into);
    config
}

/// Runs `fut` on the tokio runtime; resolves with `done(value)` or rejects with the
/// client error (built on the JS thread so its `code` is the error's name).
fn spawn<'env, T, V, F, D>(env: &'env Env, fut: F, done: D) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Result<T, lhttp_client::Error>> + Send + 'static,
    D: FnOnce(T) -> V + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, result| match result {
        Ok(value) => Ok(done(value)),
        Err(e) => Err(client_error_value(env, &e)),
    })
}

/// Connects to an lhttp server (`ws://` or `wss://`); resolves once the server's
/// `connected` greeting has arrived. Rejects with `code` `Connect` (a refused
/// handshake says its HTTP status and the server's reason) or `Timeout`.
#[napi(ts_return_type = "Promise<NativeClient>")]
pub fn connect<'env>(
    env: &'env Env,
    url: String,
    options: Option<ConnectOptions>,
) -> napi::Result<PromiseRaw<'env, NativeClient>> {
    let config = config(url, options);
    spawn(env, lhttp_client::Client::connect_with(config), |client| NativeClient {
        inner: Arc::new(client),
    })
}

/// `connect` with token callbacks: `tokens` carries their requests to `lib/client.js`,
/// which answers them with the application's `getToken` / `getSubscriptionToken`.
#[napi(ts_return_type = "Promise<NativeClient>")]
pub fn connect_with_tokens<'env>(
    env: &'env Env,
    url: String,
    options: Option<ConnectOptions>,
    tokens: &TokenRequests,
) -> napi::Result<PromiseRaw<'env, NativeClient>> {
    let mut config = config(url, options);
    (config.token_callback, config.subscription_token_callback) = tokens.callbacks();
    spawn(env, lhttp_client::Client::connect_with(config), |client| NativeClient {
        inner: Arc::new(client),
    })
}

/// One open connection to an lhttp server.
#[napi]
pub struct NativeClient {
    /// The Rust client, shared with the futures of calls in flight.
    inner: Arc<lhttp_client::Client>,
}

#[napi]
impl NativeClient {
    /// The connection's id from the server's `connected` greeting, or `null`.
    #[napi(getter)]
    pub fn client_id(&self) -> Option<String> {
        self.inner.client_id()
    }

    /// Sends a message; rejects with a core error name when a field is invalid.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send<'env>(&self, env: &'env Env, msg: MessageInit) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        let msg = owned(msg);
        spawn(env, async move { client.send(&msg).await }, |()| ())
    }

    /// Sends already-encoded LHTTP bytes as they are.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_raw<'env>(
        &self,
        env: &'env Env,
        bytes: Either<String, Uint8Array>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        let bytes = to_vec(bytes);
        spawn(env, async move { client.send_raw(&bytes).await }, |()| ())
    }

    /// Subscribes to channels; resolves once the server has acknowledged it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn subscribe<'env>(&self, env: &'env Env, channels: Vec<String>) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        spawn(env, async move { client.subscribe(&refs(&channels)).await }, |()| ())
    }

    /// Unsubscribes from channels; resolves once the server has acknowledged it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn unsubscribe<'env>(&self, env: &'env Env, channels: Vec<String>) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        spawn(env, async move { client.unsubscribe(&refs(&channels)).await }, |()| ())
    }

    /// Publishes `body` to channels as a message with `command` (default `chat`)
    /// and extra headers; resolves with the number of deliveries the server reported,
    /// once it has acknowledged the message.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn publish<'env>(
        &self,
        env: &'env Env,
        channels: Vec<String>,
        body: Option<Either<String, Uint8Array>>,
        command: Option<String>,
        headers: Option<Vec<(String, String)>>,
    ) -> napi::Result<PromiseRaw<'env, f64>> {
        let client = self.inner.clone();
        let body = body_vec(body);
        let command = command.unwrap_or_else(|| DEFAULT_PUBLISH_COMMAND.to_owned());
        let headers = headers.unwrap_or_default();
        spawn(
            env,
            async move {
                client
                    .publish_counted(&refs(&channels), &command, &headers, &body)
                    .await
            },
            // A delivery count is far below 2^53, where a JS number stops being exact.
            |deliveries| deliveries as f64,
        )
    }

    /// The last position seen of a subscribed channel with history (from its
    /// subscribe's ack and each publication received): where a reconnect recovers
    /// from. `null` for a channel without history or not subscribed. Throws code
    /// `Position` for an offset above `Number.MAX_SAFE_INTEGER` (no JS number holds it).
    #[napi]
    pub fn position(&self, channel: String) -> napi::Result<Option<Position>, String> {
        self.inner.position(&channel).map(Position::try_from).transpose()
    }

    /// Reads the recent publications of a channel with history (spec 13.5): at most
    /// `limit` (the server's cap without), only those after `since` (`epoch:offset`,
    /// read by core: a malformed one rejects with code `Position`), newest first when
    /// `reverse`. A channel without history rejects with code `NoHistory`.
    #[napi(ts_return_type = "Promise<NativeHistory>")]
    pub fn history<'env>(
        &self,
        env: &'env Env,
        channel: String,
        limit: Option<u32>,
        since: Option<String>,
        reverse: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, NativeHistory>> {
        let since = match since.as_deref().map(lhttp_core::Position::parse).transpose() {
            Ok(p) => p.map(lhttp_client::OwnedPosition::from),
            Err(e) => {
                let e = lhttp_client::Error::Protocol(e);
                return Err(client_error_value(env, &e));
            }
        };
        let client = self.inner.clone();
        let reverse = reverse.unwrap_or(false);
        spawn(
            env,
            async move {
                let history = client.history(&channel, limit, since.as_ref(), reverse).await?;
                // An offset no JS number holds exactly is refused like a malformed one.
                let position = Position::try_from(history.position.clone())
                    .map_err(|_| lhttp_client::Error::Protocol(lhttp_core::Error::Position))?;
                Ok(NativeHistory { history, position })
            },
            |h| h,
        )
    }

    /// Asks who is in a channel with presence (spec 15.2): resolves with `{ members,
    /// stats, capped }`, each member `{ client, uid, info }`. A channel whose namespace
    /// has no presence rejects with code `NoPresence`; one this connection may not
    /// subscribe to, `Forbidden`; a bad channel name, `Channel`.
    #[napi(ts_return_type = "Promise<Presence>")]
    pub fn presence<'env>(&self, env: &'env Env, channel: String) -> napi::Result<PromiseRaw<'env, Presence>> {
        let client = self.inner.clone();
        spawn(env, async move { presence::presence(&client, &channel).await }, |p| p)
    }

    /// Asks only for a channel's counts (spec 15.2): resolves with `{ connections,
    /// users }`. Rejects like `presence`.
    #[napi(ts_return_type = "Promise<PresenceStats>")]
    pub fn presence_stats<'env>(
        &self,
        env: &'env Env,
        channel: String,
    ) -> napi::Result<PromiseRaw<'env, PresenceStats>> {
        let client = self.inner.clone();
        spawn(
            env,
            async move { presence::presence_stats(&client, &channel).await },
            |s| s,
        )
    }

    /// The next application message, or `null` once the connection is closed for good.
    /// Rejects (and can be called again) when a received message is invalid or the connection failed.
    #[napi(ts_return_type = "Promise<Message | null>")]
    pub fn recv<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<Message>>> {
        let client = self.inner.clone();
        spawn(env, async move { client.recv().await.transpose() }, |msg| {
            msg.map(Message::from)
        })
    }

    /// The next recovery notice (after a reconnect, one per channel restored with its
    /// last position: recovered or not), or `null` once the connection is closed for good.
    #[napi(ts_return_type = "Promise<Recovery | null>")]
    pub fn recovery<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<Recovery>>> {
        let client = self.inner.clone();
        spawn(env, async move { Ok(client.recovery().await) }, |r| {
            r.map(|r| Recovery {
                channel: r.channel,
                recovered: r.recovered,
            })
        })
    }

    /// Closes the connection; pending `recv()` and `recovery()` calls resolve with `null`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        spawn(env, async move { client.close().await }, |()| ())
    }
}

/// Publishes through the server's HTTP endpoint (`POST {url}/publish`, `http://` or
/// `https://`) without a WebSocket: `body` to channels as a message with `command`
/// (default `chat`) and extra headers, `token` as `Authorization: Bearer`. Resolves
/// with the number of deliveries; rejects with the server's error name
/// (`Unauthorized`, `NoChannel`, ...), `Connect` or `Timeout`.
#[napi(ts_return_type = "Promise<number>")]
pub fn http_publish<'env>(
    env: &'env Env,
    url: String,
    channels: Vec<String>,
    body: Option<Either<String, Uint8Array>>,
    command: Option<String>,
    headers: Option<Vec<(String, String)>>,
    token: Option<String>,
) -> napi::Result<PromiseRaw<'env, f64>> {
    let body = body_vec(body);
    let command = command.unwrap_or_else(|| DEFAULT_PUBLISH_COMMAND.to_owned());
    let headers = headers.unwrap_or_default();
    spawn(
        env,
        async move { lhttp_client::http_publish(&url, &refs(&channels), &command, &headers, &body, token.as_deref()).await },
        |deliveries| deliveries as f64,
    )
}

/// A place in a channel's stream (spec 13.2). `epoch` is an opaque token (compare it
/// as a string); `offset` is a number, exact up to `Number.MAX_SAFE_INTEGER`.
#[napi(object)]
pub struct Position {
    /// The stream's epoch.
    pub epoch: String,
    /// The offset in that epoch (0: before the first publication).
    pub offset: f64,
}

/// One channel's outcome after a reconnect restored it with its last position
/// (lhttp-session's `Recovery`).
#[napi(object)]
pub struct Recovery {
    /// The channel.
    pub channel: String,
    /// Whether it got every publication it missed (`false`: none of them; an
    /// `Unrecovered` error says so too).
    pub recovered: bool,
}

/// The largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl TryFrom<lhttp_client::OwnedPosition> for Position {
    type Error = napi::Error<String>;

    fn try_from(p: lhttp_client::OwnedPosition) -> Result<Position, Self::Error> {
        if p.offset > MAX_SAFE_INTEGER {
            return Err(napi::Error::new(
                lhttp_core::Error::Position.as_str().to_owned(),
                format!("offset {} of {p} is above Number.MAX_SAFE_INTEGER", p.offset),
            ));
        }
        // Exact: at most 2^53 - 1.
        Ok(Position {
            epoch: p.epoch,
            offset: p.offset as f64,
        })
    }
}

/// What a history read answered; `lib/client.js` makes it a plain object
/// `{ channel, position, publications }`.
#[napi]
pub struct NativeHistory {
    /// The client's answer.
    history: lhttp_client::History,
    /// Its position, as JS has it.
    position: Position,
}

#[napi]
impl NativeHistory {
    /// The channel read.
    #[napi(getter)]
    pub fn channel(&self) -> String {
        self.history.channel.clone()
    }

    /// The channel's current position (its epoch tells whether a `since` of another
    /// epoch was answered with nothing).
    #[napi(getter)]
    pub fn position(&self) -> Position {
        Position {
            epoch: self.position.epoch.clone(),
            offset: self.position.offset,
        }
    }

    /// The publications, oldest first unless read `reverse`, each as it was delivered
    /// live (with its `channel`, `offset` and `epoch` headers).
    #[napi(getter)]
    pub fn publications(&self) -> Vec<Message> {
        self.history.publications.iter().cloned().map(Message::from).collect()
    }
}

/// Borrowed channel names, as the Rust client takes them.
fn refs(channels: &[String]) -> Vec<&str> {
    channels.iter().map(String::as_str).collect()
}
