//! Connection-key takeover (as in the seed's `specialKey`): a connection opened
//! with `?<param>=<key>` closes every older connection holding the same key, on
//! any node, with close code [`CLOSE_TAKEN_OVER`](super::CLOSE_TAKEN_OVER). Useful
//! when one user or device must have a single live connection.

use super::Directory;
use crate::context::Context;
use crate::filter::{Filter, Reject};
use std::time::{SystemTime, UNIX_EPOCH};

/// The takeover filter; `lhttpd --takeover-key PARAM` (or `[cluster] takeover_key`) installs it.
#[derive(Debug, Clone)]
pub struct Takeover {
    /// Name of the query parameter carrying the key.
    param: String,
}

impl Takeover {
    /// Takeover keyed by the query parameter `param`.
    pub fn new(param: &str) -> Self {
        Takeover {
            param: param.to_string(),
        }
    }
}

impl Filter for Takeover {
    fn on_open(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let query = ctx.handshake().and_then(|h| h.uri.query()).unwrap_or("");
        let Some(key) = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| *name == self.param)
            .map(|(_, v)| v.into_owned())
            .filter(|k| !k.is_empty())
        else {
            return Ok(());
        };
        let opened = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let handle = ctx.handle().clone();
        let client = ctx.client_id().to_string();
        super::State::of(&handle).local().set_key(ctx.conn_id(), &key, opened);
        tokio::spawn(async move {
            let closed = Directory::of(&handle).take_over(&key, &client, opened).await;
            if closed > 0 {
                tracing::debug!(%client, closed, "takeover closed older connections");
            }
        });
        Ok(())
    }
}
