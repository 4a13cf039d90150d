//! `GET /admin/api/stream`: server-sent events carrying the overview every
//! second, so a page updates live without reloading; the stream ends when
//! the server shuts down.

use super::Body;
use crate::handle::{Handle, WeakHandle};
use crate::shutdown::Shutdown;
use bytes::Bytes;
use http::{header, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use std::convert::Infallible;
use std::time::Duration;
use tokio::time::{interval, Interval, MissedTickBehavior};

/// How often the overview is sent.
const EVERY: Duration = Duration::from_secs(1);

/// What the stream keeps between events: a weak handle, so an open stream
/// does not keep a stopped server alive.
struct State {
    handle: WeakHandle,
    shutdown: Shutdown,
    ticks: Interval,
    readonly: bool,
}

/// The next event, `None` once the server is shutting down or gone.
async fn next(mut s: State) -> Option<(Result<Frame<Bytes>, Infallible>, State)> {
    tokio::select! {
        _ = s.ticks.tick() => {}
        _ = s.shutdown.recv() => return None,
    }
    let handle = s.handle.upgrade()?;
    if handle.is_shutting_down() {
        return None;
    }
    let mut overview = super::read::overview_json(&handle).await;
    overview["readonly"] = serde_json::json!(s.readonly);
    drop(handle);
    let event = format!("event: overview\ndata: {overview}\n\n");
    Some((Ok(Frame::data(Bytes::from(event))), s))
}

/// The event stream's answer.
pub(crate) fn events(handle: &Handle, readonly: bool) -> Response<Body> {
    let mut ticks = interval(EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let state = State {
        handle: handle.downgrade(),
        shutdown: handle.shutdown_signal(),
        ticks,
        readonly,
    };
    let body = StreamBody::new(futures_util::stream::unfold(state, next));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body.boxed_unsync())
        .unwrap_or_else(|_| Response::new(http_body_util::Empty::new().boxed_unsync()))
}
