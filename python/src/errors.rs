//! Rust errors become the exceptions defined in `lhttp/_errors.py`, each carrying the
//! stable name (`.code`) that every lhttp binding surfaces.
//!
//! The classes are written in Python (multiple inheritance from the builtin
//! `ValueError`, `ConnectionError` and `TimeoutError` is plain there) and looked up
//! once per process.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use pyo3::PyErrArguments;

/// The module that defines the exception classes.
const MODULE: &str = "lhttp._errors";

/// One lazily imported exception class.
struct Class {
    /// The class name in [`MODULE`].
    name: &'static str,
    /// The class, once imported.
    cell: PyOnceLock<Py<PyType>>,
}

impl Class {
    const fn new(name: &'static str) -> Class {
        Class {
            name,
            cell: PyOnceLock::new(),
        }
    }

    /// An instance of the class built from `args`; an import failure is returned instead.
    fn err<A: PyErrArguments + 'static>(&'static self, py: Python<'_>, args: A) -> PyErr {
        match self.cell.import(py, MODULE, self.name) {
            Ok(ty) => PyErr::from_type(ty.clone(), args),
            Err(e) => e,
        }
    }
}

static PARSE_ERROR: Class = Class::new("ParseError");
static CONNECT_ERROR: Class = Class::new("ConnectError");
static CLOSED_ERROR: Class = Class::new("ClosedError");
static TIMEOUT_ERROR: Class = Class::new("TimeoutError");
static SERVER_ERROR: Class = Class::new("ServerError");
static IO_ERROR: Class = Class::new("IoError");

/// `lhttp.ParseError(code, detail)` for a codec error.
pub fn core_error(py: Python<'_>, e: lhttp_core::Error) -> PyErr {
    PARSE_ERROR.err(py, (e.as_str(), e.description()))
}

/// The exception for a client error: one class per [`lhttp_client::Error`] variant.
pub fn client_error(py: Python<'_>, e: lhttp_client::Error) -> PyErr {
    use lhttp_client::Error as E;
    let detail = e.to_string();
    match e {
        E::Protocol(core) => core_error(py, core),
        E::Connect { status, .. } => CONNECT_ERROR.err(py, (detail, status)),
        E::Closed { code, reason } => CLOSED_ERROR.err(py, (detail, code, reason)),
        E::Timeout => TIMEOUT_ERROR.err(py, (detail,)),
        E::Server {
            code,
            detail,
            command,
            id,
        } => SERVER_ERROR.err(py, (code, detail, command, id)),
        E::Io(_) => IO_ERROR.err(py, (detail,)),
    }
}

/// `lhttp.TimeoutError` for a wait that ran out on the Python side.
pub fn timeout_error(py: Python<'_>, what: &str) -> PyErr {
    TIMEOUT_ERROR.err(py, (format!("timed out waiting for {what}"),))
}

/// Extension for results holding Rust errors.
pub trait IntoPyResult<T> {
    /// Converts the error into its Python exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, lhttp_core::Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| core_error(py, e))
    }
}

impl<T> IntoPyResult<T> for Result<T, lhttp_client::Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| client_error(py, e))
    }
}
