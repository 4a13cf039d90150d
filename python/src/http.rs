//! `lhttp.publish` and `lhttp.aio.publish`: one message to channels through the
//! server's `POST /publish` (the original's `Publish` tool), via
//! [`lhttp_client::http_publish_blocking`] with the GIL released, or
//! [`lhttp_client::http_publish`] as an awaitable.

use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use crate::input::{as_strs, body_of, channels_of, headers_of};

/// One HTTP publish, as Python gave it.
struct Publish {
    /// The server's address, `http://host:port` (a `ws://` URL works too).
    base_url: String,
    /// Where the message goes.
    channels: Vec<String>,
    /// The message's command.
    command: String,
    /// The message's headers besides `publish`.
    headers: Vec<(String, String)>,
    /// The message's body.
    body: Vec<u8>,
    /// Sent as `Authorization: Bearer <token>`.
    token: Option<String>,
}

impl Publish {
    fn new(
        base_url: String,
        channels: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        command: String,
        headers: Option<&Bound<'_, PyAny>>,
        token: Option<String>,
    ) -> PyResult<Publish> {
        Ok(Publish {
            base_url,
            channels: channels_of(channels)?,
            command,
            headers: headers_of(headers)?,
            body: body_of(body)?,
            token,
        })
    }
}

/// Publishes `body` to `channels` through `POST {base_url}/publish` as a message
/// with `command` and `headers`, sending `token` as a bearer token; returns the
/// number of deliveries the server reports. The arguments are those of
/// `Client.publish` plus `token`. A refusal raises `lhttp.ServerError` (code the
/// server's error name, `Unauthorized` for 401, `Http<status>` otherwise).
#[pyfunction]
#[pyo3(signature = (base_url, channels, body=None, *, command=lhttp_client::DEFAULT_COMMAND.to_owned(), headers=None, token=None))]
pub fn publish(
    py: Python<'_>,
    base_url: String,
    channels: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    command: String,
    headers: Option<&Bound<'_, PyAny>>,
    token: Option<String>,
) -> PyResult<u64> {
    let p = Publish::new(base_url, channels, body, command, headers, token)?;
    py.detach(|| {
        lhttp_client::http_publish_blocking(
            &p.base_url,
            &as_strs(&p.channels),
            &p.command,
            &p.headers,
            &p.body,
            p.token.as_deref(),
        )
    })
    .py_err(py)
}

/// [`publish`] as an awaitable, for `lhttp.aio.publish`.
#[pyfunction]
#[pyo3(signature = (base_url, channels, body=None, *, command=lhttp_client::DEFAULT_COMMAND.to_owned(), headers=None, token=None))]
pub fn aio_publish<'py>(
    py: Python<'py>,
    base_url: String,
    channels: &Bound<'py, PyAny>,
    body: Option<&Bound<'py, PyAny>>,
    command: String,
    headers: Option<&Bound<'py, PyAny>>,
    token: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let p = Publish::new(base_url, channels, body, command, headers, token)?;
    crate::aio::awaitable(py, async move {
        lhttp_client::http_publish(
            &p.base_url,
            &as_strs(&p.channels),
            &p.command,
            &p.headers,
            &p.body,
            p.token.as_deref(),
        )
        .await
    })
}
