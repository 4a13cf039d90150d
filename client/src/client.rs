//! The async client handle. Every call is a call on the shared session (the
//! `shared` module), which the driver (the `task` module) carries out on the
//! socket; a `Client` is `Send + Sync` and may be used from any thread or
//! runtime once connected.

use std::sync::Arc;

use lhttp_session::{History, OwnedPosition, Presence, PresenceStats, Recovery, RequestId, Session};
use tokio::sync::oneshot;

use crate::shared::{Answer, Shared, State};
use crate::{task, Config, Error, Message};

/// A connection to an lhttp server.
///
/// ```no_run
/// # async fn demo() -> Result<(), lhttp_client::Error> {
/// let client = lhttp_client::Client::connect("ws://127.0.0.1:8081/").await?;
/// client.subscribe(&["room"]).await?;
/// client.publish(&["room"], "chat", &[], b"hello").await?;
/// while let Some(msg) = client.recv().await {
///     println!("{}", msg?.body_text().unwrap_or("<binary>"));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client {
    shared: Arc<Shared>,
}

impl Client {
    /// Connects to `url` (`ws://` or `wss://`) with the default [`Config`].
    pub async fn connect(url: &str) -> Result<Client, Error> {
        Client::connect_with(Config::new(url)).await
    }

    /// Connects with `config`; returns once the server's `connected` greeting
    /// arrived. The first attempt's failure is returned, even with reconnect on:
    /// [`Error::Connect`] (a refused handshake carries its HTTP status and the
    /// server's reason, e.g. `OriginNotAllowed: ...`), [`Error::Timeout`] or
    /// [`Error::Io`]. The driver runs on the current tokio runtime.
    pub async fn connect_with(config: Config) -> Result<Client, Error> {
        let shared = Arc::new(Shared::new(Session::new(config.session())));
        let (opening, opened) = oneshot::channel();
        shared.call(|s, now| {
            s.opening = Some(opening);
            s.session.start(now);
        });
        tokio::spawn(task::run(shared.clone(), Arc::new(config)));
        // Dropped on failure, which closes the session and so stops the driver.
        let client = Client { shared };
        opened.await.unwrap_or_else(|_| Err(stopped()))?;
        Ok(client)
    }

    /// The id the server gave this connection in its `connected` greeting
    /// (a new one after each reconnect).
    pub fn client_id(&self) -> Option<String> {
        self.shared.lock().session.client_id().map(str::to_owned)
    }

    /// The last position seen of a subscribed channel with history (spec 13): the
    /// place a reconnect recovers from. `None` for a channel without history or not
    /// subscribed.
    pub fn position(&self, channel: &str) -> Option<OwnedPosition> {
        self.shared.lock().session.position(channel).map(OwnedPosition::from)
    }

