//! wasm-bindgen codec (placeholder).
