//! The built-in `subscribe`, `unsubscribe` and `publish` headers, as a filter
//! that uses only what a user's filter can: (un)subscriptions take effect
//! before the processor runs, the publish after it, so subscribers get the
//! command, headers and body the processor left. A subscribe's `since` headers
//! recover what a client missed on channels with history (spec 13.4), and its
//! ack tells each such channel's position and whether it was recovered. The
//! channel permissions (spec 14.6 to 14.8) are checked here, and a subscribe's
//! subscription token verified, before the subscriptions change.

use crate::context::Context;
use crate::filter::{Filter, Reject};
use crate::handle::{Later, Subscribed};
use crate::identity::unix_now;
use crate::permissions;
use crate::reply::AckExtra;
use crate::token::{Grant, Refusal, Tokens};
use lhttp_core::position::{self, Position};
use lhttp_core::reply::headers::EXPIRES_IN;
use lhttp_core::{names, Message, ServerError};
use std::sync::Arc;

/// Handles the pub/sub headers.
#[derive(Debug, Default)]
pub struct PubSub;

impl Filter for PubSub {
    fn before_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let Some(msg) = ctx.request().copied() else {
            return Ok(());
        };
        let new: Vec<&str> = msg.subscribe().collect();
        // Every since is checked before anything changes (13.4). With a `history`
        // header the `since` is the history read's (13.5), not a recovery.
        let since = if msg.header(names::HISTORY).is_some() {
            Vec::new()
        } else {
            since(&msg, &new)?
        };
        // Nothing changes unless every channel may be subscribed (14.6 to 14.8).
        let grant = subscription_token(ctx, &msg, &new)?;
        for ch in &new {
            permissions::may_subscribe(ctx, ch, grant.as_ref().is_some_and(|g| g.channel == *ch))?;
        }
        let gone: Vec<&str> = msg.unsubscribe().collect();
        ctx.unsubscribe(&gone);
        forget_expiries(ctx, &gone);
        if since.is_empty() && !new.iter().any(|c| ctx.handle().has_history(c)) {
            ctx.subscribe(&new)?;
            return record_grant(ctx, grant);
        }
        let mut done: Vec<&str> = Vec::new();
        let mut joins = Vec::new();
        let mut waiting = false;
        for ch in new {
            if done.contains(&ch) {
                continue;
            }
            done.push(ch);
            let from = since.iter().find(|(c, _)| *c == ch).map(|(_, p)| *p);
            let join = match ctx.handle().subscribe_later(ctx.conn(), ch, from) {
                Later::Ready(r) => Later::Ready(Ok(r?)),
                Later::Pending(p) => {
                    waiting = true;
                    Later::Pending(p)
                }
            };
            joins.push((ch.to_string(), join));
        }
        if !waiting {
            let answers = joins.into_iter().filter_map(|(ch, j)| match j {
                Later::Ready(Ok(s)) => Some((ch, s)),
                _ => None,
            });
            for (name, value) in ack_headers(answers)? {
                ctx.add_ack_header(name, &value);
            }
            return record_grant(ctx, grant);
        }
        // A join that needs the shared store's round trip: the ack waits for all.
        ctx.defer(Box::pin(async move {
            let mut answers = Vec::new();
            for (ch, j) in joins {
                let s = match j {
                    Later::Ready(r) => r?,
                    Later::Pending(p) => p.await?,
                };
                answers.push((ch, s));
            }
            let headers = ack_headers(answers.into_iter())?
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect();
            Ok(AckExtra {
                headers,
                parts: Vec::new(),
                ..AckExtra::default()
            })
        }));
        record_grant(ctx, grant)
    }

    fn after_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let Some(msg) = ctx.request().copied() else {
            return Ok(());
        };
        let channels: Vec<&str> = msg.publish().collect();
        // After the subscribe took effect: `subscribe:x publish:x` publishes as a subscriber.
        for ch in &channels {
            permissions::may_publish(ctx, ch)?;
        }
        if !channels.is_empty() {
            let n = ctx.publish_reply(&channels)?;
            ctx.set_deliveries(n);
        }
        Ok(())
    }
}

