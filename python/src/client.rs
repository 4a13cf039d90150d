//! `lhttp.connect` and `lhttp.Client`: the synchronous client, a thin layer over
//! [`lhttp_client::BlockingClient`]. Every network wait runs with the GIL released
//! (`Python::detach`), and a blocking receive waits in short slices so that Ctrl-C
//! (`KeyboardInterrupt`) gets through between them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lhttp_client::{BlockingClient, Config, Error, Message, SubscriptionTokenCallback, TokenCallback};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::{client_error, timeout_error, IntoPyResult};
use crate::history::{since_of, PyHistory, PyPosition, PyRecovery};
use crate::input::{as_strs, body_of, bytes_of, channels_of, headers_of};
use crate::message::PyMessage;
use crate::presence::{self, PyPresence, PyPresenceStats};
use crate::tokens::{subscription_token_callback as sub_cb, token_callback as token_cb, Runner};

/// The longest a receive waits without the GIL before looking for signals.
const SLICE: Duration = Duration::from_millis(50);

/// Connects to an lhttp server (`ws://host:port/` or `wss://...`).
///
/// Every option is a keyword, and every time is in seconds (the Python
/// convention; the Rust session counts milliseconds). `timeout` bounds the
/// connection and each acknowledged request (`subscribe`, `unsubscribe`,
/// `publish`). With `reconnect=True` a dropped connection is re-opened with
/// exponential backoff (`initial_backoff` doubled per failed attempt, at most
/// `max_backoff` apart, giving up after `max_attempts` failures in a row when set)
/// and every subscribed channel is subscribed again. `ping_interval` sends WebSocket
/// pings; `max_buffered` is the most received messages kept unread (then the client
/// stops reading the socket); `origin` is the handshake's `Origin` header; `ca_pem`
/// adds a trusted certificate authority for `wss://`. `token` is a connection token
/// (spec 14) sent on every connection; `token_callback()` gives one instead, called on
/// connect, on each reconnect and before the token expires (then sent in `refresh`);
/// `subscription_token_callback(channel)` gives a channel's subscription token (or
/// `None`: it needs none) before it is subscribed, again on reconnect and before expiry.
#[pyfunction]
#[pyo3(signature = (
    url, *, timeout=10.0, reconnect=false, ping_interval=None, initial_backoff=0.5, max_backoff=20.0,
    max_attempts=None, max_buffered=10_000, origin=None, ca_pem=None, token=None, token_callback=None,
    subscription_token_callback=None,
))]
#[allow(clippy::too_many_arguments)] // the keyword options of the Python API
pub fn connect(
    py: Python<'_>,
    url: String,
    timeout: f64,
    reconnect: bool,
    ping_interval: Option<f64>,
    initial_backoff: f64,
    max_backoff: f64,
    max_attempts: Option<u32>,
    max_buffered: usize,
    origin: Option<String>,
    ca_pem: Option<&Bound<'_, PyAny>>,
    token: Option<String>,
    token_callback: Option<Py<PyAny>>,
    subscription_token_callback: Option<Py<PyAny>>,
) -> PyResult<PyClient> {
    let runner = Runner::Blocking;
    let config = config_of(Options {
        url,
        timeout,
        reconnect,
        ping_interval,
        initial_backoff,
        max_backoff,
        max_attempts,
        max_buffered,
        origin,
        ca_pem: ca_pem.filter(|c| !c.is_none()).map(bytes_of).transpose()?,
        token,
        token_callback: token_callback.map(|cb| token_cb(cb, runner.clone())),
        subscription_token_callback: subscription_token_callback.map(|cb| sub_cb(cb, runner)),
    })?;
    let inner = py.detach(|| BlockingClient::connect_with(config)).py_err(py)?;
    Ok(PyClient {
        inner,
        closed: AtomicBool::new(false),
        ended: AtomicBool::new(false),
    })
}

/// The options of `connect` (and `lhttp.aio.connect`), as Python gave them.
pub(crate) struct Options {
    /// The server's WebSocket URL.
    pub url: String,
    /// Seconds, for the connection and for each acknowledged request.
    pub timeout: f64,
    /// Re-open a dropped connection and subscribe again.
    pub reconnect: bool,
    /// Seconds between pings, `None` for none.
    pub ping_interval: Option<f64>,
    /// Seconds, the first wait before reconnecting.
    pub initial_backoff: f64,
    /// Seconds, the longest wait between reconnect attempts.
    pub max_backoff: f64,
    /// Failed reconnect attempts in a row before giving up; `None`: never.
    pub max_attempts: Option<u32>,
    /// The most received messages kept unread.
    pub max_buffered: usize,
    /// The handshake's `Origin` header.
    pub origin: Option<String>,
    /// Extra trusted certificate authorities (PEM) for `wss://`.
    pub ca_pem: Option<Vec<u8>>,
    /// A connection token (spec 14), sent in `connect` on every connection.
    pub token: Option<String>,
    /// Gets connection tokens (on connect, on reconnect, before expiry).
    pub token_callback: Option<TokenCallback>,
    /// Gets a channel's subscription token before it is subscribed.
    pub subscription_token_callback: Option<SubscriptionTokenCallback>,
}

