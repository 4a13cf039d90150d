//! `lhttp._lhttp.AsyncClient` and `aio_connect`: the asyncio client, the async
//! [`lhttp_client::Client`] driven on the tokio runtime of `pyo3-async-runtimes`.
//! Each request (`subscribe`, `publish`, ...) is a Rust future handed to the event
//! loop as an awaitable; no Python thread is involved.
//!
//! Receiving is split in two so that it is fast and loses nothing:
//! - [`PyAsyncClient::next_ready`], a plain call, gives the next message if one is
//!   already here, without waiting: while a burst is arriving, `async for` costs no
//!   await at all, only this call per message.
//! - [`PyAsyncClient::wait`], an awaitable, waits until a message (or the end) is
//!   here and moves it into the client's stash for `next_ready`. Cancelling it (a
//!   timeout, a cancelled task) can only happen before the message was taken or
//!   after it was stashed, so a message is never lost; several tasks may wait at
//!   once, and none misses a message another one left (every message is in the
//!   client's buffer or in the stash, which a waiter checks before it sleeps).
//!
//! `lhttp/aio.py` builds `recv()` and `async for` on the two, and `recovery()` on
//! their like for recovery notices, [`PyAsyncClient::next_recovery`] and
//! [`PyAsyncClient::wait_recovery`] (with a stash of its own).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use lhttp_client::{Client, Error, Message, Recovery};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::client::{config_of, normal_close, seconds, Options};
use crate::errors::client_error;
use crate::history::{since_of, HistoryReply, PyPosition, PyRecovery};
use crate::input::{as_strs, body_of, bytes_of, channels_of, headers_of};
use crate::message::PyMessage;
use crate::presence;
use crate::tokens::{subscription_token_callback as sub_cb, token_callback as token_cb, Runner};

/// The tokio runtime the async clients run on (that of `pyo3-async-runtimes`): one
/// worker, since every client's work is small and the event loop's thread needs the
/// other core.
pub fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(1).thread_name("lhttp-aio").enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// Connects to an lhttp server; an awaitable giving an `AsyncClient`. The options
/// are those of `lhttp.connect`.
#[pyfunction]
#[pyo3(signature = (
    url, *, timeout=10.0, reconnect=false, ping_interval=None, initial_backoff=0.5, max_backoff=20.0,
    max_attempts=None, max_buffered=10_000, origin=None, ca_pem=None, token=None, token_callback=None,
    subscription_token_callback=None,
))]
#[allow(clippy::too_many_arguments)] // the keyword options of the Python API
pub fn aio_connect<'py>(
    py: Python<'py>,
    url: String,
    timeout: f64,
    reconnect: bool,
    ping_interval: Option<f64>,
    initial_backoff: f64,
    max_backoff: f64,
    max_attempts: Option<u32>,
    max_buffered: usize,
    origin: Option<String>,
    ca_pem: Option<&Bound<'py, PyAny>>,
    token: Option<String>,
    token_callback: Option<Py<PyAny>>,
    subscription_token_callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let runner = Runner::Loop(pyo3_async_runtimes::tokio::get_current_locals(py)?);
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
    awaitable(py, async move {
        Client::connect_with(config).await.map(|client| PyAsyncClient {
            inner: Arc::new(Inner {
                client,
                stash: Mutex::new(VecDeque::new()),
                receiving: tokio::sync::Mutex::new(()),
                recoveries: Mutex::new(VecDeque::new()),
            }),
            closed: AtomicBool::new(false),
            end: OnceLock::new(),
        })
    })
}

/// What the futures share with the handle.
struct Inner {
    /// The Rust client.
    client: Client,
    /// Messages (and the error that ended the stream) taken from the client by
    /// `wait`, in order, until `next_ready` hands them out. A std lock: it is never
    /// held across an await.
    stash: Mutex<VecDeque<Result<Message, Error>>>,
    /// Held by whoever takes from the client's buffer (a `wait` across its await,
    /// `next_ready` while it takes one), so that messages reach the stash and
    /// Python in the order they came. A tokio lock because `wait` holds it while
    /// waiting.
    receiving: tokio::sync::Mutex<()>,
    /// Recovery notices taken from the client by `wait_recovery`, in order, until
    /// `next_recovery` hands them out (`None`: the client is closed). A std lock.
    recoveries: Mutex<VecDeque<Option<Recovery>>>,
}

