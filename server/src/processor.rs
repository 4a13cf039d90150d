//! Processors: the application's code, one per command, in the shape of the
//! original lhttp (`on_open`, `on_message`, `on_close`).

use crate::context::Context;

/// Handles the messages of one command. Every method has a default that does
/// nothing, so a processor implements only what it needs.
///
/// ```
/// use lhttp_server::{Context, Processor};
///
/// struct Echo;
/// impl Processor for Echo {
///     fn on_message(&self, ctx: &mut Context<'_>) {
///         ctx.set_command("echo");
///         ctx.add_header("server", "lhttp");
///         let body = ctx.body().to_vec();
///         let _ = ctx.send(&body);
///     }
/// }
/// ```
pub trait Processor: Send + Sync + 'static {
    /// A connection opened (called on every registered processor, in registration order).
    fn on_open(&self, _ctx: &mut Context<'_>) {}
    /// A message with this processor's command arrived (after the filters' `before_request`).
    fn on_message(&self, _ctx: &mut Context<'_>) {}
    /// A connection closed (called on every registered processor).
    fn on_close(&self, _ctx: &mut Context<'_>) {}
}
