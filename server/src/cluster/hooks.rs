//! Channel hooks: application code run around subscriptions, like firetower's
//! BeforeSubscribe / Subscribe / UnSubscribe handlers. They run on the node of
//! the connection, synchronously; for a cluster-wide figure (e.g. the channel's
//! subscriber count) spawn a task and ask the [`Directory`](super::Directory).

use crate::conn::Conn;
use crate::filter::Reject;
use crate::handle::Handle;

/// Called around every subscription change. All methods default to doing nothing.
///
/// ```
/// use lhttp_server::cluster::ChannelHooks;
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
}