impl Inner {
    fn stash(&self) -> MutexGuard<'_, VecDeque<Result<Message, Error>>> {
        self.stash.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn recoveries(&self) -> MutexGuard<'_, VecDeque<Option<Recovery>>> {
        self.recoveries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How the stream of messages ended.
enum End {
    /// `close()`, or a close frame with code 1000 or 1001.
    Normal,
    /// Anything else, raised by every later `next_ready`.
    Failed(Error),
}

/// The asyncio connection; `lhttp.aio.Client` wraps it.
#[pyclass(frozen, name = "AsyncClient", module = "lhttp._lhttp")]
pub struct PyAsyncClient {
    /// The client and the stash, shared with the futures running on the runtime.
    inner: Arc<Inner>,
    /// Set by `close()`, so that the ending it causes counts as normal.
    closed: AtomicBool,
    /// How the stream ended, once `next_ready` met the end.
    end: OnceLock<End>,
}

#[pymethods]
impl PyAsyncClient {
    /// The id the server gave this connection (a new one after a reconnect).
    #[getter]
    fn client_id(&self) -> Option<String> {
        self.inner.client.client_id()
    }

    /// Sends a `Message` as it is; the awaitable completes once it is written.
    fn send<'py>(&self, py: Python<'py>, message: &Bound<'py, PyMessage>) -> PyResult<Bound<'py, PyAny>> {
        let msg = message.get().inner.clone();
        let inner = self.inner.clone();
        awaitable(py, async move { inner.client.send(&msg).await })
    }

    /// Sends already-encoded bytes without checking them.
    fn send_raw<'py>(&self, py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let bytes = bytes_of(data)?;
        let inner = self.inner.clone();
        awaitable(py, async move { inner.client.send_raw(&bytes).await })
    }

