//! Who may use the admin API: the token (constant-time compared) as a Bearer
//! header or a session cookie from `POST /admin/login`, and failed attempts
//! slowed down per address and logged (throttled, never with the token).

use super::Admin;
use crate::rate::Throttle;
use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use lhttp_core::ServerError;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "lhttp_admin";
/// How long a session lasts.
const SESSION: Duration = Duration::from_secs(3600);
/// The first failure's delay, doubled at each further one up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest delay of a failed attempt.
const MAX_DELAY: Duration = Duration::from_secs(4);
/// An address's failures are forgotten after this long without one.
const FORGET: Duration = Duration::from_secs(600);
/// Beyond this many addresses, the old ones are dropped.
const MAX_ADDRESSES: usize = 10_000;
/// Most sessions at once; the oldest go first.
const MAX_SESSIONS: usize = 1_000;

/// Sessions and failed attempts, in memory.
pub(crate) struct Auth {
    /// Session id to expiry.
    sessions: Mutex<HashMap<String, Instant>>,
    /// Per address: failures in a row, when the last one was, and when the
    /// last refusal is answered (the next one waits after it, so attempts
    /// made in parallel are slowed as much as attempts in a row).
    failures: Mutex<HashMap<IpAddr, (u32, Instant, Instant)>>,
    warning: Throttle,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            sessions: Mutex::default(),
            failures: Mutex::default(),
            warning: Throttle::new(Duration::from_secs(10)),
        }
    }
}

/// The delay of the `n`th failure in a row (from 1).
fn delay(n: u32) -> Duration {
    FIRST_DELAY
        .saturating_mul(1 << n.saturating_sub(1).min(8))
        .min(MAX_DELAY)
}

impl Auth {
    /// Counts a failure from `ip`; returns how long its answer waits: its
    /// delay, after the address's refusals still waiting.
    fn failed(&self, ip: IpAddr) -> Duration {
        let now = Instant::now();
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() >= MAX_ADDRESSES {
            f.retain(|_, (_, at, _)| now.duration_since(*at) < FORGET);
        }
        let e = f.entry(ip).or_insert((0, now, now));
        if now.duration_since(e.1) >= FORGET {
            e.0 = 0;
        }
        e.0 = e.0.saturating_add(1);
        e.1 = now;
        e.2 = e.2.max(now) + delay(e.0);
        e.2 - now
    }

    fn succeeded(&self, ip: IpAddr) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&ip);
    }

    /// A new session's id.
    fn open_session(&self) -> Option<String> {
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).ok()?;
        let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut s = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        s.retain(|_, until| *until > now);
        if s.len() >= MAX_SESSIONS {
            if let Some(oldest) = s.iter().min_by_key(|(_, until)| **until).map(|(k, _)| k.clone()) {
                s.remove(&oldest);
            }
        }
        s.insert(id.clone(), now + SESSION);
        Some(id)
    }

    fn has_session(&self, id: &str) -> bool {
        let s = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        s.get(id).is_some_and(|until| *until > Instant::now())
    }
}

/// Whether `given` is the admin token (time independent of where they differ).
fn is_token(admin: &Admin, given: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(given.as_bytes(), admin.token.as_bytes()).into()
}

