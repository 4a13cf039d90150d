//! The boundary with C: every exported function runs inside `guard`, so a Rust
//! panic becomes `LHTTP_RESULT_PANIC` instead of unwinding into C, and raw pointer
//! arguments become slices here, NULL checks included.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::result::{lhttp_result, set_last_error};

/// Runs `f`, turning a panic into [`lhttp_result::Panic`].
pub(crate) fn guard(f: impl FnOnce() -> Result<(), lhttp_result>) -> lhttp_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => lhttp_result::Ok,
        Ok(Err(r)) => r,
        Err(_) => {
            set_last_error("a panic was caught at the liblhttp boundary (a bug, please report it)".into());
            lhttp_result::Panic
        }
    }
}

/// Runs `f`, returning `default` if it panics (for functions without a result code).
pub(crate) fn guard_or<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// `ptr[..len]`; a NULL `ptr` is allowed only when `len` is 0.
///
/// # Safety
/// When not NULL, `ptr` must be valid for reading `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], lhttp_result> {
    // SAFETY: forwarded; `array` has the same contract.
    unsafe { array(ptr, len) }
}

/// `ptr[..len]` as UTF-8; `invalid` is the result when it is not.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize, invalid: lhttp_result) -> Result<&'a str, lhttp_result> {
    // SAFETY: forwarded.
    let b = unsafe { bytes(ptr, len)? };
    std::str::from_utf8(b).map_err(|_| {
        set_last_error(format!("{}: an argument is not UTF-8", crate::result::name(invalid)));
        invalid
    })
}

/// `ptr[..len]` as a slice of `T`; a NULL `ptr` is allowed only when `len` is 0.
///
/// # Safety
/// When not NULL, `ptr` must point to `len` valid `T` for `'a`.
pub(crate) unsafe fn array<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], lhttp_result> {
    if len == 0 {
        Ok(&[])
    } else if ptr.is_null() {
        Err(null())
    } else {
        // SAFETY: per the caller.
        Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
    }
}

/// The mutable output `ptr[..len]`; NULL allowed only when `len` is 0.
///
/// # Safety
/// When not NULL, `ptr` must be valid for writing `len` bytes for `'a`.
pub(crate) unsafe fn out_bytes<'a>(ptr: *mut u8, len: usize) -> Result<&'a mut [u8], lhttp_result> {
    if len == 0 {
        Ok(&mut [])
    } else if ptr.is_null() {
        Err(null())
    } else {
        // SAFETY: per the caller.
        Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
    }
}

/// Writes `value` to the out-parameter `out`.
///
/// # Safety
/// When not NULL, `out` must be valid for writing a `T`.
pub(crate) unsafe fn write<T>(out: *mut T, value: T) -> Result<(), lhttp_result> {
    if out.is_null() {
        return Err(null());
    }
    // SAFETY: non-NULL and writable per the caller.
    unsafe { out.write(value) };
    Ok(())
}

/// Copies `text` into the caller's `buf[..len]` and its length to `*out_n`, `snprintf`-style:
/// `BUFFER_TOO_SMALL` (with the length needed in `*out_n`) when it does not fit.
///
/// # Safety
/// As [`out_bytes`] for `buf` and [`write`] for `out_n`.
pub(crate) unsafe fn copy_out(text: &str, buf: *mut u8, len: usize, out_n: *mut usize) -> Result<(), lhttp_result> {
    // SAFETY: per the caller.
    let out = unsafe { out_bytes(buf, len)? };
    if out.len() < text.len() {
        unsafe { write(out_n, text.len())? };
        return Err(crate::result::fail_core(lhttp_core::Error::BufferTooSmall));
    }
    out[..text.len()].copy_from_slice(text.as_bytes());
    unsafe { write(out_n, text.len()) }
}

/// A shared reference to an object behind a handle.
///
/// # Safety
/// When not NULL, `ptr` must come from this library and not be freed.
pub(crate) unsafe fn object<'a, T>(ptr: *const T) -> Result<&'a T, lhttp_result> {
    // SAFETY: per the caller.
    unsafe { ptr.as_ref() }.ok_or_else(null)
}

/// Records and returns [`lhttp_result::NullParameter`].
pub(crate) fn null() -> lhttp_result {
    set_last_error("a required pointer argument was NULL".into());
    lhttp_result::NullParameter
}
