//! `lhttp.Message`, `lhttp.Part`, `lhttp.parse` and `lhttp.channel_list`: Python
//! views of core's owned message ([`lhttp_core::OwnedMessage`], which `lhttp-client`
//! sends and receives). Parsing, encoding, multipart splitting and building, channel
//! lists and the `upstream` header are all done by `lhttp-core`; this file only converts.

use lhttp_core::owned::MAX_HEADERS;
use lhttp_core::{OwnedMessage as Message, OwnedPart as Part};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::errors::IntoPyResult;
use crate::input::{bytes_of, channels_of, headers_of};
use crate::presence::PyPresenceEvent;

/// Parses one LHTTP message (`bytes`, `bytearray`, `memoryview` or `str`).
///
/// Header storage grows as needed up to `MAX_HEADERS`; `max_headers` (0 to
/// `MAX_HEADERS`) instead gives the core exactly that much storage, so a message
/// with more headers fails with `TooManyHeaders`. Raises `lhttp.ParseError` with
/// the core's error name in `.code`.
#[pyfunction]
#[pyo3(signature = (data, max_headers=None))]
pub fn parse(py: Python<'_>, data: &Bound<'_, PyAny>, max_headers: Option<usize>) -> PyResult<PyMessage> {
    let copied;
    let bytes = match data.cast::<PyBytes>() {
        // The common case borrows the bytes without copying them first.
        Ok(b) => b.as_bytes(),
        Err(_) => {
            copied = bytes_of(data)?;
            &copied
        }
    };
    if let Some(n) = max_headers.filter(|n| *n > MAX_HEADERS) {
        return Err(PyValueError::new_err(format!(
            "max_headers must be at most {MAX_HEADERS}, not {n}"
        )));
    }
    let inner = Message::parse_with_limit(bytes, max_headers).py_err(py)?;
    Ok(PyMessage { inner })
}

/// Writes channel names as one `subscribe` / `publish` / `unsubscribe` header value,
/// joined by one space: `channel_list(["a", "b"]) == "a b"`. `channels` is one `str`
/// (one name) or an iterable of them. Raises `lhttp.ParseError` with code `Channel`
/// for an empty list or a name that is empty or holds whitespace or a control
/// character (it would be read back as no channel or as several).
#[pyfunction]
pub fn channel_list(py: Python<'_>, channels: &Bound<'_, PyAny>) -> PyResult<String> {
    lhttp_core::channel::list(&channels_of(channels)?).py_err(py)
}

/// An LHTTP message: a command, headers in order (duplicates kept) and a body.
#[pyclass(frozen, eq, name = "Message", module = "lhttp")]
#[derive(Debug, Clone, PartialEq)]
pub struct PyMessage {
    /// The owned message every method reads.
    pub(crate) inner: Message,
}

#[pymethods]
impl PyMessage {
    /// A message to send: `Message("chat", [("publish", "room")], b"hi")`. Fields are
    /// checked when the message is encoded (or sent).
    #[new]
    #[pyo3(signature = (command, headers=None, body=None))]
    fn new(command: String, headers: Option<&Bound<'_, PyAny>>, body: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut msg = Message::new(command);
        for (name, value) in headers_of(headers)? {
            msg = msg.with_header(name, value);
        }
        if let Some(body) = body.filter(|b| !b.is_none()) {
            msg = msg.with_body(bytes_of(body)?);
        }
        Ok(PyMessage { inner: msg })
    }

    /// Builds a multipart message through the core's `encode_multipart`: `headers`
    /// first, then the computed `multipart` header, then each part. `parts` holds
    /// `Part`s or `(headers, body)` pairs.
    #[staticmethod]
    #[pyo3(signature = (command, parts, headers=None))]
    fn multipart(
        py: Python<'_>,
        command: &str,
        parts: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut fields = Vec::new();
        for item in parts.try_iter()? {
            let item = item?;
            if let Ok(part) = item.cast::<PyPart>() {
                let p = &part.get().inner;
                fields.push((p.headers.clone(), p.body.clone()));
            } else {
                let pair = item
                    .cast::<PyTuple>()
                    .ok()
                    .filter(|t| t.len() == 2)
                    .ok_or_else(|| PyTypeError::new_err("each part must be a Part or a (headers, body) pair"))?;
                fields.push((headers_of(Some(&pair.get_item(0)?))?, bytes_of(&pair.get_item(1)?)?));
            }
        }
        let inner = Message::multipart(command, &headers_of(headers)?, &fields).py_err(py)?;
        Ok(PyMessage { inner })
    }

    /// The command of the start line, e.g. `"chat"`.
    #[getter]
    fn command(&self) -> &str {
        self.inner.command()
    }

    /// The headers in order as a new list of `(name, value)` pairs, names as sent.
    #[getter]
    fn headers(&self) -> Vec<(&str, &str)> {
        pairs(self.inner.headers())
    }