/// The ack's headers for the channels subscribed (13.3, 13.4): each one's
/// `position`, then which were `recovered` and which `unrecovered`.
fn ack_headers(answers: impl Iterator<Item = (String, Subscribed)>) -> Result<Vec<(&'static str, String)>, Reject> {
    let (mut recovered, mut unrecovered) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for (ch, s) in answers {
        match s.recovered {
            Some(true) => recovered.push(ch.clone()),
            Some(false) => unrecovered.push(ch.clone()),
            None => {}
        }
        if let Some(p) = s.position {
            out.push((names::POSITION, channel_position(&ch, p.as_position())?));
        }
    }
    if !recovered.is_empty() {
        out.push((names::RECOVERED, recovered.join(" ")));
    }
    if !unrecovered.is_empty() {
        out.push((names::UNRECOVERED, unrecovered.join(" ")));
    }
    Ok(out)
}

/// The `since` headers of `msg`, each read by core and naming a channel that
/// `msg` subscribes, at most once per channel (13.4).
fn since<'a>(msg: &Message<'_, 'a>, subscribing: &[&str]) -> Result<Vec<(&'a str, Position<'a>)>, Reject> {
    let mut out: Vec<(&str, Position<'_>)> = Vec::new();
    for h in msg.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(names::SINCE)) {
        let (ch, p) = position::parse_channel(h.value)?;
        if !subscribing.contains(&ch) {
            return Err(bad_request(format!(
                "since names {ch:?}, which this message does not subscribe"
            )));
        }
        if out.iter().any(|(c, _)| *c == ch) {
            return Err(bad_request(format!("two since headers for {ch:?}")));
        }
        out.push((ch, p));
    }
    Ok(out)
}

/// The subscription token of a subscribe (14.7), verified: it must name one of
/// the channels subscribed and the connection's uid. `None` without a `token`.
fn subscription_token(ctx: &Context<'_>, msg: &Message<'_, '_>, subscribing: &[&str]) -> Result<Option<Grant>, Reject> {
    let Some(token) = msg.header(names::TOKEN) else {
        return Ok(None);
    };
    let about = |r: Reject| match subscribing {
        [one] => r.for_channel(one),
        _ => r,
    };
    let metrics = ctx.handle().metrics();
    let Some(tokens) = ctx.handle().extension::<Arc<Tokens>>() else {
        metrics.tokens_refused.inc();
        return Err(about(Reject::unauthorized("this server verifies no tokens")));
    };
    let grant = tokens.subscription(token).map_err(|r| {
        metrics.tokens_refused.inc();
        about(match r {
            Refusal::Expired => Reject::new(ServerError::TokenExpired.as_str(), "the subscription token has expired"),
            Refusal::Invalid(why) => Reject::unauthorized(format!("the subscription token is refused: {why}")),
        })
    })?;
    let refuse = |why: &str| {
        metrics.tokens_refused.inc();
        Err(about(Reject::unauthorized(why.to_string())))
    };
    if !subscribing.contains(&grant.channel.as_str()) {
        return refuse("the subscription token is for another channel");
    }
    if grant.uid != ctx.identity().uid {
        return refuse("the subscription token is for another uid");
    }
    metrics.tokens_accepted.inc();
    Ok(Some(grant))
}

/// Keeps the subscription's expiry (the expiry task ends it, 14.7) and tells it in the ack.
fn record_grant(ctx: &mut Context<'_>, grant: Option<Grant>) -> Result<(), Reject> {
    let Some(grant) = grant else {
        return Ok(());
    };
    {
        let mut id = ctx.conn().identity_mut();
        match grant.exp {
            Some(exp) => id.subscriptions.insert(grant.channel.clone(), exp),
            None => id.subscriptions.remove(&grant.channel),
        };
    }
    ctx.conn().deadlines_changed();
    if let Some(exp) = grant.exp {
        ctx.add_ack_header(EXPIRES_IN, &exp.saturating_sub(unix_now()).to_string());
    }
    Ok(())
}

/// Unsubscribed channels keep no expiry.
fn forget_expiries(ctx: &Context<'_>, channels: &[&str]) {
    if channels.is_empty() {
        return;
    }
    let mut id = ctx.conn().identity_mut();
    for ch in channels {
        id.subscriptions.remove(*ch);
    }
}

/// `<ch> <epoch>:<offset>`, written by core.
pub(crate) fn channel_position(channel: &str, p: Position<'_>) -> Result<String, Reject> {
    let mut buf = vec![0; channel.len() + 1 + position::MAX_LEN];
    let n = position::write_channel(channel, &p, &mut buf)?;
    buf.truncate(n);
    String::from_utf8(buf).map_err(|_| Reject::new(ServerError::Internal.as_str(), "unwritable position"))
}

fn bad_request(detail: String) -> Reject {
    Reject::new(ServerError::BadRequest.as_str(), detail)
}
