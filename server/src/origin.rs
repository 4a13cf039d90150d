//! Which web pages may open a WebSocket to this server. Browsers send every
//! page's `Origin` with its upgrade and let any page connect anywhere, cookies
//! included, so without this check any site a user visits could talk to the
//! server as that user (cross-site WebSocket hijacking). Same-origin pages and
//! clients that send no `Origin` (programs, not browsers) are let in; other
//! origins only when the operator lists them.

/// The origins allowed besides the server's own, normalized.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    any: bool,
    listed: Vec<String>,
}

impl Origins {
    /// The allow-list `allowed` (as `Config::allowed_origins` holds it).
    pub fn new(allowed: &[String]) -> Origins {
        Origins {
            any: allowed.iter().any(|o| o.trim() == "*"),
            listed: allowed.iter().map(|o| normalize(o)).collect(),
        }
    }

    /// Checks one allow-list entry: `*`, `null`, or `scheme://host[:port]` with no path.
    pub fn check(entry: &str) -> Result<(), String> {
        let e = normalize(entry);
        if e == "*" || e == "null" {
            return Ok(());
        }
        let bad = || {
            format!(
                "allowed origin {entry:?}: expected scheme://host[:port] (e.g. https://chat.example.com), * or null"
            )
        };
        let (scheme, authority) = e.split_once("://").ok_or_else(bad)?;
        let scheme_ok = !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !scheme_ok || authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(bad());
        }
        Ok(())
    }

    /// Whether a WebSocket upgrade with this `Origin` header (if any) to this
    /// `Host` header (if any) may go ahead.
    pub fn allows(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        if self.any {
            return true;
        }
        let origin = normalize(origin);
        if self.listed.contains(&origin) {
            return true;
        }
        // Same origin: the page came from the host the upgrade is addressed to.
        let authority = origin.split_once("://").map(|(_, a)| a);
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h.trim()))
    }
}

/// Lower case, without surrounding spaces or a trailing slash.
fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_and_no_origin_pass_others_need_listing() {
        let none = Origins::new(&[]);
        assert!(none.allows(None, Some("127.0.0.1:8081")));
        assert!(none.allows(Some("http://127.0.0.1:8081"), Some("127.0.0.1:8081")));
        assert!(none.allows(Some("HTTPS://Chat.Example.com"), Some("chat.example.com")));
        assert!(!none.allows(Some("http://evil.example"), Some("127.0.0.1:8081")));
        assert!(!none.allows(Some("null"), Some("127.0.0.1:8081")));
        assert!(!none.allows(Some("http://127.0.0.1:9999"), Some("127.0.0.1:8081")));
        assert!(!none.allows(Some("http://127.0.0.1:8081"), None));

        let listed = Origins::new(&["https://app.example/".into(), "null".into()]);
        assert!(listed.allows(Some("https://APP.example"), Some("api.example")));
        assert!(listed.allows(Some("null"), Some("api.example")));
        assert!(!listed.allows(Some("http://app.example"), Some("api.example")));
        assert!(Origins::new(&["*".into()]).allows(Some("http://anything"), None));
    }

    #[test]
    fn entries_are_origins_not_urls() {
        for ok in [
            "*",
            "null",
            "https://chat.example.com",
            "http://127.0.0.1:8081",
            "app://x",
        ] {
            assert!(Origins::check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "chat.example.com",
            "https://x/path",
            "https://",
            "://x",
            "https://u@x",
            "https://x?q",
        ] {
            assert!(Origins::check(bad).is_err(), "{bad}");
        }
    }
}
