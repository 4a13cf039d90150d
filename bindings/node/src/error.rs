//! Errors cross into JavaScript as plain `Error`s whose `code` property is the
//! stable name every lhttp binding shares: a core name such as `HeaderName`, a
//! client name (`Connect`, `Closed`, `Timeout`, `Io`) or the server's error code.

use napi::bindgen_prelude::{Env, JsError, Unknown};

/// A codec error, thrown with `code` set to the core's error name. Functions return
/// `napi::Result<T, String>` (spelled out: napi-derive recognises `Result` by name)
/// so the thrown error's `code` is this string rather than a napi status.
pub fn core_error(e: lhttp_core::Error) -> napi::Error<String> {
    napi::Error::new(e.as_str().to_owned(), e.to_string())
}

/// A client error, thrown with `code` set to [`lhttp_client::Error::name`].
pub fn client_error(e: &lhttp_client::Error) -> napi::Error<String> {
    napi::Error::new(e.name().to_owned(), e.to_string())
}

/// Builds the JS `Error` object for a client error on the JavaScript thread, so an
/// async call can reject with it (napi's own async rejection only knows its
/// built-in status codes).
pub fn client_error_value(env: &Env, e: &lhttp_client::Error) -> napi::Error {
    let value: Unknown<'_> = JsError::from(client_error(e)).into_unknown(*env);
    napi::Error::from(value)
}
