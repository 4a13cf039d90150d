//! Token callbacks (spec 14) for a JavaScript async function, pulled rather than
//! pushed: `lib/client.js` makes a [`TokenRequests`], hands it to `connect`, and
//! loops on [`TokenRequests::next`]; each [`TokenRequest`] it gets (a connection
//! token, or the subscription token of `channel`) it answers with the application's
//! `getToken()` / `getSubscriptionToken(channel)` through `resolve` or `reject`.
//! The Rust client's callbacks only send the request and wait for that answer; when
//! to ask is the session's decision. The loop ends (`next()` gives `null`) once the
//! client is gone, since the callbacks it held were the only senders.

use std::sync::{Arc, Mutex};

use lhttp_client::{Error, SubscriptionTokenCallback, TokenCallback};
use napi::bindgen_prelude::{Env, PromiseRaw};
use napi_derive::napi;
use tokio::sync::{mpsc, oneshot};

/// An answer: the token (`None`: a channel needing none), or why there is none.
type Answer = Result<Option<String>, String>;

/// One question to JavaScript.
struct Ask {
    channel: Option<String>,
    answer: oneshot::Sender<Answer>,
}

/// The questions of one client's token callbacks, for `lib/client.js` to answer.
#[napi]
pub struct TokenRequests {
    /// Taken by `connect`, which gives it to the callbacks.
    tx: Mutex<Option<mpsc::UnboundedSender<Ask>>>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Ask>>>,
    connection: bool,
    subscription: bool,
}

#[napi]
impl TokenRequests {
    /// Requests for connection tokens (`connection`) and/or subscription tokens.
    #[napi(constructor)]
    pub fn new(connection: bool, subscription: bool) -> TokenRequests {
        let (tx, rx) = mpsc::unbounded_channel();
        TokenRequests {
            tx: Mutex::new(Some(tx)),
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
            connection,
            subscription,
        }
    }

    /// The next request, or `null` once the client is gone.
    #[napi(ts_return_type = "Promise<TokenRequest | null>")]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<TokenRequest>>> {
        let rx = self.rx.clone();
        env.spawn_future(async move {
            Ok(rx.lock().await.recv().await.map(|ask| TokenRequest {
                channel: ask.channel,
                answer: Mutex::new(Some(ask.answer)),
            }))
        })
    }
}

impl TokenRequests {
    /// The Rust client's callbacks asking through these requests (`None` each when not
    /// asked for, or when a `connect` already took them).
    pub(crate) fn callbacks(&self) -> (Option<TokenCallback>, Option<SubscriptionTokenCallback>) {
        let Some(tx) = self.tx.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return (None, None);
        };
        let connection = self.connection.then(|| {
            let tx = tx.clone();
            TokenCallback::new(move || {
                let asked = ask(&tx, None);
                async move {
                    asked
                        .await?
                        .ok_or_else(|| Error::Io("the token callback gave no token".into()))
                }
            })
        });
        let subscription = self
            .subscription
            .then(|| SubscriptionTokenCallback::new(move |channel| ask(&tx, Some(channel))));
        (connection, subscription)
    }
}

/// Sends a request and waits for JavaScript's answer.
fn ask(
    tx: &mpsc::UnboundedSender<Ask>,
    channel: Option<String>,
) -> impl std::future::Future<Output = Result<Option<String>, Error>> + Send + 'static {
    let (answer, answered) = oneshot::channel();
    let sent = tx.send(Ask { channel, answer }).is_ok();
    async move {
        let gone = || Error::Io("the token callback did not answer".into());
        if !sent {
            return Err(gone());
        }
        answered.await.map_err(|_| gone())?.map_err(Error::Io)
    }
}

/// One request for a token: answer it once, with `resolve` or `reject`.
#[napi]
pub struct TokenRequest {
    channel: Option<String>,
    answer: Mutex<Option<oneshot::Sender<Answer>>>,
}

#[napi]
impl TokenRequest {
    /// The channel whose subscription token is asked for; `null` for a connection token.
    #[napi(getter)]
    pub fn channel(&self) -> Option<String> {
        self.channel.clone()
    }

    /// The token (`null` for a channel that needs none).
    #[napi]
    pub fn resolve(&self, token: Option<String>) {
        self.send(Ok(token));
    }

    /// No token: `reason` says why (never the token).
    #[napi]
    pub fn reject(&self, reason: String) {
        self.send(Err(reason));
    }
}

impl TokenRequest {
    fn send(&self, answer: Answer) {
        if let Some(tx) = self.answer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(answer);
        }
    }
}
