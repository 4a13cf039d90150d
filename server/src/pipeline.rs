//! What happens to each message and connection event: limits, parsing by core,
//! the filters in order, the processor for the command, then the ack or the
//! error reply. Nothing here blocks or awaits: work a request must wait for (a
//! shared history store's round trip) runs in its own task, which then sends
//! the ack or the error reply.

use crate::conn::Conn;
use crate::context::{Context, Handshake};
use crate::filter::{Filter, Reject};
use crate::handle::Handle;
use crate::processor::Processor;
use crate::rate::{Limit, Verdict};
use crate::reply;
use lhttp_core::{names, parse, CloseCode, ServerError, EMPTY_HEADER};
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

    /// Handles one received message. When a filter has it wait (a token's key set
    /// is being fetched), returns that wait: the caller awaits it, before reading
    /// anything else, then calls [`message_again`](Self::message_again).
    pub(crate) fn message(&self, handle: &Handle, conn: &Arc<Conn>, data: &[u8]) -> Option<crate::token::KeyFetch> {
        handle.metrics().messages_in.inc();
        self.handle_message(handle, conn, data, true)
    }

    /// Handles a message again after its wait; it cannot wait a second time.
    pub(crate) fn message_again(&self, handle: &Handle, conn: &Arc<Conn>, data: &[u8]) {
        let _ = self.handle_message(handle, conn, data, false);
    }

    fn handle_message(
        &self,
        handle: &Handle,
        conn: &Arc<Conn>,
        data: &[u8],
        may_wait: bool,
    ) -> Option<crate::token::KeyFetch> {
        let limits = &handle.config().limits;
        // Counted once: a message run again after a key fetch was counted already.
        if may_wait {
            let verdict = conn.message_rate();
            if verdict != Verdict::Pass {
                rate_limited(handle, conn, data, verdict);
                return None;
            }
        }
        if data.len() > limits.max_message_size {
            let detail = format!(
                "message of {} bytes exceeds the limit of {}",
                data.len(),
                limits.max_message_size
            );
            error(
                handle,
                conn,
                &Reject::new(ServerError::MessageTooLarge.as_str(), detail),
                None,
                None,
            );
            return None;
        }
        let mut storage = vec![EMPTY_HEADER; limits.max_headers];
        let msg = match parse(data, &mut storage) {
            Ok(m) => m,
            Err(e) => {
                error(handle, conn, &e.into(), None, None);
                return None;
            }
        };
        // Headers only the server sets (13.3) are dropped here, before any filter
        // or processor, so no handler can mistake a client's for the server's.
        let kept: Vec<_>;
        let msg = if msg.headers.iter().any(|h| reply::is_server_set(h.name)) {
            kept = msg
                .headers
                .iter()
                .filter(|h| !reply::is_server_set(h.name))
                .copied()
                .collect();
            lhttp_core::Message { headers: &kept, ..msg }
        } else {
            msg
        };
        let id = msg.header(reply::headers::ID);
        let cmd = Some(msg.command);
        if reply::is_reserved(msg.command) {
            let r = Reject::new(
                ServerError::ReservedCommand.as_str(),
                format!("command {:?} is reserved for the server", msg.command),
            );
            error(handle, conn, &r, cmd, id);
            return None;
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
            error(handle, conn, &r, cmd, id);
            return None;
        }
        let mut ctx = Context::new(handle, conn, Some(msg), None);
        if !may_wait {
            ctx.no_more_waiting();
        }
        for f in &self.filters {
            if let Err(r) = f.before_request(&mut ctx) {
                error(handle, conn, &r, cmd, id);
                return None;
            }
            if ctx.is_finished() {
                return ctx.take_wait();
            }
        }
        if let Some(p) = self.processors.get(msg.command) {
            p.on_message(&mut ctx);
        }
        for f in &self.filters {
            if let Err(r) = f.after_request(&mut ctx) {
                error(handle, conn, &r, cmd, id);
                return None;
            }
        }
        let later = ctx.take_later();
        if !later.is_empty() {
            let (handle, conn) = (handle.clone(), conn.clone());
            let (deliveries, mut extra) = (ctx.deliveries(), ctx.ack_extra().clone());
            let (cmd, id) = (msg.command.to_string(), id.map(str::to_string));
            tokio::spawn(async move {
                for work in later {
                    match work.await {
                        Ok(more) => {
                            extra.headers.extend(more.headers);
                            extra.parts.extend(more.parts);
                            if extra.body.is_empty() {
                                extra.body = more.body;
                            }
                        }
                        Err(r) => return error(&handle, &conn, &r, Some(&cmd), id.as_deref()),
                    }
                }
                if let Some(id) = id {
                    ack(&handle, &conn, &id, deliveries, &extra);
                }
            });
            return None;
        }
        if let Some(id) = id {
            ack(handle, conn, id, ctx.deliveries(), ctx.ack_extra());
        }
        None
    }
}

