//! Why a filter, a channel hook or the handle refused a connection, a message or
//! a subscription. A leaf type: the handle's subscribe and the filters both
//! return it, and the pipeline turns it into an `error` reply.

use std::borrow::Cow;

/// Why a filter refused a connection or a message. The client gets an `error`
/// reply with `code` and `detail` (or, from `on_open`, a close with code 1008).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The error name sent as the reply's `code` header (e.g. `Forbidden`).
    pub code: Cow<'static, str>,
    /// A human explanation sent as the reply's `detail` header.
    pub detail: String,
    /// The channel the refusal is about, sent as the reply's `channel` header (spec 8.3).
    pub channel: Option<String>,
}

impl Reject {
    /// A rejection with any code.
    pub fn new(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Reject {
            code: code.into(),
            detail: detail.into(),
            channel: None,
        }
    }

    /// This rejection, about `channel`.
    pub fn for_channel(mut self, channel: &str) -> Self {
        self.channel = Some(channel.to_string());
        self
    }

    /// An `Unauthorized` rejection (a token that does not verify, or none where one is needed).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Reject::new(lhttp_core::ServerError::Unauthorized.as_str(), detail)
    }

    /// A `Forbidden` rejection.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Reject::new(lhttp_core::ServerError::Forbidden.as_str(), detail)
    }
}

impl From<lhttp_core::Error> for Reject {
    fn from(e: lhttp_core::Error) -> Self {
        Reject::new(e.as_str(), e.description())
    }
}
