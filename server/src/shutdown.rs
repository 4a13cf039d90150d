//! One shutdown signal for every task, in the manner of mini-redis: the server
//! keeps the [`Trigger`], and each task that must stop (a connection, the NATS
//! broker, the directory's responder, the accept loop) holds a [`Shutdown`] and
//! waits on it beside its own work.

use tokio::sync::watch;

/// Starts the shutdown, once, for every [`Shutdown`] made from it.
#[derive(Debug)]
pub(crate) struct Trigger(watch::Sender<bool>);

impl Trigger {
    pub(crate) fn new() -> Self {
        Trigger(watch::channel(false).0)
    }

    /// Tells every listener to stop (again is harmless).
    pub(crate) fn fire(&self) {
        self.0.send_replace(true);
    }

    /// Whether the shutdown has begun.
    pub(crate) fn is_fired(&self) -> bool {
        *self.0.borrow()
    }

    /// A listener for one task.
    pub(crate) fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

/// A task's view of the shutdown signal.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Completes once the shutdown has begun (at once if it already has, or if
    /// the server is gone).
    pub(crate) async fn recv(&mut self) {
        let _ = self.0.wait_for(|down| *down).await;
    }
}
