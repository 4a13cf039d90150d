//! The per-message (and per-connection) context handed to processors and
//! filters: the request as core parsed it, the reply being built, and the
//! actions a handler may take (send, publish, subscribe, close).

use crate::conn::Conn;
use crate::handle::Later;
use crate::handle::{Handle, Subscribed};
use crate::history::Pending;
use crate::reject::Reject;
use crate::reply::{self, AckExtra};
use bytes::Bytes;
use lhttp_core::owned::with_header_storage;
use lhttp_core::position::Position;
use lhttp_core::{names, CloseCode, Header, Message, Part};
use std::sync::Arc;

/// The HTTP upgrade request of a connection, available during `on_open`.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// Path and query the client connected to.
    pub uri: http::Uri,
    /// The upgrade request's HTTP headers (without an `Authorization` carrying a
    /// connection token: the server verified it, and a credential is never kept).
    pub headers: http::HeaderMap,
    /// The peer's address.
    pub peer: std::net::SocketAddr,
    /// The connection token of the `Authorization` header, verified (spec 14.2).
    pub(crate) verified: Option<crate::token::Verified>,
}

/// One part of a multipart body, with its headers read by core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartView<'a> {
    /// Offsets of the part in the message body.
    pub part: Part,
    /// The part's headers, in order.
    pub headers: Vec<Header<'a>>,
    /// The part's body.
    pub body: &'a [u8],
}

