//! A key set (JWKS) fetched from a URL: cached for an hour, fetched again when a
//! token names a `kid` the cache lacks (a backend rotated its keys), but at most
//! once every 10 seconds, so tokens with made-up `kid`s cannot make the server
//! hammer the key server.

use super::fetch;
use super::keys::parse_jwks;
use jsonwebtoken::jwk::JwkSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use url::Url;

/// How long a fetched key set is used before it is fetched again.
pub(crate) const CACHE_FOR: Duration = Duration::from_secs(3600);
/// The least time between two fetches.
pub(crate) const REFETCH_AFTER: Duration = Duration::from_secs(10);

/// A key set at a URL and its cached copy.
pub(crate) struct Remote {
    url: Url,
    tls: Option<Arc<lhttp_tls::ClientConfig>>,
    cache: RwLock<Cache>,
}

#[derive(Default)]
struct Cache {
    set: Option<Arc<JwkSet>>,
    /// When the set was fetched.
    fetched: Option<Instant>,
    /// When a fetch was last tried (successful or not).
    tried: Option<Instant>,
}

impl Remote {
    /// The key set at `url` (`http://` or `https://`), not fetched yet.
    pub(crate) fn new(url: Url) -> Result<Remote, String> {
        let tls = match url.scheme() {
            "https" => Some(lhttp_tls::client_config(None).map_err(|e| format!("token key set {url}: TLS: {e}"))?),
            "http" => None,
            other => return Err(format!("token key set {url}: unsupported scheme {other:?}")),
        };
        Ok(Remote {
            url,
            tls,
            cache: RwLock::default(),
        })
    }

    fn cache(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached key set, while it is fresh.
    pub(crate) fn set(&self) -> Option<Arc<JwkSet>> {
        let c = self.cache();
        c.set
            .clone()
            .filter(|_| c.fetched.is_some_and(|t| t.elapsed() < CACHE_FOR))
    }

    /// Whether a token with `kid` should wait for a fetch: the cache is stale or
    /// lacks `kid`, and the last try is long enough ago.
    pub(crate) fn wants_fetch(&self, kid: Option<&str>) -> bool {
        let c = self.cache();
        let fresh = c.fetched.is_some_and(|t| t.elapsed() < CACHE_FOR);
        let has = match (kid, &c.set) {
            (Some(kid), Some(set)) => set.find(kid).is_some(),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        (!fresh || !has) && c.tried.is_none_or(|t| t.elapsed() >= REFETCH_AFTER)
    }

    /// Fetches the key set again; on failure the old one (if any) stays in use.
    pub(crate) async fn fetch(&self) {
        {
            let mut c = self.cache.write().unwrap_or_else(|e| e.into_inner());
            if c.tried.is_some_and(|t| t.elapsed() < REFETCH_AFTER) {
                return;
            }
            c.tried = Some(Instant::now());
        }
        let got = fetch::get(&self.url, self.tls.clone())
            .await
            .and_then(|body| parse_jwks(&body, self.url.as_str()));
        match got {
            Ok(set) => {
                let mut c = self.cache.write().unwrap_or_else(|e| e.into_inner());
                c.set = Some(Arc::new(set));
                c.fetched = Some(Instant::now());
                tracing::debug!(url = %self.url, "token key set fetched");
            }
            Err(e) => tracing::warn!(url = %self.url, error = %e, "token key set could not be fetched"),
        }
    }
}
