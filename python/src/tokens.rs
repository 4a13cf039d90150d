//! The token callbacks of `connect` (spec 14) as the Rust client's
//! [`TokenCallback`] and [`SubscriptionTokenCallback`]: the session decides when
//! to ask (on connect, on reconnect, before expiry); these only call Python.
//!
//! - `lhttp.connect`: a plain callable, run on a blocking thread of the client's
//!   runtime with the GIL taken there (it may block, e.g. on an HTTP request).
//! - `lhttp.aio.connect`: a coroutine function (or any callable giving an
//!   awaitable, or a str), awaited on the event loop `connect` was awaited on.
//!
//! A callback that raises, or gives something other than a str (or `None` for a
//! subscription token: the channel needs none), fails with `Io` naming the
//! exception's type and text only; the token itself is never put in an error.

use std::sync::Arc;

use lhttp_client::{Error, SubscriptionTokenCallback, TokenCallback};
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;

/// A Python failure of a token callback as the client's `Io` error.
fn failure(py: Python<'_>, e: PyErr) -> Error {
    let kind = e
        .get_type(py)
        .name()
        .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
    Error::Io(format!("the token callback raised {kind}: {}", e.value(py)))
}

fn wrong_type() -> Error {
    Error::Io("the token callback did not return a str".into())
}

/// What a callback gave: a str, or `None` where `none_ok`.
fn answer(value: &Bound<'_, PyAny>, none_ok: bool) -> Result<Option<String>, Error> {
    if none_ok && value.is_none() {
        return Ok(None);
    }
    value.extract::<String>().map(Some).map_err(|_| wrong_type())
}

/// Calls `cb(*args)` on a blocking thread, with the GIL.
async fn call_blocking(cb: Arc<Py<PyAny>>, channel: Option<String>) -> Result<Option<String>, Error> {
    let none_ok = channel.is_some();
    tokio::task::spawn_blocking(move || {
        Python::attach(|py| {
            let out = match channel {
                Some(c) => cb.bind(py).call1((c,)),
                None => cb.bind(py).call0(),
            };
            let out = out.map_err(|e| failure(py, e))?;
            answer(&out, none_ok)
        })
    })
    .await
    .map_err(|_| Error::Io("the token callback did not finish".into()))?
}

/// Calls `cb(*args)` and awaits what it gives on the event loop of `locals`.
async fn call_async(cb: Arc<Py<PyAny>>, locals: TaskLocals, channel: Option<String>) -> Result<Option<String>, Error> {
    let none_ok = channel.is_some();
    let pending = Python::attach(|py| {
        let out = match channel {
            Some(c) => cb.bind(py).call1((c,)),
            None => cb.bind(py).call0(),
        };
        let out = out.map_err(|e| failure(py, e))?;
        if out.hasattr("__await__").unwrap_or(false) {
            pyo3_async_runtimes::into_future_with_locals(&locals, out)
                .map(Err)
                .map_err(|e| failure(py, e))
        } else {
            answer(&out, none_ok).map(Ok)
        }
    })?;
    match pending {
        Ok(done) => Ok(done),
        Err(future) => {
            let result = future.await;
            Python::attach(|py| match result {
                Ok(v) => answer(v.bind(py), none_ok),
                Err(e) => Err(failure(py, e)),
            })
        }
    }
}

/// How callbacks are run: on a blocking thread (sync client) or on an event loop (aio).
#[derive(Clone)]
pub(crate) enum Runner {
    Blocking,
    Loop(TaskLocals),
}

impl Runner {
    async fn call(self, cb: Arc<Py<PyAny>>, channel: Option<String>) -> Result<Option<String>, Error> {
        match self {
            Runner::Blocking => call_blocking(cb, channel).await,
            Runner::Loop(locals) => call_async(cb, locals, channel).await,
        }
    }
}

/// `token_callback` as the Rust client's callback.
pub(crate) fn token_callback(cb: Py<PyAny>, runner: Runner) -> TokenCallback {
    let cb = Arc::new(cb);
    TokenCallback::new(move || {
        let (cb, runner) = (cb.clone(), runner.clone());
        async move { runner.call(cb, None).await?.ok_or_else(wrong_type) }
    })
}

/// `subscription_token_callback` as the Rust client's callback (given the channel).
pub(crate) fn subscription_token_callback(cb: Py<PyAny>, runner: Runner) -> SubscriptionTokenCallback {
    let cb = Arc::new(cb);
    SubscriptionTokenCallback::new(move |channel| {
        let (cb, runner) = (cb.clone(), runner.clone());
        async move { runner.call(cb, Some(channel)).await }
    })
}
