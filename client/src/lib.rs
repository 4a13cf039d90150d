//! The native lhttp client (placeholder).
