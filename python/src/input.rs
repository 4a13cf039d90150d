//! Reading Python arguments into Rust values: byte strings (`bytes`, `bytearray`,
//! `memoryview` or `str` as UTF-8), header lists (pairs or a mapping) and channel
//! lists (one `str` or an iterable of them). Nothing here looks at the format.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};

/// The bytes of `obj`: `bytes`, `bytearray` and `memoryview` as they are, `str` as UTF-8.
pub fn bytes_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let b = obj.py().get_type::<PyBytes>().call1((obj,))?;
        return Ok(b.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "expected bytes or str, not {}",
        obj.get_type().name()?
    )))
}

/// The bytes of an optional body argument: `None` (or Python `None`) is empty.
pub fn body_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<u8>> {
    obj.filter(|b| !b.is_none())
        .map(bytes_of)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Header pairs from `None`, a mapping (its `items()`) or an iterable of `(name, value)` pairs.
pub fn headers_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let pairs = if obj.hasattr("keys")? {
        obj.call_method0("items")?
    } else {
        obj.clone()
    };
    let mut out = Vec::new();
    for item in pairs.try_iter()? {
        let item = item?;
        let pair: (String, String) = item.extract().map_err(|_| {
            PyTypeError::new_err("headers must be (name, value) pairs of str, or a mapping of str to str")
        })?;
        out.push(pair);
    }
    Ok(out)
}

/// Channel names from one `str` or an iterable of `str`.
pub fn channels_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    let mut out = Vec::new();
    for item in obj.try_iter()? {
        out.push(
            item?
                .extract::<String>()
                .map_err(|_| PyTypeError::new_err("channels must be a str or an iterable of str"))?,
        );
    }
    Ok(out)
}

/// Borrowed views for the client API, which takes `&[&str]`.
pub fn as_strs(channels: &[String]) -> Vec<&str> {
    channels.iter().map(String::as_str).collect()
}
