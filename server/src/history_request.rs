//! The built-in `history` header (spec 13.5), as a filter that uses only what a
//! user's filter can: any request with `history:<ch>` is answered, in its ack,
//! with the channel's position and its publications as a multipart body.

use crate::context::Context;
use crate::filter::{Filter, Reject};
use crate::handle::Later;
use crate::history::Page;
use crate::pubsub::channel_position;
use crate::reply::AckExtra;
use lhttp_core::owned::{owned_pairs, with_header_storage, PartSpec};
use lhttp_core::position::{self, Position};
use lhttp_core::reply::headers::COMMAND;
use lhttp_core::{names, parse, ServerError};

/// Answers history reads.
#[derive(Debug, Default)]
pub struct HistoryRequest;

impl Filter for HistoryRequest {
    fn after_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let Some(channel) = ctx.header(names::HISTORY) else {
            return Ok(());
        };
        crate::permissions::may_read_history(ctx, channel)?;
        let limit = ctx.header(names::LIMIT).map(read_limit).transpose()?;
        let since = ctx.header(names::SINCE).map(Position::parse).transpose()?;
        let reverse = ctx
            .header(names::REVERSE)
            .map(read_reverse)
            .transpose()?
            .unwrap_or(false);
        match ctx.handle().history_later(channel, limit, since, reverse) {
            Later::Ready(page) => {
                let (position, parts) = answer(channel, &page?)?;
                ctx.add_ack_header(names::POSITION, &position);
                ctx.set_ack_parts(parts);
            }
            Later::Pending(page) => {
                let channel = channel.to_string();
                ctx.defer(Box::pin(async move {
                    let (position, parts) = answer(&channel, &page.await?)?;
                    Ok(AckExtra {
                        headers: vec![(names::POSITION.to_string(), position)],
                        parts,
                        ..AckExtra::default()
                    })
                }));
            }
        }
        Ok(())
    }
}

/// A history read (13.5) answered as the ack carries it: the channel's
/// `position` value and one part per publication (`command`, `offset`, then the
/// publication's own headers; its body).
pub(crate) fn answer(channel: &str, page: &Page) -> Result<(String, Vec<PartSpec>), Reject> {
    let position = channel_position(channel, page.position.as_position())?;
    let parts = page
        .entries
        .iter()
        .map(|e| part(&e.message, e.offset))
        .collect::<Result<_, _>>()?;
    Ok((position, parts))
}

fn part(message: &[u8], offset: u64) -> Result<PartSpec, Reject> {
    with_header_storage(None, |storage| {
        let m = parse(message, storage)?;
        let mut headers = vec![
            (COMMAND.to_string(), m.command.to_string()),
            (names::OFFSET.to_string(), offset.to_string()),
        ];
        let own = m.headers.iter().filter(|h| {
            ![names::CHANNEL, names::OFFSET, names::EPOCH]
                .iter()
                .any(|n| h.name.eq_ignore_ascii_case(n))
        });
        headers.extend(owned_pairs(&own.copied().collect::<Vec<_>>()));
        Ok((headers, m.body.to_vec()))
    })
    .map_err(Reject::from)
}

/// `limit:<n>`: digits only, as an offset is.
pub(crate) fn read_limit(text: &str) -> Result<usize, Reject> {
    position::parse_offset(text)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| {
            Reject::new(
                ServerError::BadRequest.as_str(),
                format!("limit {text:?} is not a number"),
            )
        })
}

/// `reverse:true` or `reverse:false`.
fn read_reverse(text: &str) -> Result<bool, Reject> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Reject::new(
            ServerError::BadRequest.as_str(),
            format!("reverse {text:?} is neither true nor false"),
        )),
    }
}