impl<'a> PartView<'a> {
    /// The first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

/// What a processor or filter sees and can do.
pub struct Context<'a> {
    handle: &'a Handle,
    conn: &'a Arc<Conn>,
    request: Option<Message<'a, 'a>>,
    handshake: Option<&'a Handshake>,
    reply_command: Option<String>,
    reply_headers: Option<Vec<(String, String)>>,
    reply_body: Option<Vec<u8>>,
    /// Local deliveries of this message's publish, reported in the ack.
    deliveries: Option<usize>,
    /// What the ack carries besides `id` and `deliveries`.
    ack: AckExtra,
    /// Work the ack waits for (a shared history store's round trips): each adds
    /// to the ack, or fails the request.
    later: Vec<Pending<Result<AckExtra, Reject>>>,
    /// A filter answered the request itself: nothing more runs, no ack is sent.
    finished: bool,
    /// Whether a filter may have the request wait for a key fetch (not on its second run).
    may_wait: bool,
    /// The key fetch the request waits for before it runs again.
    wait: Option<crate::token::KeyFetch>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        handle: &'a Handle,
        conn: &'a Arc<Conn>,
        request: Option<Message<'a, 'a>>,
        handshake: Option<&'a Handshake>,
    ) -> Self {
        Context {
            handle,
            conn,
            request,
            handshake,
            reply_command: None,
            reply_headers: None,
            reply_body: None,
            deliveries: None,
            ack: AckExtra::default(),
            later: Vec::new(),
            finished: false,
            may_wait: true,
            wait: None,
        }
    }

    /// The request is answered (a built-in filter sent its own reply): no later
    /// filter or processor runs and no ack is sent.
    pub(crate) fn finish(&mut self) {
        self.finished = true;
    }

    /// Whether [`finish`](Self::finish) was called.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Has the request wait for `fetch` (a key set a token needs), then run again
    /// from the start; `false` when it ran once already and must go on without.
    pub(crate) fn wait_for(&mut self, fetch: crate::token::KeyFetch) -> bool {
        if !self.may_wait {
            return false;
        }
        self.wait = Some(fetch);
        self.finished = true;
        true
    }

    /// The key fetch a filter asked the request to wait for.
    pub(crate) fn take_wait(&mut self) -> Option<crate::token::KeyFetch> {
        self.wait.take()
    }

    /// Marks this run as the second one, after a wait: no more waiting.
    pub(crate) fn no_more_waiting(&mut self) {
        self.may_wait = false;
    }

    /// The uid from the connection's token, if it has one (spec 14.2): what the
    /// built-in permissions check, and a user's filter may check too.
    pub fn uid(&self) -> Option<String> {
        self.conn.uid()
    }

    /// Who the connection is, from its tokens.
    pub fn identity(&self) -> crate::identity::Identity {
        self.conn.identity()
    }

    /// The server handle (publish anywhere, look up other connections).
    pub fn handle(&self) -> &Handle {
        self.handle
    }

    /// The connection's number on this node.
    pub fn conn_id(&self) -> u64 {
        self.conn.id()
    }

    /// The connection's cluster-unique client id.
    pub fn client_id(&self) -> &str {
        self.conn.client_id()
    }

    /// The connection itself (to keep for later sends, e.g. from a spawned task).
    pub fn conn(&self) -> &Arc<Conn> {
        self.conn
    }

    /// The upgrade request, during `on_open` only.
    pub fn handshake(&self) -> Option<&'a Handshake> {
        self.handshake
    }

    /// The parsed request (`None` in `on_open` and `on_close`).
    pub fn request(&self) -> Option<&Message<'a, 'a>> {
        self.request.as_ref()
    }

    /// The request's command (empty in `on_open` and `on_close`).
    pub fn command(&self) -> &'a str {
        self.request.map_or("", |m| m.command)
    }

    /// The first request header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.request.and_then(|m| m.header(name))
    }

    /// The request's headers in order.
    pub fn headers(&self) -> &'a [Header<'a>] {
        self.request.map_or(&[], |m| m.headers)
    }

    /// The request's body.
    pub fn body(&self) -> &'a [u8] {
        self.request.map_or(&[], |m| m.body)
    }

    /// The request's body as text, when it is UTF-8.
    pub fn body_str(&self) -> Option<&'a str> {
        self.request.and_then(|m| m.body_str())
    }

    /// The parts of a multipart request, read by core (empty without a `multipart` header).
    pub fn parts(&self) -> Result<Vec<PartView<'a>>, lhttp_core::Error> {
        let Some(msg) = self.request else {
            return Ok(Vec::new());
        };
        let Some(parts) = msg.parts() else {
            return Ok(Vec::new());
        };
        parts
            .map(|part| {
                let part = part?;
                // Core's storage: grown as needed, up to `owned::MAX_HEADERS` headers a part.
                with_header_storage(None, |storage| {
                    let p = part.parse(msg.body, storage)?;
                    Ok(PartView {
                        part,
                        headers: p.headers.to_vec(),
                        body: p.body,
                    })
                })
            })
            .collect()
    }

    /// Sets the reply's command (it defaults to the request's).
    pub fn set_command(&mut self, command: &str) {
        self.reply_command = Some(command.to_string());
    }

    /// The reply's command.
    pub fn reply_command(&self) -> &str {
        self.reply_command.as_deref().unwrap_or_else(|| self.command())
    }

    /// Sets a reply header: replaces the first header with that name, or adds it.
    /// The reply starts with the request's headers, as in the original lhttp.
    pub fn add_header(&mut self, name: &str, value: &str) {
        let headers = self.reply_headers_mut();
        match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(h) => h.1 = value.to_string(),
            None => headers.push((name.to_string(), value.to_string())),
        }
    }

    /// Removes every reply header called `name`.
    pub fn remove_header(&mut self, name: &str) {
        self.reply_headers_mut().retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The reply's headers.
    pub fn reply_headers(&self) -> Vec<(&str, &str)> {
        match &self.reply_headers {
            Some(h) => h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
            None => self.headers().iter().map(|h| (h.name, h.value)).collect(),
        }
    }

    /// Sets the body used when the message is published (defaults to the request's).
    pub fn set_body(&mut self, body: impl Into<Vec<u8>>) {
        self.reply_body = Some(body.into());
    }

    /// The body that a publish of this message carries.
    pub fn reply_body(&self) -> &[u8] {
        self.reply_body.as_deref().unwrap_or_else(|| self.body())
    }

    fn reply_headers_mut(&mut self) -> &mut Vec<(String, String)> {
        if self.reply_headers.is_none() {
            let copy = self
                .headers()
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_string()))
                .collect();
            self.reply_headers = Some(copy);
        }
        self.reply_headers.get_or_insert_with(Vec::new)
    }

    /// Encodes the reply (its command and headers, minus headers named in `skip`) with `body`.
    pub fn encode_reply(&self, body: &[u8], skip: &[&str]) -> Result<Bytes, lhttp_core::Error> {
        let pairs = self.reply_headers();
        let headers: Vec<Header<'_>> = pairs
            .iter()
            .filter(|(n, _)| !skip.iter().any(|s| s.eq_ignore_ascii_case(n)))
            .map(|&(name, value)| Header { name, value })
            .collect();
        reply::encode_bytes(self.reply_command(), &headers, body)
    }

    /// Sends `body` to this connection with the reply's command and headers.
    pub fn send(&mut self, body: &[u8]) -> Result<(), lhttp_core::Error> {
        let bytes = self.encode_reply(body, &[])?;
        self.send_bytes(bytes);
        Ok(())
    }

    /// Sends an already encoded message to this connection.
    pub fn send_bytes(&self, message: Bytes) {
        self.handle.send_to(self.conn, message);
    }

    /// Publishes `body` with the reply's command and headers to `channels` on
    /// every node (built-in instruction headers are left out); returns local deliveries.
    pub fn publish(&mut self, channels: &[&str], body: &[u8]) -> Result<usize, lhttp_core::Error> {
        let bytes = self.encode_reply(body, &names::INSTRUCTIONS)?;
        Ok(self.publish_bytes(channels, bytes))
    }

    /// Publishes encoded `bytes`; a channel a shared store keeps makes the ack
    /// wait for its append, so a failed one is this request's error reply.
    fn publish_bytes(&mut self, channels: &[&str], bytes: Bytes) -> usize {
        let (out, pending) = self.handle.publish_later(channels, bytes);
        for (_, p) in pending {
            self.defer(Box::pin(async move { p.await.map(|_| AckExtra::default()) }));
        }
        out.deliveries
    }

    /// Makes the ack wait for `work`, whose headers and parts it then carries
    /// after this context's own (a failure is the request's error reply instead).
    pub(crate) fn defer(&mut self, work: Pending<Result<AckExtra, Reject>>) {
        self.later.push(work);
    }

    /// The work the ack waits for, taken out (the pipeline runs it).
    pub(crate) fn take_later(&mut self) -> Vec<Pending<Result<AckExtra, Reject>>> {
        std::mem::take(&mut self.later)
    }

    /// Publishes the reply (command, headers and body as left by the processor)
    /// to `channels` on every node; returns local deliveries.
    pub fn publish_reply(&mut self, channels: &[&str]) -> Result<usize, lhttp_core::Error> {
        let bytes = self.encode_reply(self.reply_body(), &names::INSTRUCTIONS)?;
        Ok(self.publish_bytes(channels, bytes))
    }

    /// Sets the `deliveries` count the ack of this message reports (a publish's
    /// local deliveries; the built-in `publish` header sets it).
    pub fn set_deliveries(&mut self, n: usize) {
        self.deliveries = Some(n);
    }

    /// The `deliveries` count the ack of this message will report, if any.
    pub fn deliveries(&self) -> Option<usize> {
        self.deliveries
    }

    /// Adds a header to the ack of this message (after `id` and `deliveries`, in
    /// the order added; several of one name are kept): how the built-in
    /// headers report positions and recovery (13.3, 13.4).
    pub fn add_ack_header(&mut self, name: &str, value: &str) {
        self.ack.headers.push((name.to_string(), value.to_string()));
    }

    /// Gives the ack of this message a multipart body with these parts (each its
    /// headers and body; none: no body), as a history read answers (13.5).
    pub fn set_ack_parts(&mut self, parts: Vec<lhttp_core::owned::PartSpec>) {
        self.ack.parts = parts;
    }

    /// Gives the ack of this message a plain body (ignored when it has parts), as
    /// a presence query answers its members (15.2).
    pub fn set_ack_body(&mut self, body: impl Into<Vec<u8>>) {
        self.ack.body = body.into();
    }

    /// What the ack of this message carries besides `id` and `deliveries`.
    pub(crate) fn ack_extra(&self) -> &AckExtra {
        &self.ack
    }

    /// Subscribes this connection to `channel`, recovering the publications
    /// after `since` on a channel with history ([`Handle::subscribe_since`]).
    ///
    /// On a channel a shared store (JetStream) keeps, the join ends after this
    /// returns: the ack waits for it, and the answer has no position yet.
    pub fn subscribe_since(&mut self, channel: &str, since: Option<Position<'_>>) -> Result<Subscribed, Reject> {
        match self.handle.subscribe_later(self.conn, channel, since) {
            Later::Ready(r) => r,
            Later::Pending(p) => {
                self.defer(Box::pin(async move { p.await.map(|_| AckExtra::default()) }));
                Ok(Subscribed {
                    new: true,
                    position: None,
                    recovered: None,
                })
            }
        }
    }

    /// Subscribes this connection to `channels` (idempotent).
    pub fn subscribe(&mut self, channels: &[&str]) -> Result<(), Reject> {
        channels
            .iter()
            .try_for_each(|ch| self.subscribe_since(ch, None).map(|_| ()))
    }

    /// Unsubscribes this connection from `channels`.
    pub fn unsubscribe(&mut self, channels: &[&str]) {
        for ch in channels {
            self.handle.unsubscribe(self.conn, ch);
        }
    }

    /// Closes this connection normally.
    pub fn close(&mut self) {
        self.handle
            .close(self.conn, CloseCode::Normal.code(), crate::outbox::CLOSED_BY_THE_SERVER);
    }

    /// Closes this connection with a close code and reason.
    pub fn close_with(&mut self, code: u16, reason: &str) {
        self.handle.close(self.conn, code, reason);
    }
}