    /// Subscribes to the channels; completes once the server acknowledged.
    #[pyo3(signature = (*channels))]
    fn subscribe<'py>(&self, py: Python<'py>, channels: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move { inner.client.subscribe(&as_strs(&channels)).await })
    }

    /// Unsubscribes from the channels; completes once the server acknowledged.
    #[pyo3(signature = (*channels))]
    fn unsubscribe<'py>(&self, py: Python<'py>, channels: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move { inner.client.unsubscribe(&as_strs(&channels)).await })
    }

    /// Publishes `body` to `channels`; gives the number of deliveries the server made.
    #[pyo3(signature = (channels, body=None, *, command=lhttp_client::DEFAULT_COMMAND.to_owned(), headers=None))]
    fn publish<'py>(
        &self,
        py: Python<'py>,
        channels: &Bound<'py, PyAny>,
        body: Option<&Bound<'py, PyAny>>,
        command: String,
        headers: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let channels = channels_of(channels)?;
        let headers = headers_of(headers)?;
        let body = body_of(body)?;
        let inner = self.inner.clone();
        awaitable(py, async move {
            inner
                .client
                .publish_counted(&as_strs(&channels), &command, &headers, &body)
                .await
        })
    }

    /// The last position seen of a subscribed channel with history; `None` for a
    /// channel without history or not subscribed. A plain call: nothing to wait for.
    fn position(&self, channel: &str) -> Option<PyPosition> {
        self.inner.client.position(channel).map(PyPosition::from)
    }

    /// Reads the recent publications of a channel with history; gives a `History`.
    /// The arguments are those of `lhttp.Client.history`.
    #[pyo3(signature = (channel, *, limit=None, since=None, reverse=false))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        channel: String,
        limit: Option<u32>,
        since: Option<&Bound<'py, PyAny>>,
        reverse: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let since = since_of(py, since)?;
        let inner = self.inner.clone();
        awaitable(py, async move {
            inner
                .client
                .history(&channel, limit, since.as_ref(), reverse)
                .await
                .map(HistoryReply)
        })
    }

    /// Asks who is in a channel with presence; gives a `Presence`. As
    /// `lhttp.Client.presence`.
    fn presence<'py>(&self, py: Python<'py>, channel: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move { presence::presence(&inner.client, &channel).await })
    }

    /// Asks for a channel's counts; gives a `PresenceStats`. As
    /// `lhttp.Client.presence_stats`.
    fn presence_stats<'py>(&self, py: Python<'py>, channel: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(
            py,
            async move { presence::presence_stats(&inner.client, &channel).await },
        )
    }

    /// Waits until a message or the end of the stream is here, at most `timeout`
    /// seconds (`None`: no limit); gives `True` then, `False` when the time ran out.
    /// The message is kept for `next_ready`.
    #[pyo3(signature = (timeout=None))]
    fn wait<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        if self.end.get().is_some() || !self.inner.stash().is_empty() {
            return ready(py, true);
        }
        let inner = self.inner.clone();
        awaitable(py, async move {
            Ok(match timeout {
                None => wait(&inner).await,
                Some(t) => tokio::time::timeout(t, wait(&inner)).await.is_ok(),
            })
        })
    }

    /// The next message if one is already here, without waiting: the message,
    /// `None` when none is, `False` once the stream ended normally; an error that
    /// ended it is raised, every time, and a notice met in the stream (an
    /// unreadable message, a refused restore) is raised once, the stream going on.
    fn next_ready(&self, py: Python<'_>) -> PyResult<Ready> {
        if let Some(end) = self.end.get() {
            return ended(py, end);
        }
        // The stash first (what a `wait` took from the client), then the client's
        // buffer, unless a `wait` is taking from it: what it gets comes after
        // anything here, and it will stash it. The stash stays locked meanwhile, so
        // that no `wait` stashes an older message between the two looks.
        let mut stash = self.inner.stash();
        let next = match stash.pop_front() {
            Some(item) => Some(item),
            None => match self.inner.receiving.try_lock() {
                Ok(_receiving) => self.inner.client.try_recv().transpose(),
                Err(_) => None,
            },
        };
        drop(stash);
        match next {
            None => Ok(Ready::Nothing),
            Some(Ok(inner)) => Ok(Ready::Message(PyMessage { inner })),
            Some(Err(e)) if is_notice(&e) => Err(client_error(py, e)),
            Some(Err(e)) => {
                let end = if self.closed.load(Ordering::SeqCst) || normal_close(&e) {
                    End::Normal
                } else {
                    End::Failed(e)
                };
                ended(py, self.end.get_or_init(|| end))
            }
        }
    }

    /// Waits until a recovery notice (or the end) is here, at most `timeout` seconds
    /// (`None`: no limit); gives `True` then, `False` when the time ran out. The notice
    /// is kept for `next_recovery`, so a cancelled wait loses none.
    #[pyo3(signature = (timeout=None))]
    fn wait_recovery<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        if !self.inner.recoveries().is_empty() {
            return ready(py, true);
        }
        let inner = self.inner.clone();
        let wait = async move {
            // Cancel-safe: the client's `recovery` is, and what it gave is kept at once.
            let r = inner.client.recovery().await;
            inner.recoveries().push_back(r);
        };
        awaitable(py, async move {
            Ok(match timeout {
                None => {
                    wait.await;
                    true
                }
                Some(t) => tokio::time::timeout(t, wait).await.is_ok(),
            })
        })
    }

    /// The next recovery notice if one is already here, without waiting: a
    /// `Recovery`, `None` when none is, `False` once the client is closed and every
    /// notice was read.
    fn next_recovery<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let next = match self.inner.recoveries().pop_front() {
            Some(kept) => kept.map(Some).ok_or(()),
            None => self.inner.client.try_recovery().map_err(|_| ()),
        };
        match next {
            Ok(Some(r)) => PyRecovery::from(r).into_bound_py_any(py),
            Ok(None) => Ok(py.None().into_bound(py)),
            Err(()) => {
                // The end stays for every later call.
                self.inner.recoveries().push_front(None);
                false.into_bound_py_any(py)
            }
        }
    }

    /// Closes the connection (and stops reconnecting); closing twice is fine.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.closed.store(true, Ordering::SeqCst);
        let inner = self.inner.clone();
        awaitable(py, async move { inner.client.close().await })
    }
}

/// Moves the next message (or the end) from the client into the stash, unless
/// something is stashed already. Cancel-safe: the client's `recv` is, and what it
/// gave is stashed before the next await.
async fn wait(inner: &Inner) -> bool {
    let _receiving = inner.receiving.lock().await;
    if !inner.stash().is_empty() {
        return true;
    }
    let item = inner.client.recv().await.unwrap_or_else(|| {
        Err(Error::Closed {
            code: None,
            reason: "the client is closed".to_owned(),
        })
    });
    inner.stash().push_back(item);
    true
}

