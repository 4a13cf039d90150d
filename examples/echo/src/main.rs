//! Echo example (placeholder).
fn main() {}
