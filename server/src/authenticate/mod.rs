//! Connection tokens (spec/PROTOCOL.md 14.2 to 14.4), as the first filter: the
//! `connect` and `refresh` commands (answered here, they go no further), the
//! token of the upgrade request's `Authorization` header (verified before the
//! upgrade, in `http`), and on a server that requires tokens the refusal of
//! everything else until the connection authenticated. An accepted token binds
//! its uid and info in the connection directory and subscribes its `channels`.
//!
//! `expiry` is the task that ends what expires: a connection that did not
//! authenticate in time, one whose token ran out, and expired subscriptions.

mod expiry;

use crate::cluster;
use crate::config::TokenConfig;
use crate::context::Context;
use crate::filter::{Filter, Reject};
use crate::id::ConnId;
use crate::identity::unix_now;
use crate::reply;
use crate::token::{Refusal, Tokens, Verified};
use lhttp_core::auth::{CONNECT, REFRESH};
use lhttp_core::reply::headers::EXPIRES_IN;
use lhttp_core::{names, CloseCode, ServerError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::AbortHandle;

/// The connection-token filter; every server has it (without keys it only
/// answers `connect` and `refresh`).
pub(crate) struct Authenticate {
    tokens: Option<Arc<Tokens>>,
    require: bool,
    connect_timeout: Duration,
    grace: Duration,
    /// Each open connection's expiry task, ended when the connection closes.
    watchers: Mutex<HashMap<ConnId, AbortHandle>>,
}

impl Authenticate {
    /// The filter for `config` with its loaded keys.
    pub(crate) fn new(config: &TokenConfig, tokens: Option<Arc<Tokens>>) -> Authenticate {
        Authenticate {
            tokens,
            require: config.require,
            connect_timeout: config.connect_timeout(),
            grace: config.grace(),
            watchers: Mutex::default(),
        }
    }

    fn watchers(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, AbortHandle>> {
        self.watchers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `connect` (14.2).
    fn connect(&self, ctx: &mut Context<'_>) {
        if ctx.identity().authenticated {
            return answer_error(ctx, ServerError::BadRequest, "the connection is already authenticated");
        }
        let Some(token) = ctx.header(names::TOKEN) else {
            if self.require {
                return answer_error(
                    ctx,
                    ServerError::Unauthorized,
                    "this server requires a token in connect",
                );
            }
            // An anonymous connect: nothing changes.
            return ack(ctx, None);
        };
        let Some(tokens) = self.tokens.clone() else {
            return refuse_connect(ctx, Refusal::Invalid("this server verifies no tokens".into()));
        };
        if let Some(fetch) = tokens.key_fetch(token) {
            if ctx.wait_for(fetch) {
                return;
            }
        }
        match tokens.connection(token) {
            Ok(v) => {
                let exp = v.exp;
                accept(ctx, v);
                ack(ctx, exp);
            }
            Err(r) => refuse_connect(ctx, r),
        }
    }

    /// `refresh` (14.3): a new token for the same uid moves the expiry.
    fn refresh(&self, ctx: &mut Context<'_>) {
        let identity = ctx.identity();
        if !identity.authenticated {
            return answer_error(
                ctx,
                ServerError::Unauthorized,
                "refresh needs a connection that connected with a token",
            );
        }
        let (Some(token), Some(tokens)) = (ctx.header(names::TOKEN), self.tokens.clone()) else {
            return answer_error(ctx, ServerError::Unauthorized, "refresh needs a token");
        };
        if let Some(fetch) = tokens.key_fetch(token) {
            if ctx.wait_for(fetch) {
                return;
            }
        }
        let metrics = ctx.handle().metrics();
        match tokens.connection(token) {
            Ok(v) if v.uid == identity.uid => {
                metrics.tokens_accepted.inc();
                ctx.conn().identity_mut().expires = v.exp;
                ctx.conn().deadlines_changed();
                if let Some(info) = v.info {
                    cluster::State::of(ctx.handle()).local().set_info(ctx.conn_id(), info);
                }
                ack(ctx, v.exp);
            }
            Ok(_) => {
                metrics.tokens_refused.inc();
                answer_error(ctx, ServerError::Unauthorized, "the new token is for another uid")
            }
            Err(Refusal::Expired) => {
                metrics.tokens_refused.inc();
                answer_error(ctx, ServerError::TokenExpired, "the new token has expired")
            }
            Err(Refusal::Invalid(why)) => {
                metrics.tokens_refused.inc();
                answer_error(
                    ctx,
                    ServerError::Unauthorized,
                    &format!("the new token is refused: {why}"),
                )
            }
        }
    }
}

impl Filter for Authenticate {
    fn on_open(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        if let Some(v) = ctx.handshake().and_then(|h| h.verified.clone()) {
            accept(ctx, v);
        }
        if self.tokens.is_some() || self.require {
            let connect_by = (self.require && !ctx.identity().authenticated)
                .then(|| tokio::time::Instant::now() + self.connect_timeout);
            let task = tokio::spawn(expiry::watch(
                ctx.handle().clone(),
                ctx.conn().clone(),
                connect_by,
                self.grace,
            ));
            self.watchers().insert(ctx.conn_id(), task.abort_handle());
        }
        Ok(())
    }

    fn before_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        let command = ctx.command();
        if command == CONNECT {
            self.connect(ctx);
            ctx.finish();
        } else if command == REFRESH {
            self.refresh(ctx);
            ctx.finish();
        } else if self.require && !ctx.identity().authenticated {
            return Err(Reject::unauthorized(
                "this server requires a token: send connect with a token first",
            ));
        } else if let (Some(token), Some(tokens)) = (ctx.header(names::TOKEN), &self.tokens) {
            // A subscription token whose key set must be fetched first (checked in pubsub).
            if let Some(fetch) = tokens.key_fetch(token) {
                ctx.wait_for(fetch);
            }
        }
        Ok(())
    }

    fn on_close(&self, ctx: &mut Context<'_>) {
        if let Some(task) = self.watchers().remove(&ctx.conn_id()) {
            task.abort();
        }
    }
}

/// A verified connection token takes effect: the identity, the directory's uid
/// and info, the `channels` subscribed (without the namespace rules: the backend
/// that signed the token decided).
fn accept(ctx: &mut Context<'_>, v: Verified) {
    ctx.handle().metrics().tokens_accepted.inc();
    {
        let mut id = ctx.conn().identity_mut();
        id.authenticated = true;
        id.uid = v.uid.clone();
        id.expires = v.exp;
    }
    ctx.conn().deadlines_changed();
    let state = cluster::State::of(ctx.handle());
    {
        let mut local = state.local();
        if !v.uid.is_empty() {
            local.bind_uid(ctx.conn_id(), &v.uid);
        }
        if let Some(info) = v.info {
            local.set_info(ctx.conn_id(), info);
        }
    }
    for ch in &v.channels {
        if let Err(r) = ctx.subscribe(&[ch.as_str()]) {
            tracing::debug!(client = %ctx.client_id(), channel = %ch, code = %r.code, "a channel of the token could not be subscribed");
        }
    }
}

/// The ack of a `connect` or `refresh`, with the seconds left on the token.
fn ack(ctx: &mut Context<'_>, exp: Option<u64>) {
    let Some(id) = ctx.header(names::ID) else {
        return;
    };
    let mut extra = reply::AckExtra::default();
    if let Some(exp) = exp {
        extra
            .headers
            .push((EXPIRES_IN.to_string(), exp.saturating_sub(unix_now()).to_string()));
    }
    if ctx
        .conn()
        .outbox()
        .push(reply::ack_frame_with(id, None, &extra))
        .is_ok()
    {
        ctx.handle().metrics().messages_out.inc();
    }
}

/// An error reply to the request; the connection stays.
fn answer_error(ctx: &mut Context<'_>, code: ServerError, detail: &str) {
    let metrics = ctx.handle().metrics();
    metrics.error(code.as_str());
    let frame = reply::error_frame(code.as_str(), detail, Some(ctx.command()), ctx.header(names::ID));
    if ctx.conn().outbox().push(frame).is_ok() {
        metrics.messages_out.inc();
    }
}

/// A `connect` whose token is refused: its error reply, then the close (4003, or 4004 when expired).
fn refuse_connect(ctx: &mut Context<'_>, r: Refusal) {
    ctx.handle().metrics().tokens_refused.inc();
    let (code, close, detail) = match r {
        Refusal::Expired => (
            ServerError::TokenExpired,
            CloseCode::TokenExpired,
            "the token has expired".to_string(),
        ),
        Refusal::Invalid(why) => (
            ServerError::Unauthorized,
            CloseCode::TokenRefused,
            format!("the token is refused: {why}"),
        ),
    };
    let who = format!("the connect of {}", ctx.client_id());
    ctx.handle().warn_token_refused(&who, code, &detail);
    answer_error(ctx, code, &detail);
    ctx.close_with(close.code(), close.reason());
}
