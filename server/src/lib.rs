//! The lhttp server library (placeholder until the server issue lands).
