//! The built-in `subscribe`, `unsubscribe` and `publish` headers, as a filter:
//! (un)subscriptions take effect before the processor runs, the publish after
//! it, so subscribers get the command, headers and body the processor left.

use crate::context::Context;
use crate::filter::{Filter, Reject};
use lhttp_core::names;

/// Request headers left out of published copies: they are instructions to this
/// server (and `upstream` would reveal a backend's address to every subscriber).
pub const NOT_PUBLISHED: &[&str] = &[names::SUBSCRIBE, names::UNSUBSCRIBE, names::UPSTREAM, names::ID];

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
            ctx.deliveries = Some(n);
        }
        Ok(())
    }
}

/// Checks a `multipart` header before the processor sees the parts, so a bad
/// offset becomes an error reply instead of a surprise in application code.
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
