//! The `presence` and `presence-stats` request headers (spec 15.2), as a
//! built-in filter: a request naming one is answered, in its ack, with the
//! channel's counts and, for `presence`, its members as a JSON body.

use super::ChannelPresence;
use crate::context::Context;
use crate::filter::{Filter, Reject};
use crate::reply::AckExtra;
use lhttp_core::reply::headers;
use lhttp_core::{names, ServerError};

/// Answers presence queries.
#[derive(Debug, Default)]
pub struct PresenceRequest;

impl Filter for PresenceRequest {
    fn after_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let asked: Vec<(bool, &str)> = ctx
            .headers()
            .iter()
            .filter_map(|h| {
                if h.name.eq_ignore_ascii_case(names::PRESENCE) {
                    Some((true, h.value))
                } else if h.name.eq_ignore_ascii_case(names::PRESENCE_STATS) {
                    Some((false, h.value))
                } else {
                    None
                }
            })
            .collect();
        let (list, channel) = match asked.as_slice() {
            [] => return Ok(()),
            [one] => *one,
            _ => {
                return Err(Reject::new(
                    ServerError::BadRequest.as_str(),
                    "a presence query names one channel, in one presence or presence-stats header",
                ))
            }
        };
        lhttp_core::channel::check(channel).map_err(Reject::from)?;
        if !ctx.handle().config().namespace_of(channel).presence {
            return Err(Reject::new(
                ServerError::NoPresence.as_str(),
                format!("{channel}: its namespace keeps no presence (presence = true in its namespace table)"),
            )
            .for_channel(channel));
        }
        crate::permissions::may_see_presence(ctx, channel)?;
        let (handle, channel) = (ctx.handle().clone(), channel.to_string());
        ctx.defer(Box::pin(async move {
            let p = super::query(&handle, &channel, list).await;
            Ok(ack(&p, list))
        }));
        Ok(())
    }
}

/// What the ack of a query carries: the counts, `capped`, and the members as JSON.
fn ack(p: &ChannelPresence, list: bool) -> AckExtra {
    let mut h = vec![
        (headers::CONNECTIONS.to_string(), p.connections.to_string()),
        (headers::USERS.to_string(), p.users.to_string()),
    ];
    if p.capped {
        h.push((headers::CAPPED.to_string(), "true".to_string()));
    }
    AckExtra {
        headers: h,
        body: if list {
            serde_json::to_vec(&p.members).unwrap_or_default()
        } else {
            Vec::new()
        },
        ..AckExtra::default()
    }
}
