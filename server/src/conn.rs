//! What the rest of the server knows about one open connection: its ids, its
//! outbound queue and its subscriptions. Shared as `Arc<Conn>` by the hub and
//! the connection directory; the socket itself stays with the connection's task.

use crate::id::ConnId;
use crate::outbox::Outbox;
use std::collections::HashSet;
use std::sync::Mutex;

/// One open connection, as seen by publishers and the directory.
#[derive(Debug)]
pub struct Conn {
    /// Number of the connection on this node.
    pub id: ConnId,
    /// Cluster-unique id told to the client in the `connected` message.
    pub client_id: Box<str>,
    /// Frames waiting to be written to the socket.
    pub outbox: Outbox,
    /// Channels this connection is subscribed to, so subscribing twice is a no-op
    /// and everything is unsubscribed when it closes. A std mutex: never held across an await.
    pub subscriptions: Mutex<HashSet<Box<str>>>,
}

impl Conn {
    /// A connection with an empty queue of at most `max_queue` frames.
    pub fn new(id: ConnId, client_id: String, max_queue: usize) -> Self {
        Conn {
            id,
            client_id: client_id.into_boxed_str(),
            outbox: Outbox::new(max_queue),
            subscriptions: Mutex::new(HashSet::new()),
        }
    }

    /// The channels this connection is subscribed to, sorted.
    pub fn channels(&self) -> Vec<String> {
        let subs = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = subs.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }
}