    /// Reads the recent publications of a channel with history (spec 13.5), each as
    /// it was delivered live (with its `channel`, `offset` and `epoch` headers):
    /// at most `limit` (the server's cap without), only those after `since`, newest
    /// first when `reverse`. A channel without history fails with `NoHistory`.
    ///
    /// ```no_run
    /// # async fn demo(client: lhttp_client::Client) -> Result<(), lhttp_client::Error> {
    /// let last = client.history("chat:lobby", Some(20), None, false).await?;
    /// for msg in &last.publications {
    ///     println!("{}", msg.body_text().unwrap_or(""));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn history(
        &self,
        channel: &str,
        limit: Option<u32>,
        since: Option<&OwnedPosition>,
        reverse: bool,
    ) -> Result<History, Error> {
        let since = since.map(OwnedPosition::as_position);
        let answer = self
            .wait(|s, now| s.history(now, channel, limit, since, reverse))
            .await?;
        History::read(&answer.reply)
    }

    /// Lists the members of `channel` (spec 15.2): every connection subscribed to it,
    /// cluster-wide, with its client id, uid and info, ordered by client id, and the
    /// counts. At most the server's `presence_max_members` are listed (then
    /// [`Presence::capped`]); the counts are always complete. A channel whose namespace
    /// keeps no presence fails with `NoPresence`, one the connection may not subscribe
    /// to with `Forbidden`. Subscribing is not needed.
    ///
    /// ```no_run
    /// # async fn demo(client: lhttp_client::Client) -> Result<(), lhttp_client::Error> {
    /// let here = client.presence("chat:lobby").await?;
    /// println!("{} connections, {} users", here.stats.connections, here.stats.users);
    /// for m in &here.members {
    ///     println!("{} {}", m.client, m.info.get("name").map_or(m.uid.as_str(), String::as_str));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn presence(&self, channel: &str) -> Result<Presence, Error> {
        let answer = self.wait(|s, now| s.presence(now, channel)).await?;
        Presence::read(&answer.reply)
    }

    /// Counts the members of `channel` (spec 15.2) without listing them: its subscribed
    /// connections and the distinct non-empty uids among them, cluster-wide. Fails as
    /// [`presence`](Self::presence) does.
    ///
    /// ```no_run
    /// # async fn demo(client: lhttp_client::Client) -> Result<(), lhttp_client::Error> {
    /// let counts = client.presence_stats("chat:lobby").await?;
    /// println!("{} online", counts.users);
    /// # Ok(()) }
    /// ```
    pub async fn presence_stats(&self, channel: &str) -> Result<PresenceStats, Error> {
        let answer = self.wait(|s, now| s.presence_stats(now, channel)).await?;
        PresenceStats::read(&answer.reply)
    }

    /// Sends a message; it is written in order with every other call, once
    /// connected. Its `subscribe` and `unsubscribe` headers are remembered for
    /// re-subscribing after a reconnect. An invalid message is refused here with
    /// the core error's name.
    pub async fn send(&self, msg: &Message) -> Result<(), Error> {
        self.shared.call(|s, now| s.session.send(now, msg))
    }

    /// Sends already-encoded LHTTP bytes as they are (not checked, not tracked).
    pub async fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        self.shared.call(|s, now| s.session.send_raw(now, bytes.to_vec()))
    }

    /// Subscribes to `channels`; returns once the server acknowledged. A name that
    /// is empty or holds whitespace is `Error::Protocol(lhttp_core::Error::Channel)`
    /// and nothing is subscribed; more channels than the server takes in one
    /// message go out as several messages.
    pub async fn subscribe(&self, channels: &[&str]) -> Result<(), Error> {
        self.wait(|s, now| s.subscribe(now, channels)).await.map(|_| ())
    }

    /// Unsubscribes from `channels`; returns once the server acknowledged.
    pub async fn unsubscribe(&self, channels: &[&str]) -> Result<(), Error> {
        self.wait(|s, now| s.unsubscribe(now, channels)).await.map(|_| ())
    }

    /// Publishes a message with `command` (e.g. [`lhttp_session::DEFAULT_COMMAND`]),
    /// `headers` and `body` to `channels`; returns once the server acknowledged.
    /// The publisher receives its own message too when it is subscribed to one of
    /// the channels.
    pub async fn publish(
        &self,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), Error> {
        self.publish_counted(channels, command, headers, body).await.map(|_| ())
    }

    /// [`publish`](Self::publish), returning the number of deliveries the server
    /// reported in its `ack`.
    pub async fn publish_counted(
        &self,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<u64, Error> {
        let answer = self
            .wait(|s, now| s.publish(now, channels, command, headers, body))
            .await?;
        Ok(answer.deliveries.unwrap_or(0))
    }

    /// Sends `msg` with an `id` header of the client's (replacing any) and waits
    /// for the server's `ack`, which it returns.
    pub async fn request(&self, msg: Message) -> Result<Message, Error> {
        Ok(self.wait(|s, now| s.request(now, msg)).await?.reply)
    }

    /// Makes a request with `call` and waits for its outcome (the session times it out).
    async fn wait(&self, call: impl FnOnce(&mut Session, u64) -> Result<RequestId, Error>) -> Result<Answer, Error> {
        let answer = self.shared.call(|s: &mut State, now| {
            let id = call(&mut s.session, now)?;
            let (waiter, answer) = oneshot::channel();
            s.waiters.insert(id, waiter);
            Ok::<_, Error>(answer)
        })?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// The next application message, in the order they arrived. Besides messages:
    /// an `error` reply tied to no call arrives as a message with command `error`;
    /// an unreadable message is an `Err` with the core error's name; a channel the
    /// server would not take back after a reconnect is an `Err` named
    /// `RestoreRefused`, a channel with history that could not get what it missed
    /// while away one named `Unrecovered` (see [`recovery`](Self::recovery) for
    /// every channel's outcome), messages dropped unread one named `Lagged`; the error that
    /// ended the connection for good (without reconnect: the lost connection) is
    /// the last `Err`, then `None`.
    ///
    /// While `max_buffered` messages wait here unread the client stops reading
    /// the socket, so acknowledgements wait too.
    ///
    /// Cancel-safe: a `recv` future dropped before it completes (a timeout, a
    /// `select!` branch that lost) has taken nothing; the next call gets the message.
    pub async fn recv(&self) -> Option<Result<Message, Error>> {
        loop {
            let arrived = self.shared.readers.notified();
            match self.try_next() {
                Next::Item(item) => return Some(item),
                Next::End => return None,
                Next::Empty => arrived.await,
            }
        }
    }

    /// The next message if one is already here; never waits. `Ok(None)` when nothing
    /// arrived; `Err(Closed)` once the connection is over and everything was read.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        match self.try_next() {
            Next::Item(item) => item.map(Some),
            Next::Empty => Ok(None),
            Next::End => Err(stopped()),
        }
    }

    fn try_next(&self) -> Next {
        let mut state = self.shared.lock();
        let was_full = !state.session.wants_read();
        match state.next_item() {
            Some(item) => {
                if was_full {
                    // Room again: the driver may read the socket.
                    self.shared.driver.notify_one();
                }
                Next::Item(item)
            }
            None if state.stopped => Next::End,
            None => Next::Empty,
        }
    }

    /// The next recovery notice, oldest first: after a reconnect, one for each channel
    /// restored with `since` (spec 13.7), saying whether it got every publication it
    /// missed (`recovered`, those arriving through `recv()` before any later one) or
    /// none of them (then `recv()` also yields the error `Unrecovered`). Waits for one;
    /// `None` once the client is closed and every notice was read. Notices are kept
    /// until read, at most `max_buffered` (the oldest go first). Cancel-safe.
    ///
    /// ```no_run
    /// # async fn demo(client: lhttp_client::Client) {
    /// while let Some(r) = client.recovery().await {
    ///     if !r.recovered {
    ///         println!("{} lost what was published while away: reload it", r.channel);
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn recovery(&self) -> Option<Recovery> {
        loop {
            let arrived = self.shared.readers.notified();
            match self.try_recovery() {
                Ok(Some(r)) => return Some(r),
                Ok(None) => arrived.await,
                Err(_) => return None,
            }
        }
    }

    /// The next recovery notice if one is already here; never waits. `Ok(None)` when
    /// there is none; `Err(Closed)` once the connection is over and every one was read.
    pub fn try_recovery(&self) -> Result<Option<Recovery>, Error> {
        let mut state = self.shared.lock();
        match state.next_recovery() {
            Some(r) => Ok(Some(r)),
            None if state.stopped => Err(stopped()),
            None => Ok(None),
        }
    }

    /// Closes the connection (a WebSocket close with code 1000) and stops
    /// reconnecting; waiting calls fail with `Closed`. Returns once the driver
    /// has written the close and stopped.
    pub async fn close(&self) -> Result<(), Error> {
        self.shared.call(|s, now| s.session.close(now, NORMAL_CLOSE, ""));
        loop {
            let stopped = self.shared.readers.notified();
            if self.shared.lock().stopped {
                return Ok(());
            }
            stopped.await;
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shared.call(|s, now| s.session.close(now, NORMAL_CLOSE, ""));
    }
}

/// What `recv()` finds.
enum Next {
    Item(Result<Message, Error>),
    Empty,
    End,
}

/// The close code of a client that is done.
const NORMAL_CLOSE: u16 = lhttp_core::CloseCode::Normal.code();

/// The error for a call after the connection is over.
pub(crate) fn stopped() -> Error {
    Error::closed("the client is closed")
}
