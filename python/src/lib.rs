//! Python extension (placeholder).
