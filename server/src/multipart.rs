//! The built-in `multipart` header, as a filter: the parts' offsets are checked
//! before the processor sees them, so a bad offset becomes an error reply
//! instead of a surprise in application code.

use crate::context::Context;
use crate::filter::{Filter, Reject};

/// Checks a `multipart` header before the processor sees the parts.
#[derive(Debug, Default)]
pub struct Multipart;

impl Filter for Multipart {
    fn before_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        if let Some(parts) = ctx.request().and_then(|m| m.parts()) {
            for p in parts {
                p?;
            }
        }
        Ok(())
    }
}
