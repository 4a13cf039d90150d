//! The async client handle. Every call is a message to the connection task
//! (the `task` module), so a `Client` is `Send + Sync` and may be used from any
//! thread or runtime once connected.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::connect::{self, data_frame};
use crate::task::{Command, Shared, Task, SUBSCRIBE, UNSUBSCRIBE};
use crate::{Config, Error, Message};

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
    /// Requests to the connection task.
    commands: mpsc::UnboundedSender<Command>,
    /// Messages from the task; a tokio lock because `recv` holds it while waiting.
    incoming: Mutex<mpsc::UnboundedReceiver<Result<Message, Error>>>,
    /// Client id and subscriptions, shared with the task.
    shared: Arc<Shared>,
    /// The next request id (`id` header) to use.
    next_id: AtomicU64,
    /// How long awaited requests wait for their acknowledgement.
    request_timeout: Duration,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl Client {
    /// Connects to `url` (`ws://` or `wss://`) with the default [`Config`].
    pub async fn connect(url: &str) -> Result<Client, Error> {
        Client::connect_with(Config::new(url)).await
    }

    /// Connects with `config`; returns once the server's `connected` greeting arrived.
    /// The connection task runs on the current tokio runtime.
    pub async fn connect_with(config: Config) -> Result<Client, Error> {
        let opened = connect::open(&config).await?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (incoming_tx, incoming) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        shared.set_client_id(opened.client_id);
        if let Some(first) = opened.first {
            let _ = incoming_tx.send(first);
        }
        let request_timeout = config.request_timeout;
        let task = Task {
            config,
            commands: commands_rx,
            incoming: incoming_tx,
            shared: shared.clone(),
            pending: Default::default(),
            backlog: Default::default(),
        };
        tokio::spawn(task.run(opened.socket));
        Ok(Client {
            commands,
            incoming: Mutex::new(incoming),
            shared,
            next_id: AtomicU64::new(1),
            request_timeout,
        })
    }

    /// The id the server gave this connection in its `connected` greeting
    /// (a new one after each reconnect).
    pub fn client_id(&self) -> Option<String> {
        self.shared.client_id.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends a message; returns once it is written. Its `subscribe` and `unsubscribe`
    /// headers are remembered for re-subscribing after a reconnect.
    pub async fn send(&self, msg: &Message) -> Result<(), Error> {
        let bytes = msg.encode()?;
        self.write(bytes).await?;
        self.shared.update_subscriptions(
            &msg.channels(lhttp_core::names::SUBSCRIBE),
            &msg.channels(lhttp_core::names::UNSUBSCRIBE),
        );
        Ok(())
    }

    /// Sends already-encoded LHTTP bytes as they are (not checked).
    pub async fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        self.write(bytes.to_vec()).await
    }

    async fn write(&self, bytes: Vec<u8>) -> Result<(), Error> {
        let (done, result) = oneshot::channel();
        self.commands
            .send(Command::Send {
                frame: data_frame(bytes),
                done,
            })
            .map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }

    /// Subscribes to `channels`; returns once the server acknowledged.
    pub async fn subscribe(&self, channels: &[&str]) -> Result<(), Error> {
        if channels.is_empty() {
            return Ok(());
        }
        let msg = Message::new(SUBSCRIBE).with_header(lhttp_core::names::SUBSCRIBE, channels.join(" "));
        self.request(msg).await?;
        self.shared.update_subscriptions(&owned(channels), &[]);
        Ok(())
    }

    /// Unsubscribes from `channels`; returns once the server acknowledged.
    pub async fn unsubscribe(&self, channels: &[&str]) -> Result<(), Error> {
        if channels.is_empty() {
            return Ok(());
        }
        let msg = Message::new(UNSUBSCRIBE).with_header(lhttp_core::names::UNSUBSCRIBE, channels.join(" "));
        self.request(msg).await?;
        self.shared.update_subscriptions(&[], &owned(channels));
        Ok(())
    }

    /// Publishes a message with `command`, `headers` and `body` to `channels`; returns
    /// once the server acknowledged. The publisher receives its own message too when it
    /// is subscribed to one of the channels.
    pub async fn publish(
        &self,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), Error> {
        self.publish_counted(channels, command, headers, body).await.map(|_| ())
    }

    /// [`publish`](Self::publish), returning the number of deliveries the server reported.
    pub async fn publish_counted(
        &self,
        channels: &[&str],
        command: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<u64, Error> {
        let mut msg = Message::new(command);
        for (name, value) in headers {
            msg = msg.with_header(name.as_str(), value.as_str());
        }
        let msg = msg
            .with_header(lhttp_core::names::PUBLISH, channels.join(" "))
            .with_body(body);
        let ack = self.request(msg).await?;
        Ok(ack.header("deliveries").and_then(|n| n.parse().ok()).unwrap_or(0))
    }

    /// Sends `msg` with a fresh `id` header and waits for the server's `ack`.
    pub async fn request(&self, msg: Message) -> Result<Message, Error> {
        let id = format!("c{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let frame = data_frame(msg.with_header("id", id.as_str()).encode()?);
        let (done, result) = oneshot::channel();
        self.commands
            .send(Command::Request { frame, id, done })
            .map_err(|_| stopped())?;
        match tokio::time::timeout(self.request_timeout, result).await {
            Err(_) => Err(Error::Timeout),
            Ok(Err(_)) => Err(stopped()),
            Ok(Ok(reply)) => reply,
        }
    }

    /// The next application message. Acknowledgements are consumed here; `error`
    /// replies not tied to a waiting call arrive as messages with command `error`.
    /// A lost connection (without reconnect) gives one `Err`, then `None`.
    pub async fn recv(&self) -> Option<Result<Message, Error>> {
        self.incoming.lock().await.recv().await
    }

    /// The next message if one is already here; never waits. `Ok(None)` when nothing
    /// arrived (or another caller is receiving); `Err(Closed)` once the connection is over.
    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let Ok(mut incoming) = self.incoming.try_lock() else {
            return Ok(None);
        };
        match incoming.try_recv() {
            Ok(Ok(msg)) => Ok(Some(msg)),
            Ok(Err(e)) => Err(e),
            Err(mpsc::error::TryRecvError::Empty) => Ok(None),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(stopped()),
        }
    }

    /// Closes the connection (sends a WebSocket close) and stops reconnecting.
    pub async fn close(&self) -> Result<(), Error> {
        let (done, result) = oneshot::channel();
        if self.commands.send(Command::Close { done }).is_err() {
            return Ok(());
        }
        result.await.unwrap_or(Ok(()))
    }
}

/// The error for a call after the connection is over.
pub(crate) fn stopped() -> Error {
    Error::closed("the client is closed")
}

fn owned(channels: &[&str]) -> Vec<String> {
    channels.iter().map(|c| (*c).to_owned()).collect()
}
