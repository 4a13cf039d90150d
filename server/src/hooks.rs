//! Lifecycle events of the handle: subscriptions changing and connections
//! leaving. Application code (like firetower's BeforeSubscribe / Subscribe /
//! UnSubscribe handlers) and higher layers (the cluster's directory forgets a
//! closed connection) listen to them without the handle knowing who they are.
//! They run on the node of the connection, synchronously; for a cluster-wide
//! figure (e.g. the channel's subscriber count) spawn a task and ask the
//! cluster's `Directory`.

use crate::conn::Conn;
use crate::handle::Handle;
use crate::reject::Reject;

/// Called around every subscription change, and when a connection leaves. All
/// methods default to doing nothing.
///
/// ```
/// use lhttp_server::cluster::{ChannelHooks, HandleExt};
/// use lhttp_server::{Conn, Handle, Reject};
///
/// /// Only admins (uid bound by the application) may join `admin-*` channels.
/// struct AdminOnly;
/// impl ChannelHooks for AdminOnly {
///     fn before_subscribe(&self, handle: &Handle, conn: &Conn, channel: &str) -> Result<(), Reject> {
///         if channel.starts_with("admin-") && handle.directory().local_uid(conn).as_deref() != Some("admin") {
///             return Err(Reject::forbidden("admin channels are for admins"));
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait ChannelHooks: Send + Sync + 'static {
    /// Before `conn` subscribes to `channel` (not called when it already is). An
    /// error refuses the subscription: the client gets the error reply with its
    /// `code` and `detail`, and the message goes no further.
    fn before_subscribe(&self, _handle: &Handle, _conn: &Conn, _channel: &str) -> Result<(), Reject> {
        Ok(())
    }

    /// After `conn` subscribed to `channel`.
    fn on_subscribe(&self, _handle: &Handle, _conn: &Conn, _channel: &str) {}

    /// After `conn` left `channel`: by unsubscribing, or for every channel it had when it closed.
    fn on_unsubscribe(&self, _handle: &Handle, _conn: &Conn, _channel: &str) {}

    /// `conn` left this node (after its channels' `on_unsubscribe`); it is no
    /// longer among the handle's connections once every listener returned.
    fn on_close(&self, _handle: &Handle, _conn: &Conn) {}
}