/// The Rust client's configuration for `options`; a `ValueError` for a time that is
/// negative, infinite or NaN, or a `max_buffered` of 0.
pub(crate) fn config_of(options: Options) -> PyResult<Config> {
    if options.max_buffered == 0 {
        return Err(PyValueError::new_err("max_buffered must be at least 1"));
    }
    let mut config = Config::new(options.url);
    config.connect_timeout = seconds("timeout", options.timeout)?;
    config.request_timeout = config.connect_timeout;
    config.reconnect = options.reconnect;
    config.ping_interval = options.ping_interval.map(|s| seconds("ping_interval", s)).transpose()?;
    config.initial_backoff = seconds("initial_backoff", options.initial_backoff)?;
    config.max_backoff = seconds("max_backoff", options.max_backoff)?;
    config.max_attempts = options.max_attempts;
    config.max_buffered = options.max_buffered;
    config.origin = options.origin;
    config.ca_pem = options.ca_pem;
    config.token = options.token.map(Into::into);
    config.token_callback = options.token_callback;
    config.subscription_token_callback = options.subscription_token_callback;
    Ok(config)
}

/// A connection to an lhttp server. Use it as a context manager; iterate over it
/// to receive messages until the connection closes.
#[pyclass(frozen, name = "Client", module = "lhttp")]
pub struct PyClient {
    /// The Rust client; its methods may be called from several threads at once.
    inner: BlockingClient,
    /// Set by `close()`, so that iteration then ends quietly.
    closed: AtomicBool,
    /// Set when iteration ended, so that it stays ended.
    ended: AtomicBool,
}

#[pymethods]
impl PyClient {
    /// The id the server gave this connection (a new one after a reconnect).
    #[getter]
    fn client_id(&self) -> Option<String> {
        self.inner.client_id()
    }

