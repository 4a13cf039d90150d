//! `lhttp._lhttp`: the compiled half of the Python package. It converts between Python
//! objects and the Rust types of `lhttp-core` and `lhttp-client`; every byte of the
//! format is read and written by `lhttp-core`, every connection is driven by
//! `lhttp-client`. The pure-Python package `lhttp` re-exports it.
//!
//! Module map:
//! - [`errors`]: Rust errors to the Python exceptions of `lhttp._errors`.
//! - [`input`]: reading Python arguments (bytes or str, header lists, channel lists).
//! - [`message`]: `Message`, `Part`, `parse` and `channel_list`.
//! - [`client`]: the synchronous `Client` on `lhttp_client::BlockingClient`.
//! - [`aio`]: the asyncio `AsyncClient` on the async `lhttp_client::Client`, its
//!   futures awaitables through `pyo3-async-runtimes` (tokio).
//! - [`http`]: `publish` (and `aio_publish`) through the server's `POST /publish`.
//! - [`history`]: `Position`, `History` and `Recovery`, what `position()`, `history()`
//!   and `recovery()` give.
//! - [`presence`]: `Member`, `Presence`, `PresenceStats` and `PresenceEvent`, what
//!   `presence()`, `presence_stats()` and `Message.presence_event()` give.

use pyo3::prelude::*;

mod aio;
mod client;
mod errors;
mod history;
mod http;
mod input;
mod message;
mod presence;
mod tokens;

/// The compiled module. Its contents are re-exported by `lhttp/__init__.py`.
#[pymodule]
fn _lhttp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("VERSION", lhttp_core::VERSION)?;
    m.add("MAX_HEADERS", lhttp_client::message::MAX_HEADERS)?;
    m.add("DEFAULT_COMMAND", lhttp_client::DEFAULT_COMMAND)?;
    m.add(
        "ERROR_NAMES",
        lhttp_core::Error::ALL.map(lhttp_core::Error::as_str).to_vec(),
    )?;
    m.add(
        "SERVER_ERROR_NAMES",
        lhttp_core::ServerError::ALL
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>(),
    )?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<message::PyPart>()?;
    m.add_function(wrap_pyfunction!(message::parse, m)?)?;
    m.add_function(wrap_pyfunction!(message::channel_list, m)?)?;
    m.add_class::<history::PyPosition>()?;
    m.add_class::<history::PyHistory>()?;
    m.add_class::<history::PyRecovery>()?;
    m.add_class::<presence::PyMember>()?;
    m.add_class::<presence::PyPresence>()?;
    m.add_class::<presence::PyPresenceStats>()?;
    m.add_class::<presence::PyPresenceEvent>()?;
    m.add_class::<client::PyClient>()?;
    m.add_function(wrap_pyfunction!(client::connect, m)?)?;
    m.add_function(wrap_pyfunction!(http::publish, m)?)?;
    aio::init_runtime();
    m.add_class::<aio::PyAsyncClient>()?;
    m.add_function(wrap_pyfunction!(aio::aio_connect, m)?)?;
    m.add_function(wrap_pyfunction!(http::aio_publish, m)?)?;
    m.add_function(wrap_pyfunction!(aio::settle, m)?)?;
    Ok(())
}
