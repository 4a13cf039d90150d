//! The chaos run's load, all through the Rust SDK with reconnect on:
//! subscribers that log every publication they get with its publish and
//! arrival times, and publishers that log which publications were acknowledged.

use lhttp_client::{Client, Config, DEFAULT_COMMAND};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Milliseconds since the run's start, the time base of every log.
#[derive(Debug, Clone, Copy)]
pub struct Clock(pub Instant);

impl Clock {
    /// Now, in ms since the start.
    pub fn ms(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }
}

/// The SDK settings of every chaos client: reconnect quickly, and pings, so a
/// frozen node's silence counts as a dead connection.
fn config(url: String) -> Config {
    Config {
        reconnect: true,
        ping_interval: Some(Duration::from_secs(1)),
        connect_timeout: Duration::from_secs(3),
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
        ..Config::new(url)
    }
}

/// One publication as a subscriber got it.
#[derive(Debug, Clone, Copy)]
pub struct Got {
    /// Its sequence number on its channel.
    pub n: u64,
    /// When it was published (ms).
    pub published: u64,
    /// When it arrived (ms).
    pub arrived: u64,
}

/// What one subscriber got.
#[derive(Debug, Default)]
pub struct SubLog {
    /// Publications of its channel, in arrival order.
    pub got: Vec<Got>,
    /// Errors `recv()` yielded, with their time (ms).
    pub errors: Vec<(u64, String)>,
    /// Messages that were not publications of its channel.
    pub strays: usize,
}

/// A subscriber: its client and its log.
pub struct Subscriber {
    /// The SDK client.
    pub client: Arc<Client>,
    /// Its channel's number.
    pub channel: usize,
    /// The client id of its first connection.
    pub first_id: Option<String>,
    /// What it got.
    pub log: Arc<Mutex<SubLog>>,
}

/// Connects through `url`, subscribes to `name` (channel number `channel`)
/// and logs what arrives from then on.
pub async fn subscriber(url: String, name: String, channel: usize, clock: Clock) -> crate::Result<Subscriber> {
    let client = Arc::new(Client::connect_with(config(url)).await?);
    client.subscribe(&[&name]).await?;
    if client.position(&name).is_none() {
        return Err(format!("{name}: the subscribe ack gave no position (history off?)").into());
    }
    let log = Arc::new(Mutex::new(SubLog::default()));
    let (c, l) = (client.clone(), log.clone());
    tokio::spawn(async move {
        while let Some(item) = c.recv().await {
            let arrived = clock.ms();
            let mut log = l.lock().unwrap();
            match item {
                Ok(msg) if msg.header("channel") == Some(name.as_str()) => {
                    let mut words = msg.body_text().unwrap_or("").split(' ');
                    let n = words.next().and_then(|w| w.parse().ok());
                    let published = words.next().and_then(|w| w.parse().ok());
                    match (n, published) {
                        (Some(n), Some(published)) => log.got.push(Got { n, published, arrived }),
                        _ => log.strays += 1,
                    }
                }
                Ok(_) => log.strays += 1,
                Err(e) => log.errors.push((arrived, e.to_string())),
            }
        }
    });
    Ok(Subscriber {
        first_id: client.client_id(),
        client,
        channel,
        log,
    })
}

/// What the publisher of one channel did.
#[derive(Debug, Default)]
pub struct PubLog {
    /// `(n, published ms, acknowledged ms)` of each acknowledged publication.
    pub acked: Vec<(u64, u64, u64)>,
    /// `(n, published ms)` of each publish that failed or timed out (it may
    /// still have been delivered: not owed, and not a repeat either).
    pub failed: Vec<(u64, u64)>,
    /// The last error, for the report.
    pub last_error: Option<String>,
}

/// A publishing client through `url`.
pub async fn publishing_client(url: String) -> crate::Result<Arc<Client>> {
    Ok(Arc::new(Client::connect_with(config(url)).await?))
}

/// Publishes `"<n> <ms>"` to `name` `rate` times a second, each awaited (so
/// the channel's publications enter the stream in order), until `stop`.
pub async fn publish(client: Arc<Client>, name: String, rate: f64, clock: Clock, stop: Arc<AtomicBool>) -> PubLog {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut log = PubLog::default();
    let mut n = 0;
    while !stop.load(Relaxed) {
        tick.tick().await;
        n += 1;
        let at = clock.ms();
        match client
            .publish(&[&name], DEFAULT_COMMAND, &[], format!("{n} {at}").as_bytes())
            .await
        {
            Ok(()) => log.acked.push((n, at, clock.ms())),
            Err(e) => {
                log.failed.push((n, at));
                log.last_error = Some(e.to_string());
            }
        }
    }
    log
}
