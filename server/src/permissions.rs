//! Who may subscribe to, publish to and read the history of a channel (spec 14.6,
//! 14.8): the rules of the channel's namespace and personal channels (`#<uid>`),
//! checked against the connection's identity from its tokens. The built-in
//! filters ask here before anything of a request takes effect.

use crate::config::{HistoryRule, PublishRule, SubscribeRule};
use crate::context::Context;
use crate::reject::Reject;
use lhttp_core::auth::personal_uid;

/// Whether the connection may subscribe to `channel`; `with_token`: the request
/// carries the channel's subscription token, verified.
pub(crate) fn may_subscribe(ctx: &Context<'_>, channel: &str, with_token: bool) -> Result<(), Reject> {
    personal(ctx, channel)?;
    match ctx.handle().config().namespace_of(channel).subscribe {
        SubscribeRule::Anyone => Ok(()),
        SubscribeRule::Authenticated if ctx.uid().is_some() => Ok(()),
        SubscribeRule::Authenticated => Err(refused(channel, "subscribing needs an authenticated connection")),
        SubscribeRule::Token if with_token => Ok(()),
        SubscribeRule::Token => Err(refused(
            channel,
            "subscribing needs a subscription token for the channel",
        )),
    }
}

/// Whether the connection may publish to `channel`.
pub(crate) fn may_publish(ctx: &Context<'_>, channel: &str) -> Result<(), Reject> {
    personal(ctx, channel)?;
    match ctx.handle().config().namespace_of(channel).publish {
        PublishRule::Anyone => Ok(()),
        PublishRule::Authenticated if ctx.uid().is_some() => Ok(()),
        PublishRule::Authenticated => Err(refused(channel, "publishing needs an authenticated connection")),
        PublishRule::Subscribers if ctx.conn().is_subscribed(channel) => Ok(()),
        PublishRule::Subscribers => Err(refused(channel, "only subscribers of the channel may publish to it")),
        PublishRule::Nobody => Err(refused(
            channel,
            "no connection may publish here (backends publish over HTTP)",
        )),
    }
}

/// Whether the connection may read the history of `channel`.
pub(crate) fn may_read_history(ctx: &Context<'_>, channel: &str) -> Result<(), Reject> {
    personal(ctx, channel)?;
    let ns = ctx.handle().config().namespace_of(channel);
    let subscribed = ctx.conn().is_subscribed(channel);
    match ns.history_read {
        HistoryRule::Nobody => Err(refused(
            channel,
            "no connection may read this history (backends read over HTTP)",
        )),
        HistoryRule::Subscribers if subscribed => Ok(()),
        HistoryRule::Subscribers => Err(refused(channel, "only subscribers of the channel may read its history")),
        HistoryRule::Subscribe => match ns.subscribe {
            SubscribeRule::Token if !subscribed => {
                Err(refused(channel, "only subscribers of the channel may read its history"))
            }
            _ => may_subscribe(ctx, channel, true),
        },
    }
}

/// Whether the connection may ask who is in `channel` (15.2): whoever the
/// `subscribe` rule lets in; for `token`, its subscribers.
pub(crate) fn may_see_presence(ctx: &Context<'_>, channel: &str) -> Result<(), Reject> {
    personal(ctx, channel)?;
    let subscribed = ctx.conn().is_subscribed(channel);
    match ctx.handle().config().namespace_of(channel).subscribe {
        SubscribeRule::Token if !subscribed => {
            Err(refused(channel, "only subscribers of the channel may ask who is in it"))
        }
        _ => may_subscribe(ctx, channel, true),
    }
}

/// A personal channel is open to its own uid only (14.8).
fn personal(ctx: &Context<'_>, channel: &str) -> Result<(), Reject> {
    match personal_uid(channel) {
        None => Ok(()),
        Some(owner) if !owner.is_empty() && ctx.uid().as_deref() == Some(owner) => Ok(()),
        Some(_) => Err(refused(channel, "a personal channel is open to its own uid only")),
    }
}

fn refused(channel: &str, why: &str) -> Reject {
    Reject::forbidden(format!("{channel}: {why}")).for_channel(channel)
}