/// Refuses a message over the connection's message rate, unprocessed: the
/// reply names the request when it reads (a flood of garbage counts too); a
/// burst's worth of refusals in a row also closes the connection (1008).
fn rate_limited(handle: &Handle, conn: &Conn, data: &[u8], verdict: Verdict) {
    let limits = &handle.config().limits;
    let metrics = handle.metrics();
    metrics.rate_limited_messages.inc();
    let rate = Limit::new(limits.message_rate, limits.message_burst);
    let (per_second, burst) = rate.map_or((0.0, 0), |l| (l.rate, l.burst));
    let detail = format!(
        "at most {per_second} messages per second per connection, bursts of {burst}: this message was not processed"
    );
    let r = Reject::new(ServerError::RateLimited.as_str(), detail);
    let mut storage = vec![EMPTY_HEADER; limits.max_headers];
    let msg = (data.len() <= limits.max_message_size)
        .then(|| parse(data, &mut storage).ok())
        .flatten();
    error(
        handle,
        conn,
        &r,
        msg.map(|m| m.command),
        msg.and_then(|m| m.header(reply::headers::ID)),
    );
    // Messages read after the close was asked for are refused, not counted as closes.
    let cut = verdict == Verdict::Cut && !conn.is_closing();
    if cut {
        metrics.rate_limit_closes.inc();
        let reason = format!(
            "{}: {burst} messages in a row over {per_second} per second",
            ServerError::RateLimited
        );
        conn.outbox().close(CloseCode::Policy.code(), &reason);
    }
    if let Some(left_out) = handle.rates().message_warning.allow(std::time::Instant::now()) {
        tracing::warn!(
            client = %conn.client_id(),
            limit = %format!("{per_second}/s, burst {burst}"),
            closed = cut,
            similar_lines_left_out = left_out,
            "a connection sends more messages than its rate limit: they are refused with RateLimited, \
             and it is closed (1008) after a burst of refusals in a row; if this traffic is legitimate, \
             raise --message-rate / --message-burst ([limits] message_rate, message_burst)"
        );
    }
}

/// Sends the ack of request `id`.
fn ack(handle: &Handle, conn: &Conn, id: &str, deliveries: Option<usize>, extra: &reply::AckExtra) {
    if conn.outbox().push(reply::ack_frame_with(id, deliveries, extra)).is_ok() {
        handle.metrics().messages_out.inc();
    }
}