/// The answer to a wrong token, after its delay: 401 with `Retry-After` (whole
/// seconds) and the delay applied in `retry_after_ms`. Logged, throttled.
async fn refuse(admin: &Admin, peer: SocketAddr, who: &str) -> Response<Full<Bytes>> {
    let wait = admin.auth.failed(peer.ip());
    if let Some(left_out) = admin.auth.warning.allow(Instant::now()) {
        tracing::warn!(
            %peer,
            who,
            delay_ms = wait.as_millis() as u64,
            similar_lines_left_out = left_out,
            "a wrong admin token was refused (each failure from an address waits longer); if it is yours, \
             check --admin-token / --admin-token-file ([admin] token, token_file)"
        );
    }
    tokio::time::sleep(wait).await;
    let body = serde_json::json!({
        "error": ServerError::Unauthorized.as_str(),
        "detail": "wrong admin token",
        "retry_after_ms": wait.as_millis() as u64,
    });
    let mut resp = crate::http::json_answer(StatusCode::UNAUTHORIZED, body.to_string());
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

/// 401 for a call without credentials (or with an expired session): not slowed.
fn unauthorized(detail: &str) -> Response<Full<Bytes>> {
    let mut resp = super::error(StatusCode::UNAUTHORIZED, ServerError::Unauthorized, Some(detail));
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

/// The login's body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    token: String,
}

/// `POST /admin/login` `{"token": "..."}`: a session cookie for the right token.
pub(crate) async fn login(admin: &Admin, peer: SocketAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match Limited::new(req.into_body(), 4096).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return super::error(StatusCode::PAYLOAD_TOO_LARGE, ServerError::MessageTooLarge, None),
    };
    let Ok(login) = serde_json::from_slice::<Login>(&body) else {
        return super::error(
            StatusCode::BAD_REQUEST,
            ServerError::BadRequest,
            Some("expected {\"token\": \"...\"}"),
        );
    };
    if !is_token(admin, &login.token) {
        return refuse(admin, peer, "POST /admin/login").await;
    }
    admin.auth.succeeded(peer.ip());
    let Some(id) = admin.auth.open_session() else {
        return super::error(StatusCode::SERVICE_UNAVAILABLE, ServerError::Internal, None);
    };
    let secure = if admin.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/admin; Max-Age={}{secure}",
        SESSION.as_secs()
    );
    let mut resp = super::ok(serde_json::json!({ "readonly": admin.readonly }));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// The session id of the request's `lhttp_admin` cookie.
fn session_cookie(req: &Request<Incoming>) -> Option<&str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// Checks an `/admin/api/*` call's credentials: a Bearer admin token or a live
/// session. `Err` is the answer to send (a wrong token's after its delay).
pub(crate) async fn check(
    admin: &Admin,
    peer: SocketAddr,
    req: &Request<Incoming>,
) -> Result<(), Response<Full<Bytes>>> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        if is_token(admin, token) {
            admin.auth.succeeded(peer.ip());
            return Ok(());
        }
        return Err(refuse(admin, peer, "an admin call's Authorization header").await);
    }
    match session_cookie(req) {
        Some(id) if admin.auth.has_session(id) => Ok(()),
        Some(_) => Err(unauthorized("the admin session has expired: log in again")),
        None => Err(unauthorized(
            "log in (POST /admin/login) or send Authorization: Bearer <admin token>",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_four_seconds() {
        let ms: Vec<u128> = (1..=7).map(|n| delay(n).as_millis()).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 4000, 4000]);
    }

    #[test]
    fn sessions_are_random_and_checked() {
        let a = Auth::default();
        let s1 = a.open_session().unwrap();
        let s2 = a.open_session().unwrap();
        assert_ne!(s1, s2);
        assert_eq!(s1.len(), 48);
        assert!(a.has_session(&s1));
        assert!(!a.has_session("nope"));
    }

    #[test]
    fn parallel_failures_wait_one_after_another() {
        let a = Auth::default();
        let ip: IpAddr = [10, 0, 0, 2].into();
        let first = a.failed(ip);
        let second = a.failed(ip);
        // Made at once, the second is answered after the first's delay and its own.
        assert!(
            second >= first + FIRST_DELAY * 2 - Duration::from_millis(50),
            "{second:?}"
        );
    }

    #[test]
    fn failures_grow_and_reset() {
        let a = Auth::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(a.failed(ip) <= FIRST_DELAY);
        a.failed(ip);
        a.succeeded(ip);
        assert!(a.failed(ip) <= FIRST_DELAY, "a right token resets the count");
    }
}
