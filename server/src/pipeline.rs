//! What happens to each message and connection event: limits, parsing by core,
//! the filters in order, the processor for the command, then the ack or the
//! error reply. Nothing here blocks or awaits.

use crate::conn::Conn;
use crate::context::{Context, Handshake};
use crate::filter::{Filter, Reject};
use crate::handle::Handle;
use crate::processor::Processor;
use crate::{reply, Metrics};
use lhttp_core::{names, parse, ServerError, EMPTY_HEADER};
use std::collections::HashMap;
use std::sync::Arc;

/// Processors by command, and the filter chain.
pub(crate) struct Pipeline {
    /// Processor for each command.
    pub(crate) processors: HashMap<String, Arc<dyn Processor>>,
    /// Processors in registration order (for `on_open` / `on_close`).
    pub(crate) order: Vec<Arc<dyn Processor>>,
    /// User filters in registration order, then the built-in ones.
    pub(crate) filters: Vec<Arc<dyn Filter>>,
}

impl Pipeline {
    /// Runs the filters' and processors' `on_open`; a rejection closes the connection.
    pub(crate) fn open(&self, handle: &Handle, conn: &Arc<Conn>, handshake: &Handshake) -> Result<(), Reject> {
        let mut ctx = Context::new(handle, conn, None, Some(handshake));
        for f in &self.filters {
            f.on_open(&mut ctx)?;
        }
        let _ = conn
            .outbox()
            .push(reply::connected_frame(conn.client_id(), &handle.config().limits));
        for p in &self.order {
            p.on_open(&mut ctx);
        }
        Ok(())
    }

    /// Runs the filters' and processors' `on_close`.
    pub(crate) fn close(&self, handle: &Handle, conn: &Arc<Conn>) {
        let mut ctx = Context::new(handle, conn, None, None);
        for f in &self.filters {
            f.on_close(&mut ctx);
        }
        for p in &self.order {
            p.on_close(&mut ctx);
        }
    }

    /// Handles one received message.
    pub(crate) fn message(&self, handle: &Handle, conn: &Arc<Conn>, data: &[u8]) {
        let metrics = handle.metrics();
        Metrics::inc(&metrics.messages_in);
        let limits = &handle.config().limits;
        if data.len() > limits.max_message_size {
            let detail = format!(
                "message of {} bytes exceeds the limit of {}",
                data.len(),
                limits.max_message_size
            );
            return error(
                handle,
                conn,
                &Reject::new(ServerError::MessageTooLarge.as_str(), detail),
                None,
                None,
            );
        }
        let mut storage = vec![EMPTY_HEADER; limits.max_headers];
        let msg = match parse(data, &mut storage) {
            Ok(m) => m,
            Err(e) => return error(handle, conn, &e.into(), None, None),
        };
        let id = msg.header(reply::headers::ID);
        let cmd = Some(msg.command);
        if reply::is_reserved(msg.command) {
            let r = Reject::new(
                ServerError::ReservedCommand.as_str(),
                format!("command {:?} is reserved for the server", msg.command),
            );
            return error(handle, conn, &r, cmd, id);
        }
        let channels = [names::SUBSCRIBE, names::PUBLISH, names::UNSUBSCRIBE]
            .iter()
            .map(|n| msg.channels(n).count())
            .sum::<usize>();
        if channels > limits.max_channels {
            let r = Reject::new(
                ServerError::TooManyChannels.as_str(),
                format!("at most {} channels per message", limits.max_channels),
            );
            return error(handle, conn, &r, cmd, id);
        }
        let mut ctx = Context::new(handle, conn, Some(msg), None);
        for f in &self.filters {
            if let Err(r) = f.before_request(&mut ctx) {
                return error(handle, conn, &r, cmd, id);
            }
        }
        if let Some(p) = self.processors.get(msg.command) {
            p.on_message(&mut ctx);
        }
        for f in &self.filters {
            if let Err(r) = f.after_request(&mut ctx) {
                return error(handle, conn, &r, cmd, id);
            }
        }
        if let Some(id) = id {
            if conn.outbox().push(reply::ack_frame(id, ctx.deliveries())).is_ok() {
                Metrics::inc(&metrics.messages_out);
            }
        }
    }
}

/// Sends an error reply; the connection stays open.
fn error(handle: &Handle, conn: &Conn, r: &Reject, command: Option<&str>, id: Option<&str>) {
    let metrics = handle.metrics();
    Metrics::inc(&metrics.errors);
    tracing::debug!(client = %conn.client_id(), code = %r.code, detail = %r.detail, "error reply");
    if conn
        .outbox()
        .push(reply::error_frame(&r.code, &r.detail, command, id))
        .is_ok()
    {
        Metrics::inc(&metrics.messages_out);
    }
}
