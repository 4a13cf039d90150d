//! liblhttp, the C ABI (placeholder).
