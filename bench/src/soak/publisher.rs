//! The soak's publishers: a few connections publishing at a steady total rate,
//! in turn over the channels they own, a sequence number per channel in each
//! body and an `id` on each publish so every one is acknowledged.

use crate::conn::{self, payload};
use crate::Result;
use futures_util::{SinkExt, StreamExt};
use lhttp_core::{parse, Header, EMPTY_HEADER};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// How long the acks of the last publishes may take.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// What one publisher did.
#[derive(Debug, Default)]
pub struct Published {
    /// `(channel number, last sequence number)` of each channel it owns.
    pub last: Vec<(usize, u64)>,
    /// Publishes sent.
    pub sent: u64,
    /// Publishes acknowledged.
    pub acked: u64,
    /// Error replies and other failures.
    pub errors: Vec<String>,
}

/// Publisher `p` of `count`: owns channels `c` with `c % count == p` of
/// `channels`, publishes `rate` per second in total until `stop`.
pub async fn run(
    url: String,
    p: usize,
    count: usize,
    channels: Vec<String>,
    rate: f64,
    body_size: usize,
    stop: Arc<AtomicBool>,
) -> Result<Published> {
    let ws = conn::open(&url, 64 * 1024, 0).await?;
    let (mut sink, mut stream) = ws.split();
    let acked = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (a, f) = (acked.clone(), failures.clone());
    let reader = tokio::spawn(async move {
        while let Some(frame) = stream.next().await {
            let Ok(frame) = frame else { break };
            let Some(bytes) = payload(&frame) else { continue };
            let mut hs = [EMPTY_HEADER; 16];
            match parse(bytes, &mut hs) {
                Ok(m) if m.command == "ack" => {
                    a.fetch_add(1, Relaxed);
                }
                Ok(m) if m.command == "error" => {
                    f.lock().unwrap().push(String::from_utf8_lossy(bytes).into_owned());
                }
                _ => {}
            }
        }
    });
    let owned: Vec<usize> = (0..channels.len()).filter(|c| c % count == p).collect();
    let mut seq = vec![0u64; owned.len()];
    let mut out = Published::default();
    if owned.is_empty() {
        reader.abort();
        return Ok(out);
    }
    let mut tick = tokio::time::interval(Duration::from_secs_f64(count as f64 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut turn = 0usize;
    let pad = "x".repeat(body_size.saturating_sub(8));
    while !stop.load(Relaxed) {
        tick.tick().await;
        let k = turn % owned.len();
        turn += 1;
        seq[k] += 1;
        out.sent += 1;
        let id = out.sent.to_string();
        let headers = [
            Header {
                name: lhttp_core::names::PUBLISH,
                value: &channels[owned[k]],
            },
            Header { name: "id", value: &id },
        ];
        let body = format!("{} {pad}", seq[k]);
        if let Err(e) = sink.send(conn::message(&headers, body.as_bytes())?).await {
            out.errors.push(format!("publisher {p}: {e}"));
            break;
        }
    }
    let deadline = tokio::time::Instant::now() + ACK_TIMEOUT;
    while acked.load(Relaxed) < out.sent && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    out.acked = acked.load(Relaxed);
    let _ = sink.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    out.errors.extend(failures.lock().unwrap().drain(..));
    if out.acked < out.sent {
        out.errors.push(format!(
            "publisher {p}: {} of {} publishes unacknowledged",
            out.sent - out.acked,
            out.sent
        ));
    }
    out.last = owned.into_iter().zip(seq).collect();
    Ok(out)
}
