//! The built-in `subscribe`, `unsubscribe` and `publish` headers, as a filter
//! that uses only what a user's filter can: (un)subscriptions take effect
//! before the processor runs, the publish after it, so subscribers get the
//! command, headers and body the processor left.

use crate::context::Context;
use crate::filter::{Filter, Reject};

/// Handles the pub/sub headers.
#[derive(Debug, Default)]
pub struct PubSub;

impl Filter for PubSub {
    fn before_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let Some(msg) = ctx.request().copied() else {
            return Ok(());
        };
        let gone: Vec<&str> = msg.unsubscribe().collect();
        ctx.unsubscribe(&gone);
        let new: Vec<&str> = msg.subscribe().collect();
        ctx.subscribe(&new)
    }

    fn after_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let Some(msg) = ctx.request().copied() else {
            return Ok(());
        };
        let channels: Vec<&str> = msg.publish().collect();
        if !channels.is_empty() {
            let n = ctx.publish_reply(&channels)?;
            ctx.set_deliveries(n);
        }
        Ok(())
    }
}
