//! `lhttp.Position`, `lhttp.History` and `lhttp.Recovery`: Python views of a channel
//! position, of the answer to a history read and of a channel's recovery after a
//! reconnect (spec section 13). Positions are read and written by
//! `lhttp-core` (`Position::parse` and its `Display`); the reads themselves are the
//! Rust client's. This file only converts.

use lhttp_client::{History, OwnedPosition, Recovery};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::errors::IntoPyResult;
use crate::message::PyMessage;

/// A place in a channel's stream: `epoch` (an opaque token: compare it as a string)
/// and `offset` (an int). `str()` gives `epoch:offset`, which `Position.parse` reads
/// back. Equal positions compare equal and hash alike.
#[pyclass(frozen, eq, hash, name = "Position", module = "lhttp")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyPosition {
    /// The core's owned position.
    pub inner: OwnedPosition,
}

#[pymethods]
impl PyPosition {
    /// A position from its epoch and offset; `lhttp.ParseError` (code `Position`)
    /// for an epoch that is not 1 to 32 of `A-Z a-z 0-9 - _`.
    #[new]
    fn new(py: Python<'_>, epoch: String, offset: u64) -> PyResult<PyPosition> {
        lhttp_core::Position::new(&epoch, offset).py_err(py)?;
        Ok(PyPosition {
            inner: OwnedPosition { epoch, offset },
        })
    }

    /// Reads `epoch:offset`; `lhttp.ParseError` (code `Position`) when malformed.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &str) -> PyResult<PyPosition> {
        let p = lhttp_core::Position::parse(text).py_err(py)?;
        Ok(PyPosition { inner: p.into() })
    }

    /// The stream's epoch.
    #[getter]
    fn epoch(&self) -> &str {
        &self.inner.epoch
    }

    /// The offset in that epoch (0: before the first publication).
    #[getter]
    fn offset(&self) -> u64 {
        self.inner.offset
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("Position({:?}, {})", self.inner.epoch, self.inner.offset)
    }
}

impl From<OwnedPosition> for PyPosition {
    fn from(inner: OwnedPosition) -> PyPosition {
        PyPosition { inner }
    }
}

/// One channel's outcome after a reconnect restored it from its last position:
/// `recovered` is `True` once every publication it missed was received (before this
/// notice), `False` when none of them could be (then `recv()` raises `ServerError`
/// with code `Unrecovered` too). Equal notices compare equal.
#[pyclass(frozen, eq, name = "Recovery", module = "lhttp")]
#[derive(Clone, PartialEq, Eq)]
pub struct PyRecovery {
    /// The channel.
    #[pyo3(get)]
    channel: String,
    /// Whether it got every publication it missed.
    #[pyo3(get)]
    recovered: bool,
}

#[pymethods]
impl PyRecovery {
    fn __repr__(&self) -> String {
        format!(
            "Recovery(channel={:?}, recovered={})",
            self.channel,
            if self.recovered { "True" } else { "False" }
        )
    }
}

impl From<Recovery> for PyRecovery {
    fn from(r: Recovery) -> PyRecovery {
        PyRecovery {
            channel: r.channel,
            recovered: r.recovered,
        }
    }
}

/// What a history read answered: the channel, its current `position` (its epoch
/// tells whether a `since` of another epoch was answered with nothing) and the
/// `publications`, each a `Message` as it was delivered live (with its `channel`,
/// `offset` and `epoch` headers), oldest first unless read with `reverse=True`.
#[pyclass(frozen, name = "History", module = "lhttp")]
pub struct PyHistory {
    /// The channel read.
    #[pyo3(get)]
    channel: String,
    /// The channel's current position.
    #[pyo3(get)]
    position: PyPosition,
    /// The publications, as a Python list made once.
    publications: Py<PyList>,
}

#[pymethods]
impl PyHistory {
    /// The publications (a new list each time, of the same messages).
    #[getter]
    fn publications<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.publications.bind(py).iter())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "History(channel={:?}, position={}, publications=<{} messages>)",
            self.channel,
            self.position.inner,
            self.publications.bind(py).len()
        )
    }
}

impl PyHistory {
    /// The Python object for the client's answer.
    pub fn new(py: Python<'_>, history: History) -> PyResult<PyHistory> {
        let messages = history.publications.into_iter().map(|inner| PyMessage { inner });
        Ok(PyHistory {
            channel: history.channel,
            position: history.position.into(),
            publications: PyList::new(py, messages)?.unbind(),
        })
    }
}

/// A history answer on its way to Python from a thread without the GIL (the asyncio
/// client's futures): made a `History` when the event loop receives it.
pub struct HistoryReply(pub History);

impl<'py> IntoPyObject<'py> for HistoryReply {
    type Target = PyHistory;
    type Output = Bound<'py, PyHistory>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyHistory>> {
        Bound::new(py, PyHistory::new(py, self.0)?)
    }
}

/// The `since` argument of `history`: `None`, a `Position` or its `epoch:offset`
/// string (read by core: a malformed one is `ParseError` with code `Position`).
pub fn since_of(py: Python<'_>, since: Option<&Bound<'_, PyAny>>) -> PyResult<Option<OwnedPosition>> {
    let Some(since) = since.filter(|s| !s.is_none()) else {
        return Ok(None);
    };
    if let Ok(p) = since.cast::<PyPosition>() {
        return Ok(Some(p.get().inner.clone()));
    }
    if let Ok(s) = since.cast::<PyString>() {
        let text = s.to_cow()?;
        let p = lhttp_core::Position::parse(&text).py_err(py)?;
        return Ok(Some(p.into()));
    }
    Err(PyTypeError::new_err(format!(
        "since must be an lhttp.Position or an 'epoch:offset' str, not {}",
        since.get_type().name()?
    )))
}