/// Sends an error reply; the connection stays open.
fn error(handle: &Handle, conn: &Conn, r: &Reject, command: Option<&str>, id: Option<&str>) {
    let metrics = handle.metrics();
    metrics.error(&r.code);
    tracing::debug!(client = %conn.client_id(), code = %r.code, detail = %r.detail, "error reply");
    if conn
        .outbox()
        .push(reply::channel_error_frame(
            &r.code,
            &r.detail,
            command,
            id,
            r.channel.as_deref(),
        ))
        .is_ok()
    {
        metrics.messages_out.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::EmbeddedBroker;
    use crate::config::Config;
    use crate::id::IdMaker;
    use std::sync::Mutex;

    /// Where every step writes its name, in order.
    type Log = Arc<Mutex<Vec<String>>>;

    /// A filter that logs its steps and refuses messages whose command is `refuse_<name>`.
    struct Step(&'static str, Log);

    impl Filter for Step {
        fn before_request(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
            self.1.lock().unwrap().push(format!("before {}", self.0));
            if ctx.command() == format!("refuse_{}", self.0) {
                return Err(Reject::forbidden("refused"));
            }
            Ok(())
        }
        fn after_request(&self, _ctx: &mut Context<'_>) -> Result<(), Reject> {
            self.1.lock().unwrap().push(format!("after {}", self.0));
            Ok(())
        }
    }

    /// A processor that logs and sets the ack's delivery count.
    struct Proc(Log);

    impl Processor for Proc {
        fn on_message(&self, ctx: &mut Context<'_>) {
            self.0.lock().unwrap().push(format!("processor {}", ctx.command()));
            ctx.set_deliveries(5);
        }
    }

    fn setup(config: Config) -> (Handle, Arc<Conn>, Pipeline, Log) {
        let handle = Handle::new(
            config,
            IdMaker::new(),
            Arc::new(EmbeddedBroker),
            Arc::new(crate::history::MemoryHistory::new()),
            http::Extensions::new(),
            Vec::new(),
        );
        let conn = handle.register();
        let log = Log::default();
        let proc: Arc<dyn Processor> = Arc::new(Proc(log.clone()));
        let pipeline = Pipeline {
            processors: HashMap::from([
                ("chat".to_string(), proc.clone()),
                ("refuse_b".to_string(), proc.clone()),
            ]),
            order: vec![proc],
            filters: vec![Arc::new(Step("a", log.clone())), Arc::new(Step("b", log.clone()))],
        };
        (handle, conn, pipeline, log)
    }

    /// The messages queued to `conn`, as text (server frames here are short: a 2-byte header).
    fn replies(conn: &Conn) -> Vec<String> {
        let mut batch = std::collections::VecDeque::new();
        conn.outbox().drain(&mut batch);
        batch
            .iter()
            .map(|f| String::from_utf8_lossy(&f.as_bytes()[2..]).into_owned())
            .collect()
    }

    fn steps(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    #[test]
    fn filters_run_in_order_around_the_processor_then_the_ack() {
        let (handle, conn, pipeline, log) = setup(Config::default());
        pipeline.message(&handle, &conn, b"LHTTP/1.0 chat\r\nid:1\r\n\r\nhi");
        assert_eq!(
            steps(&log),
            ["before a", "before b", "processor chat", "after a", "after b"]
        );
        assert_eq!(replies(&conn), ["LHTTP/1.0 ack\r\nid:1\r\ndeliveries:5\r\n\r\n"]);
    }

    #[test]
    fn a_refusing_filter_stops_the_message_with_an_error_reply() {
        let (handle, conn, pipeline, log) = setup(Config::default());
        pipeline.message(&handle, &conn, b"LHTTP/1.0 refuse_b\r\nid:2\r\n\r\n");
        assert_eq!(steps(&log), ["before a", "before b"], "no processor, no after");
        let r = replies(&conn);
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("LHTTP/1.0 error\r\ncode:Forbidden\r\n"), "{r:?}");
        assert!(r[0].contains("id:2\r\n") && !r[0].contains("ack"), "{r:?}");
    }

    #[test]
    fn limits_and_parsing_come_before_any_filter() {
        let mut config = Config::default();
        config.limits.max_message_size = 32;
        config.limits.max_channels = 1;
        let (handle, conn, pipeline, log) = setup(config);
        pipeline.message(&handle, &conn, &[b'x'; 33]);
        pipeline.message(&handle, &conn, b"not lhttp");
        pipeline.message(&handle, &conn, b"LHTTP/1.0 ack\r\n\r\n");
        pipeline.message(&handle, &conn, b"LHTTP/1.0 chat\r\npublish:a b\r\n\r\n");
        assert!(steps(&log).is_empty());
        let codes: Vec<String> = replies(&conn)
            .iter()
            .map(|r| {
                r.split("code:")
                    .nth(1)
                    .unwrap_or("")
                    .split('\r')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert_eq!(
            codes,
            [
                ServerError::MessageTooLarge.as_str(),
                lhttp_core::Error::Version.as_str(),
                ServerError::ReservedCommand.as_str(),
                ServerError::TooManyChannels.as_str(),
            ]
        );
        let counted: Vec<u64> = codes.iter().map(|c| handle.metrics().errors_named(c)).collect();
        assert_eq!(counted, [1, 1, 1, 1]);
    }

    #[test]
    fn a_message_without_an_id_gets_no_ack() {
        let (handle, conn, pipeline, log) = setup(Config::default());
        pipeline.message(&handle, &conn, b"LHTTP/1.0 other\r\n\r\n");
        assert_eq!(
            steps(&log),
            ["before a", "before b", "after a", "after b"],
            "no processor for other"
        );
        assert!(replies(&conn).is_empty());
    }
}