/// Whether `e`, met in the stream of messages, is a notice the stream goes on
/// after: an unreadable message (a core error), a refused restore or dropped
/// messages (`RestoreRefused`, `Lagged`). The error that ends the stream is a
/// connection's (`Closed`, `Connect`, `Io`, `Timeout`).
fn is_notice(e: &Error) -> bool {
    matches!(e, Error::Protocol(_) | Error::Server { .. })
}

/// What `next_ready` says once the stream is over.
fn ended(py: Python<'_>, end: &End) -> PyResult<Ready> {
    match end {
        End::Normal => Ok(Ready::Ended),
        End::Failed(e) => Err(client_error(py, e.clone())),
    }
}

/// What `next_ready` found.
enum Ready {
    /// The next message.
    Message(PyMessage),
    /// Nothing yet (Python `None`).
    Nothing,
    /// The stream ended normally (Python `False`).
    Ended,
}

impl<'py> IntoPyObject<'py> for Ready {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Ready::Message(msg) => msg.into_bound_py_any(py),
            Ready::Nothing => Ok(py.None().into_bound(py)),
            Ready::Ended => false.into_bound_py_any(py),
        }
    }
}

/// An awaitable already done with `value`, without a trip through the runtime.
fn ready<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<Bound<'py, PyAny>> {
    let fut = pyo3_async_runtimes::get_running_loop(py)?.call_method0("create_future")?;
    fut.call_method1("set_result", (value,))?;
    Ok(fut)
}

/// An asyncio awaitable for `fut`, run on the runtime: its value, or its error
/// converted into the exception (when the event loop receives it: the conversion
/// needs the GIL, which the runtime's threads do not hold otherwise).
pub(crate) fn awaitable<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    let flight = Flight::start();
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let _flight = flight;
        Ok(Reply(fut.await))
    })
}

/// A client result on its way to Python.
struct Reply<T>(Result<T, Error>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for Reply<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(value) => value.into_bound_py_any(py),
            Err(e) => Err(client_error(py, e)),
        }
    }
}

// ---- a clean exit ----
//
// When a Rust future ends, pyo3-async-runtimes hands its result to the event loop
// from a thread of the runtime, which takes the GIL to do so. If the interpreter
// finalizes while such a thread is still inside Python (the loop already saw the
// result, the thread is finishing its call), the process crashes at exit
// (pyo3-async-runtimes issue 40: it has no shutdown hook). `settle`, which
// lhttp.aio registers with atexit, releases the GIL until those hand-overs are done.

/// Rust futures of this module not yet ended (or dropped).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// When the last one ended, in milliseconds since [`epoch`].
static LAST_ENDED: AtomicU64 = AtomicU64::new(0);

/// How long a hand-over may take after its future ended, at most.
const HAND_OVER: Duration = Duration::from_millis(20);
/// The longest `settle` waits, for futures that never end (left pending by a
/// loop that was closed without cancelling them).
const SETTLE_AT_MOST: Duration = Duration::from_millis(250);

/// The instant the times above count from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// One Rust future handed to asyncio, counted from creation until it ends.
struct Flight;

impl Flight {
    fn start() -> Flight {
        epoch();
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        Flight
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        let now = u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX);
        LAST_ENDED.store(now.max(1), Ordering::SeqCst);
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits, without the GIL, until no future is in flight and the last one ended
/// long enough ago for its result to have been handed over (at most
/// [`SETTLE_AT_MOST`]). Registered with atexit by `lhttp.aio`; returns at once in
/// a process that never awaited this module.
#[pyfunction]
pub fn settle(py: Python<'_>) {
    if LAST_ENDED.load(Ordering::SeqCst) == 0 && IN_FLIGHT.load(Ordering::SeqCst) == 0 {
        return;
    }
    py.detach(|| {
        let started = Instant::now();
        while started.elapsed() < SETTLE_AT_MOST {
            let ended = Duration::from_millis(LAST_ENDED.load(Ordering::SeqCst));
            let quiet = epoch().elapsed().saturating_sub(ended) >= HAND_OVER;
            if IN_FLIGHT.load(Ordering::SeqCst) == 0 && quiet {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
}