    /// Sends a `Message` as it is; returns once it is written.
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyMessage>) -> PyResult<()> {
        let msg = &message.get().inner;
        py.detach(|| self.inner.send(msg)).py_err(py)
    }

    /// Sends already-encoded bytes without checking them (for tests and proxies).
    fn send_raw(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = bytes_of(data)?;
        py.detach(|| self.inner.send_raw(&bytes)).py_err(py)
    }

    /// Subscribes to the channels; returns once the server acknowledged.
    #[pyo3(signature = (*channels))]
    fn subscribe(&self, py: Python<'_>, channels: Vec<String>) -> PyResult<()> {
        py.detach(|| self.inner.subscribe(&as_strs(&channels))).py_err(py)
    }

    /// Unsubscribes from the channels; returns once the server acknowledged.
    #[pyo3(signature = (*channels))]
    fn unsubscribe(&self, py: Python<'_>, channels: Vec<String>) -> PyResult<()> {
        py.detach(|| self.inner.unsubscribe(&as_strs(&channels))).py_err(py)
    }

    /// Publishes `body` to `channels` (a str or an iterable of str) as a message with
    /// `command` and `headers`; returns the number of deliveries the server made.
    #[pyo3(signature = (channels, body=None, *, command=lhttp_client::DEFAULT_COMMAND.to_owned(), headers=None))]
    fn publish(
        &self,
        py: Python<'_>,
        channels: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        command: String,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let channels = channels_of(channels)?;
        let headers = headers_of(headers)?;
        let body = body_of(body)?;
        py.detach(|| {
            self.inner
                .publish_counted(&as_strs(&channels), &command, &headers, &body)
        })
        .py_err(py)
    }

    /// The last position seen of a subscribed channel with history (from its
    /// subscribe's ack and each publication received): where a reconnect recovers
    /// from. `None` for a channel without history or not subscribed.
    fn position(&self, channel: &str) -> Option<PyPosition> {
        self.inner.position(channel).map(PyPosition::from)
    }

    /// Reads the recent publications of a channel with history (spec 13.5): at most
    /// `limit` (the server's cap when `None`), only those after `since` (a `Position`
    /// or its `epoch:offset` str), newest first when `reverse`. Returns a `History`;
    /// a channel without history raises `ServerError` with code `NoHistory`.
    #[pyo3(signature = (channel, *, limit=None, since=None, reverse=false))]
    fn history(
        &self,
        py: Python<'_>,
        channel: &str,
        limit: Option<u32>,
        since: Option<&Bound<'_, PyAny>>,
        reverse: bool,
    ) -> PyResult<PyHistory> {
        let since = since_of(py, since)?;
        let history = py
            .detach(|| self.inner.history(channel, limit, since.as_ref(), reverse))
            .py_err(py)?;
        PyHistory::new(py, history)
    }

    /// Asks who is in a channel with presence (spec 15.2): a `Presence` with the
    /// `members` (each a `Member` with `client`, `uid` and `info`), the complete
    /// `stats` and `capped`. A channel whose namespace has no presence raises
    /// `ServerError` with code `NoPresence`; one this connection may not subscribe to,
    /// `Forbidden`.
    fn presence(&self, py: Python<'_>, channel: &str) -> PyResult<PyPresence> {
        py.detach(|| block_on(presence::presence(self.inner.client(), channel)))
            .py_err(py)
    }

    /// Asks only for a channel's counts (spec 15.2): a `PresenceStats` with
    /// `connections` and `users`. Raises like `presence`.
    fn presence_stats(&self, py: Python<'_>, channel: &str) -> PyResult<PyPresenceStats> {
        py.detach(|| block_on(presence::presence_stats(self.inner.client(), channel)))
            .py_err(py)
    }

    /// The next message. Waits at most `timeout` seconds (`None`: no limit), then
    /// raises `lhttp.TimeoutError`; raises `lhttp.ClosedError` once the connection is over.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<PyMessage> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        match self.wait(py, timeout)? {
            Some(Ok(inner)) => Ok(PyMessage { inner }),
            Some(Err(e)) => Err(client_error(py, e)),
            None => Err(timeout_error(py, "a message")),
        }
    }

    /// The next message if one has already arrived, else `None`; never waits.
    fn try_recv(&self, py: Python<'_>) -> PyResult<Option<PyMessage>> {
        Ok(self.inner.try_recv().py_err(py)?.map(|inner| PyMessage { inner }))
    }

    /// The next recovery notice: after a reconnect, one `Recovery` per channel with
    /// history restored from its last position. Waits at most `timeout` seconds
    /// (`None`: no limit), then raises `lhttp.TimeoutError`; raises `lhttp.ClosedError`
    /// once the connection is over and every notice was read.
    #[pyo3(signature = (timeout=None))]
    fn recovery(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<PyRecovery> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
                None => SLICE,
            };
            if let Some(r) = py.detach(|| self.inner.recovery_timeout(Some(slice))).py_err(py)? {
                return Ok(r.into());
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(timeout_error(py, "a recovery notice"));
            }
        }
    }

    /// The next recovery notice if one is here, else `None`; never waits.
    fn try_recovery(&self, py: Python<'_>) -> PyResult<Option<PyRecovery>> {
        Ok(self.inner.try_recovery().py_err(py)?.map(PyRecovery::from))
    }

    /// Closes the connection (and stops reconnecting). Closing twice is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.closed.store(true, Ordering::SeqCst);
        py.detach(|| self.inner.close()).py_err(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message; iteration ends when the connection was closed normally
    /// (by `close()` or a close frame with code 1000 or 1001). Other endings raise.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyMessage>> {
        if self.ended.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match self.wait(py, None)? {
            Some(Ok(inner)) => Ok(Some(PyMessage { inner })),
            Some(Err(e)) if self.closed.load(Ordering::SeqCst) || normal_close(&e) => {
                self.ended.store(true, Ordering::SeqCst);
                Ok(None)
            }
            Some(Err(e)) => Err(client_error(py, e)),
            None => Err(timeout_error(py, "a message")),
        }
    }
}

impl PyClient {
    /// Waits for the next message or error from the client, at most `timeout`
    /// (`Ok(None)` when it ran out), in slices with the GIL released, checking for
    /// signals (Ctrl-C) between slices.
    fn wait(&self, py: Python<'_>, timeout: Option<Duration>) -> PyResult<Option<Result<Message, Error>>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
                None => SLICE,
            };
            match py.detach(|| self.inner.recv_timeout(Some(slice))) {
                Ok(Some(msg)) => return Ok(Some(Ok(msg))),
                Ok(None) => {}
                Err(e) => return Ok(Some(Err(e))),
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
        }
    }
}

/// Waits for a future of the async client underneath (one that only waits on the
/// client's own task, as its requests do) on this thread.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    pyo3_async_runtimes::tokio::get_runtime().block_on(fut)
}

/// Whether `e` is the end of a connection closed on purpose by the server.
pub(crate) fn normal_close(e: &Error) -> bool {
    matches!(
        e,
        Error::Closed {
            code: Some(1000 | 1001),
            ..
        }
    )
}

/// A duration from a number of seconds, refusing negative, infinite and NaN values.
pub(crate) fn seconds(what: &str, s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| PyValueError::new_err(format!("{what} must be a number of seconds >= 0, not {s}")))
}
