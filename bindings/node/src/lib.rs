//! Node addon (placeholder).
