//! The blocking client: the async [`Client`] on a small runtime of its own, for C
//! (liblhttp) and Python's synchronous client. Every method may be called from any
//! thread, concurrently.

use std::time::Duration;

use crate::client::stopped;
use crate::{Client, Config, Error, Message, Recovery};

/// A connection whose calls block the calling thread.
#[derive(Debug)]
pub struct BlockingClient {
    /// One worker thread runs the connection task between calls.
    runtime: tokio::runtime::Runtime,
    /// The async client, used through `block_on`.
    client: Client,
}

impl BlockingClient {
    /// Connects to `url`; `timeout` bounds the connection and each acknowledged request.
    pub fn connect(url: &str, timeout: Duration) -> Result<BlockingClient, Error> {
        let mut config = Config::new(url);
        config.connect_timeout = timeout;
        config.request_timeout = timeout;
        BlockingClient::connect_with(config)
    }

    /// Connects with `config`.
    pub fn connect_with(config: Config) -> Result<BlockingClient, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lhttp-client")
            .enable_all()
            .build()
            .map_err(|e| Error::Io(format!("cannot start the client runtime: {e}")))?;
        let client = runtime.block_on(Client::connect_with(config))?;
        Ok(BlockingClient { runtime, client })
    }

    /// The async client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// See [`Client::client_id`].
    pub fn client_id(&self) -> Option<String> {
        self.client.client_id()
    }

    /// See [`Client::send`].
    pub fn send(&self, msg: &Message) -> Result<(), Error> {
        self.runtime.block_on(self.client.send(msg))
    }

    /// See [`Client::send_raw`].
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        self.runtime.block_on(self.client.send_raw(bytes))
    }

    /// See [`Client::subscribe`]; waits at most the config's `request_timeout`.
    pub fn subscribe(&self, channels: &[&str]) -> Result<(), Error> {
        self.runtime.block_on(self.client.subscribe(channels))
    }

    /// See [`Client::unsubscribe`].
    pub fn unsubscribe(&self, channels: &[&str]) -> Result<(), Error> {
        self.runtime.block_on(self.client.unsubscribe(channels))
    }

    /// See [`Client::publish`].
    pub fn publish(
        &self,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.publish(channels, command, headers, body))
    }

    /// See [`Client::publish_counted`].
    pub fn publish_counted(
        &self,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<u64, Error> {
        self.runtime
            .block_on(self.client.publish_counted(channels, command, headers, body))
    }

    /// [`Client::position`]: the last position seen of a channel with history.
    pub fn position(&self, channel: &str) -> Option<crate::OwnedPosition> {
        self.client.position(channel)
    }

    /// [`Client::history`], waiting for the answer.
    pub fn history(
        &self,
        channel: &str,
        limit: Option<u32>,
        since: Option<&crate::OwnedPosition>,
        reverse: bool,
    ) -> Result<crate::History, Error> {
        self.runtime
            .block_on(self.client.history(channel, limit, since, reverse))
    }

    /// [`Client::presence`], waiting for the answer.
    pub fn presence(&self, channel: &str) -> Result<crate::Presence, Error> {
        self.runtime.block_on(self.client.presence(channel))
    }

    /// [`Client::presence_stats`], waiting for the answer.
    pub fn presence_stats(&self, channel: &str) -> Result<crate::PresenceStats, Error> {
        self.runtime.block_on(self.client.presence_stats(channel))
    }

    /// The next message, waiting at most `timeout` (`None`: no limit). `Ok(None)` when
    /// the time ran out; `Err(Closed)` once the connection is over.
    pub fn recv_timeout(&self, timeout: Option<Duration>) -> Result<Option<Message>, Error> {
        let next = self.runtime.block_on(async {
            match timeout {
                Some(t) => tokio::time::timeout(t, self.client.recv()).await.ok(),
                None => Some(self.client.recv().await),
            }
        });
        match next {
            None => Ok(None),
            Some(Some(Ok(msg))) => Ok(Some(msg)),
            Some(Some(Err(e))) => Err(e),
            Some(None) => Err(stopped()),
        }
    }

    /// See [`Client::try_recv`]; never blocks.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        self.client.try_recv()
    }

    /// The next recovery notice ([`Client::recovery`]), waiting at most `timeout`
    /// (`None`: no limit). `Ok(None)` when the time ran out; `Err(Closed)` once the
    /// connection is over and every notice was read.
    pub fn recovery_timeout(&self, timeout: Option<Duration>) -> Result<Option<Recovery>, Error> {
        let next = self.runtime.block_on(async {
            match timeout {
                Some(t) => tokio::time::timeout(t, self.client.recovery()).await.ok(),
                None => Some(self.client.recovery().await),
            }
        });
        match next {
            None => Ok(None),
            Some(Some(r)) => Ok(Some(r)),
            Some(None) => Err(stopped()),
        }
    }

    /// See [`Client::try_recovery`]; never blocks.
    pub fn try_recovery(&self) -> Result<Option<Recovery>, Error> {
        self.client.try_recovery()
    }

    /// See [`Client::close`].
    pub fn close(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.close())
    }
}

impl Drop for BlockingClient {
    fn drop(&mut self) {
        // Say goodbye with a close frame, unless dropped inside another runtime
        // (where blocking is not allowed); the task stops either way.
        if tokio::runtime::Handle::try_current().is_err() {
            let _ = self.runtime.block_on(self.client.close());
        }
    }
}