    /// The body bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.body())
    }

    /// The body decoded as UTF-8; raises `UnicodeDecodeError` when it is not.
    #[getter]
    fn text<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        text_of(py, self.inner.body())
    }

    /// The value of the first header called `name` (ASCII case-insensitive), else `default`.
    #[pyo3(signature = (name, default=None))]
    fn header<'py>(&self, py: Python<'py>, name: &str, default: Option<Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
        or_default(py, self.inner.header(name), default)
    }

    /// The values of every header called `name`, in order.
    fn header_values(&self, name: &str) -> Vec<&str> {
        self.inner.header_values(name)
    }

    /// The channels listed in every header called `name` (e.g. `"publish"`), split on
    /// spaces and tabs, in order.
    fn channels(&self, name: &str) -> Vec<String> {
        self.inner.channels(name)
    }

    /// The `upstream` header as `(method, url)`, or `None` without one; raises
    /// `ParseError` (code `Upstream`) when it is not `<METHOD> <URL>`.
    #[getter]
    fn upstream(&self, py: Python<'_>) -> PyResult<Option<(String, String)>> {
        self.inner.upstream().transpose().py_err(py)
    }

    /// The parts of a multipart body (empty without a `multipart` header); raises
    /// `ParseError` (`PartOffset`, `Part`, ...) when the offsets or a part are invalid.
    #[getter]
    fn parts(&self, py: Python<'_>) -> PyResult<Vec<PyPart>> {
        let parts = self.inner.parts().py_err(py)?;
        Ok(parts.into_iter().map(|inner| PyPart { inner }).collect())
    }

    /// The presence event this received message is (spec 15.3): a `PresenceEvent`
    /// for a `join` or `leave`, `None` for any other message (a publication, a reply).
    /// Read by the session; a `join` / `leave` without `channel` or `client`, or whose
    /// body is not a JSON object of strings, raises `ServerError` with code `Internal`.
    fn presence_event(&self, py: Python<'_>) -> PyResult<Option<PyPresenceEvent>> {
        let event = lhttp_session::PresenceEvent::read(&self.inner).transpose().py_err(py)?;
        Ok(event.map(PyPresenceEvent::from))
    }

    /// The encoded message; raises `ParseError` for a field the format cannot carry.
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.encode().py_err(py)?))
    }

    /// Same as `encode()`.
    fn __bytes__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.encode(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Message({}, headers={}, body={})",
            PyString::new(py, self.inner.command()).repr()?,
            self.headers().into_pyobject(py)?.repr()?,
            self.body(py).repr()?,
        ))
    }
}

/// One part of a multipart message, with its place in the message body.
#[pyclass(frozen, eq, name = "Part", module = "lhttp")]
#[derive(Debug, Clone, PartialEq)]
pub struct PyPart {
    /// The owned part every method reads.
    pub(crate) inner: Part,
}

#[pymethods]
impl PyPart {
    /// Where the part starts in the message body.
    #[getter]
    fn start(&self) -> usize {
        self.inner.start
    }

    /// The part's length in the message body (headers, blank line and body).
    #[getter]
    fn len(&self) -> usize {
        self.inner.len
    }

    /// Where the part's own body starts in the message body.
    #[getter]
    fn body_start(&self) -> usize {
        self.inner.body_start
    }

    /// The part's headers in order, as `(name, value)` pairs.
    #[getter]
    fn headers(&self) -> Vec<(&str, &str)> {
        pairs(&self.inner.headers)
    }

    /// The part's body bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.body)
    }

    /// The part's body decoded as UTF-8; raises `UnicodeDecodeError` when it is not.
    #[getter]
    fn text<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        text_of(py, &self.inner.body)
    }

    /// The value of the part's first header called `name` (ASCII case-insensitive), else `default`.
    #[pyo3(signature = (name, default=None))]
    fn header<'py>(&self, py: Python<'py>, name: &str, default: Option<Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
        or_default(py, self.inner.header(name), default)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Part(start={}, len={}, headers={}, body={})",
            self.inner.start,
            self.inner.len,
            self.headers().into_pyobject(py)?.repr()?,
            self.body(py).repr()?,
        ))
    }
}

fn pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// `bytes.decode("utf-8")`, so invalid UTF-8 raises Python's own `UnicodeDecodeError`.
fn text_of<'py>(py: Python<'py>, body: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    match std::str::from_utf8(body) {
        Ok(text) => Ok(PyString::new(py, text).into_any()),
        Err(_) => PyBytes::new(py, body).call_method1("decode", ("utf-8",)),
    }
}

fn or_default<'py>(py: Python<'py>, found: Option<&str>, default: Option<Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
    match found {
        Some(v) => PyString::new(py, v).into_any(),
        None => default.unwrap_or_else(|| py.None().into_bound(py)),
    }
}
