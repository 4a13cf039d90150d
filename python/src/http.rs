//! `lhttp.publish`: one message to channels through the server's `POST /publish`
//! (the original's `Publish` tool), via [`lhttp_client::http_publish_blocking`] with
//! the GIL released.

use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use crate::input::{as_strs, body_of, channels_of, headers_of};

/// Publishes a message with `command`, `headers` and `body` to `channels` through
/// `POST {base_url}/publish`, sending `token` as a bearer token; returns the number of
/// deliveries the server reports. A refusal raises `lhttp.ServerError` (code the
/// server's error name, `Unauthorized` for 401, `Http<status>` otherwise).
#[pyfunction]
#[pyo3(signature = (base_url, channels, command="chat".to_owned(), headers=None, body=None, token=None))]
pub fn publish(
    py: Python<'_>,
    base_url: String,
    channels: &Bound<'_, PyAny>,
    command: String,
    headers: Option<&Bound<'_, PyAny>>,
    body: Option<&Bound<'_, PyAny>>,
    token: Option<String>,
) -> PyResult<u64> {
    let channels = channels_of(channels)?;
    let headers = headers_of(headers)?;
    let body = body_of(body)?;
    py.detach(|| {
        lhttp_client::http_publish_blocking(
            &base_url,
            &as_strs(&channels),
            &command,
            &headers,
            &body,
            token.as_deref(),
        )
    })
    .py_err(py)
}
