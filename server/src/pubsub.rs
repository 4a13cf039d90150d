//! The built-in `subscribe`, `unsubscribe` and `publish` headers, as a filter
//! that uses only what a user's filter can: (un)subscriptions take effect
//! before the processor runs, the publish after it, so subscribers get the
//! command, headers and body the processor left. A subscribe's `since` headers
//! recover what a client missed on channels with history (spec 13.4), and its
//! ack tells each such channel's position and whether it was recovered.

use crate::context::Context;
use crate::filter::{Filter, Reject};
use crate::handle::{Later, Subscribed};
use crate::reply::AckExtra;
use lhttp_core::position::{self, Position};
use lhttp_core::{names, Message, ServerError};

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
        let gone: Vec<&str> = msg.unsubscribe().collect();
        ctx.unsubscribe(&gone);
        if since.is_empty() && !new.iter().any(|c| ctx.handle().has_history(c)) {
            return ctx.subscribe(&new);
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
            return Ok(());
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
            })
        }));
        Ok(())
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
