//! Header filters: middleware run around every processor, in registration
//! order. The built-in headers (subscribe, publish, upstream, multipart) are
//! filters too; users add their own, e.g. authentication.

use crate::context::Context;
pub use crate::reject::Reject;

/// Middleware hooks. All default to doing nothing.
///
/// ```
/// use lhttp_server::{Context, Filter, Reject};
///
/// /// Refuses connections without `?token=secret`.
/// struct Auth;
/// impl Filter for Auth {
///     fn on_open(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
///         let query = ctx.handshake().and_then(|h| h.uri.query()).unwrap_or("");
///         if query.split('&').any(|kv| kv == "token=secret") { Ok(()) } else { Err(Reject::forbidden("bad token")) }
///     }
/// }
/// ```
pub trait Filter: Send + Sync + 'static {
    /// A connection opened; an error closes it with code 1008.
    fn on_open(&self, _ctx: &mut Context<'_>) -> Result<(), Reject> {
        Ok(())
    }
    /// Before the processor sees a message; an error stops it with an error reply.
    fn before_request(&self, _ctx: &mut Context<'_>) -> Result<(), Reject> {
        Ok(())
    }
    /// After the processor handled a message; an error sends an error reply.
    fn after_request(&self, _ctx: &mut Context<'_>) -> Result<(), Reject> {
        Ok(())
    }
    /// A connection closed.
    fn on_close(&self, _ctx: &mut Context<'_>) {}
}
