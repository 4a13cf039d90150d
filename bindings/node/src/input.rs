//! What JavaScript hands the addon as bytes (a body or an encoded message), converted
//! to owned Rust bytes. JavaScript passes a string (taken as UTF-8) or a
//! `Buffer` / `Uint8Array`. (Signatures spell out `Either<String, Uint8Array>`:
//! the generated TypeScript does not declare Rust type aliases.) Also storage sizes
//! given as JS numbers.

use napi::bindgen_prelude::{Either, Uint8Array};

/// The bytes of a string or a byte array.
pub fn to_vec(input: Either<String, Uint8Array>) -> Vec<u8> {
    match input {
        Either::A(text) => text.into_bytes(),
        Either::B(bytes) => bytes.to_vec(),
    }
}

/// The bytes of an optional body; absent means empty.
pub fn body_vec(input: Option<Either<String, Uint8Array>>) -> Vec<u8> {
    input.map(to_vec).unwrap_or_default()
}

/// A storage size given from JavaScript (a count of headers or parts).
pub fn count(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
