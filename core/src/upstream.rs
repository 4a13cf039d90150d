//! The `upstream:<METHOD> <URL>` header, which asks the server to forward the
//! message to an HTTP backend. Whether the URL is allowed is the server's call.

use crate::header::is_token_str;
use crate::Error;

/// A parsed `upstream` header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream<'b> {
    /// The HTTP method, a token such as `GET` or `POST`, as sent.
    pub method: &'b str,
    /// The URL, without spaces.
    pub url: &'b str,
}

impl<'b> Upstream<'b> {
    /// Reads `<METHOD> <URL>`: a token, one or more spaces, a URL without spaces.
    ///
    /// ```
    /// use lhttp_core::Upstream;
    /// let u = Upstream::parse("POST http://127.0.0.1:9000/record").unwrap();
    /// assert_eq!((u.method, u.url), ("POST", "http://127.0.0.1:9000/record"));
    /// ```
    pub fn parse(value: &'b str) -> Result<Upstream<'b>, Error> {
        let (method, rest) = value.split_once([' ', '\t']).ok_or(Error::Upstream)?;
        let url = rest.trim_matches([' ', '\t']);
        if !is_token_str(method.as_bytes()) || url.is_empty() || url.contains([' ', '\t']) {
            return Err(Error::Upstream);
        }
        Ok(Upstream { method, url })
    }
}
