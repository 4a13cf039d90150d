//! The application's token callbacks (spec 14): async closures the driver calls
//! when the session asks for a connection token (on connect, on reconnect,
//! before expiry) or a channel's subscription token. When to call them is the
//! session's decision; this module only runs them and hands back the answer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::Error;

/// A boxed future of a callback's answer.
pub type TokenFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;

type ConnectionFn = dyn Fn() -> TokenFuture<String> + Send + Sync;
type SubscriptionFn = dyn Fn(String) -> TokenFuture<Option<String>> + Send + Sync;

/// Gets a connection token, e.g. from the application's backend.
#[derive(Clone)]
pub struct TokenCallback(pub(crate) Arc<ConnectionFn>);

/// Gets the subscription token of a channel (`None`: it needs none).
#[derive(Clone)]
pub struct SubscriptionTokenCallback(pub(crate) Arc<SubscriptionFn>);

impl TokenCallback {
    /// A callback from an async closure.
    ///
    /// ```
    /// let cb = lhttp_client::TokenCallback::new(|| async { Ok("a.jwt.token".to_string()) });
    /// # let _ = cb;
    /// ```
    pub fn new<F, Fut>(f: F) -> TokenCallback
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, Error>> + Send + 'static,
    {
        TokenCallback(Arc::new(move || Box::pin(f())))
    }
}

impl SubscriptionTokenCallback {
    /// A callback from an async closure taking the channel.
    pub fn new<F, Fut>(f: F) -> SubscriptionTokenCallback
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<String>, Error>> + Send + 'static,
    {
        SubscriptionTokenCallback(Arc::new(move |channel| Box::pin(f(channel))))
    }
}

impl fmt::Debug for TokenCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCallback")
    }
}

impl fmt::Debug for SubscriptionTokenCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubscriptionTokenCallback")
    }
}

impl PartialEq for TokenCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for TokenCallback {}

impl PartialEq for SubscriptionTokenCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SubscriptionTokenCallback {}

/// What the session asked the driver for.
#[derive(Debug)]
pub(crate) enum Need {
    /// A connection token.
    Token,
    /// A channel's subscription token.
    SubscriptionToken(String),
}
