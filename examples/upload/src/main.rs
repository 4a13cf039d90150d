//! Upload example (placeholder).
fn main() {}
