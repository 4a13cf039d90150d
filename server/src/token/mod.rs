//! Verifying connection and subscription tokens (spec/PROTOCOL.md 14.1): the keys
//! the operator configured, the checks of a JWT (signature with a key of its
//! algorithm's kind, `exp` and `nbf` within a small leeway, audience and issuer),
//! and what a token that passes says. Nothing here logs or keeps a token.
//!
//! Module map:
//! - `keys`: the configured keys and the choice of key for a token.
//! - `claims`: the claims lhttp reads, [`Verified`] and [`Grant`], and [`Refusal`].
//! - `jwks`: a key set fetched from a URL, cached and fetched again on an unknown `kid`.
//! - `fetch`: the one HTTP `GET` of that key set.

mod claims;
mod fetch;
mod jwks;
mod keys;

pub use claims::{Grant, Refusal, Verified};

use crate::config::TokenConfig;
use claims::Claims;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, decode_header, Validation};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The leeway on `exp` and `nbf`, in seconds: clock skew between the backend
/// that signs and this server. Small, so an expired token is not accepted for long.
pub const LEEWAY_SECS: u64 = 5;

/// A fetch of the key set that a message waits for before it is handled.
pub(crate) type KeyFetch = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The verifier of a server's tokens. Cheap to share (`Arc`), built once.
pub struct Tokens {
    keys: keys::Keys,
    remote: Option<Arc<jwks::Remote>>,
    audience: Option<String>,
    issuer: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").finish_non_exhaustive()
    }
}

impl Tokens {
    /// Loads the keys `config` names; `None` when it names none. An error names
    /// the setting that cannot be used (never the secret itself).
    pub fn load(config: &TokenConfig) -> Result<Option<Tokens>, String> {
        if !config.has_keys() {
            return Ok(None);
        }
        let mut keys = keys::Keys::default();
        let secret = match (&config.hmac_secret, &config.hmac_secret_file) {
            (Some(s), _) => Some(s.as_bytes().to_vec()),
            (None, Some(path)) => {
                let text =
                    std::fs::read(path).map_err(|e| format!("token HMAC secret file {}: {e}", path.display()))?;
                let end = text
                    .iter()
                    .rposition(|b| !matches!(b, b'\r' | b'\n'))
                    .map_or(0, |i| i + 1);
                if end == 0 {
                    return Err(format!("token HMAC secret file {}: empty", path.display()));
                }
                Some(text[..end].to_vec())
            }
            (None, None) => None,
        };
        if let Some(secret) = secret {
            keys.add_secret(&secret)?;
        }
        for path in &config.public_keys {
            keys.add_pem(path)?;
        }
        let mut remote = None;
        if let Some(jwks) = &config.jwks {
            if jwks.starts_with("http://") || jwks.starts_with("https://") {
                let url = url::Url::parse(jwks).map_err(|e| format!("token key set {jwks}: {e}"))?;
                remote = Some(Arc::new(jwks::Remote::new(url)?));
            } else {
                let text = std::fs::read(jwks).map_err(|e| format!("token key set {jwks}: {e}"))?;
                keys.set_jwks(keys::parse_jwks(&text, jwks)?);
            }
        }
        Ok(Some(Tokens {
            keys,
            remote,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
        }))
    }

    /// Verifies a connection token (14.1, 14.2).
    pub fn connection(&self, token: &str) -> Result<Verified, Refusal> {
        self.claims(token)?.connection()
    }

    /// Verifies a subscription token (14.7).
    pub fn subscription(&self, token: &str) -> Result<Grant, Refusal> {
        self.claims(token)?.subscription()
    }

    /// The fetch of the key set that `token` should wait for: a key set URL is
    /// configured, the token's `kid` is neither in the files nor in a fresh
    /// cache, and the last fetch is long enough ago. `None` otherwise.
    pub(crate) fn key_fetch(&self, token: &str) -> Option<KeyFetch> {
        let remote = self.remote.as_ref()?;
        let header = decode_header(token).ok()?;
        if header.kid.as_deref().is_some_and(|k| self.keys.has_kid(k)) {
            return None;
        }
        if !remote.wants_fetch(header.kid.as_deref()) {
            return None;
        }
        let remote = remote.clone();
        Some(Box::pin(async move { remote.fetch().await }))
    }

    /// Fetches a key set URL once at start, so the first tokens need not wait (a
    /// failure is logged; tokens then fetch it again).
    pub(crate) async fn warm_up(&self) {
        if let Some(r) = &self.remote {
            r.fetch().await;
        }
    }

    fn claims(&self, token: &str) -> Result<Claims, Refusal> {
        let header = decode_header(token).map_err(|_| {
            Refusal::Invalid("not a well-formed JWT with a supported algorithm (alg none is never accepted)".into())
        })?;
        let remote = self.remote.as_ref().and_then(|r| r.set());
        let key = self
            .keys
            .choose(header.alg, header.kid.as_deref(), remote.as_deref())
            .map_err(Refusal::Invalid)?;
        let mut v = Validation::new(header.alg);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        // `exp` is optional (a token without it does not expire), as in Centrifugo.
        v.required_spec_claims = HashSet::new();
        v.validate_aud = self.audience.is_some();
        if let Some(aud) = &self.audience {
            v.set_audience(&[aud]);
            v.required_spec_claims.insert("aud".into());
        }
        if let Some(iss) = &self.issuer {
            v.set_issuer(&[iss]);
            v.required_spec_claims.insert("iss".into());
        }
        decode::<Claims>(token, &key, &v)
            .map(|data| data.claims)
            .map_err(|e| refusal(e.kind()))
    }
}

/// What a failed check is called in a refusal's detail.
fn refusal(kind: &ErrorKind) -> Refusal {
    let why = match kind {
        ErrorKind::ExpiredSignature => return Refusal::Expired,
        ErrorKind::InvalidSignature => "the signature does not verify",
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not fit the key",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::InvalidAudience => "the token is for another audience (aud)",
        ErrorKind::InvalidIssuer => "the token is from another issuer (iss)",
        ErrorKind::MissingRequiredClaim(c) if c == "aud" => "the token has no audience (aud)",
        ErrorKind::MissingRequiredClaim(c) if c == "iss" => "the token has no issuer (iss)",
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "the token's claims are not of the expected types",
        _ => "the token is not a well-formed, verifiable JWT",
    };
    Refusal::Invalid(why.to_string())
}
