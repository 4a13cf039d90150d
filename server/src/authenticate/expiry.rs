//! One task per connection on a server with tokens: it sleeps until the next
//! deadline (or until a deadline changes) and ends what expired: a connection
//! that did not authenticate in time (4005), a connection whose token's `exp`
//! plus the grace passed (4004), a subscription whose token did (unsubscribed,
//! with a `TokenExpired` error naming the channel, spec 14.7).

use crate::conn::Conn;
use crate::handle::Handle;
use crate::reply;
use lhttp_core::{names, CloseCode, ServerError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Watches `conn` until it closes (the filter aborts the task then).
pub(super) async fn watch(handle: Handle, conn: Arc<Conn>, connect_by: Option<Instant>, grace: Duration) {
    loop {
        if conn.is_closing() {
            return;
        }
        let id = conn.identity();
        let now = Instant::now();
        if let Some(by) = connect_by.filter(|_| !id.authenticated) {
            if now >= by {
                let c = CloseCode::Unauthenticated;
                handle.close(&conn, c.code(), c.reason());
                return;
            }
        }
        if id.expires.is_some_and(|exp| past(exp, grace)) {
            let c = CloseCode::TokenExpired;
            handle.close(&conn, c.code(), c.reason());
            return;
        }
        let ended: Vec<String> = id
            .subscriptions
            .iter()
            .filter(|(_, exp)| past(**exp, grace))
            .map(|(ch, _)| ch.clone())
            .collect();
        for ch in &ended {
            conn.identity_mut().subscriptions.remove(ch);
            handle.unsubscribe(&conn, ch);
            let frame = reply::channel_error_frame(
                ServerError::TokenExpired.as_str(),
                "the subscription token expired; subscribe again with a new one",
                // The subscribe it ends (the command word is the header's).
                Some(names::SUBSCRIBE),
                None,
                Some(ch),
            );
            handle.metrics().error(ServerError::TokenExpired.as_str());
            if conn.outbox().push(frame).is_ok() {
                handle.metrics().messages_out.inc();
            }
        }
        // The next deadline: the connect timeout, then every token's exp plus grace.
        let mut next = connect_by.filter(|_| !id.authenticated);
        let expiries = id.expires.into_iter().chain(
            id.subscriptions
                .iter()
                .filter(|(ch, _)| !ended.contains(ch))
                .map(|(_, e)| *e),
        );
        for exp in expiries {
            let at = now + until(exp, grace);
            next = Some(next.map_or(at, |n: Instant| n.min(at)));
        }
        match next {
            Some(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = conn.deadline_change() => {}
                }
            }
            None => conn.deadline_change().await,
        }
    }
}

/// Whether `exp` (Unix seconds) plus `grace` has passed.
fn past(exp: u64, grace: Duration) -> bool {
    until(exp, grace).is_zero()
}

/// How long until `exp` (Unix seconds) plus `grace`.
fn until(exp: u64, grace: Duration) -> Duration {
    let at = UNIX_EPOCH + Duration::from_secs(exp) + grace;
    at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO)
}
