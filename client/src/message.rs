//! The owned LHTTP message the client sends and receives, and what the C, Python
//! and Node SDKs wrap: core's [`lhttp_core::OwnedMessage`], under the client's names.

pub use lhttp_core::owned::{OwnedMessage as Message, OwnedPart as Part, PartSpec, MAX_HEADERS, MAX_PARTS};
