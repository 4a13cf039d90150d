//! The one stream of a deployment: its name and subjects from the prefix, its
//! limits from the namespaces, and its epoch, the time JetStream made it. A
//! watch re-reads it every few seconds, makes it again when it was lost, and
//! closes every follower of the old epoch (13.6), whose history went with it.

use super::{lock, Inner};
use crate::shutdown::Shutdown;
use async_nats::jetstream::stream::{Config, DiscardPolicy, Republish, StorageType, Stream};
use lhttp_core::CloseCode;
use std::sync::Arc;
use std::time::Duration;

/// How often the watch re-reads the stream.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// The stream's name and subjects for one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    /// The stream (`LHTTP_` and the prefix, dots as underscores).
    pub(crate) stream: String,
    /// `<prefix>.h.`: where entries are appended.
    entry: String,
    /// `<prefix>.hr.`: where JetStream republishes each entry kept.
    live: String,
}

impl Names {
    pub(crate) fn new(prefix: &str) -> Names {
        Names {
            stream: format!("LHTTP_{}", prefix.replace('.', "_")),
            entry: format!("{prefix}.h."),
            live: format!("{prefix}.hr."),
        }
    }

    /// The subject entries of the channel with subject token `token` are appended to.
    pub(crate) fn entry(&self, token: &str) -> String {
        format!("{}{token}", self.entry)
    }

    /// The subject JetStream republishes that channel's entries on.
    pub(crate) fn live(&self, token: &str) -> String {
        format!("{}{token}", self.live)
    }
}

/// The stream as last read, with its epoch.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) stream: Stream,
    pub(crate) epoch: Arc<str>,
    pub(crate) names: Names,
}

/// The stream's settings: each channel keeps its last `per_channel` entries,
/// with no age limit (a namespace's ttl applies when reading, so a quiet
/// channel's last entry keeps telling its offset); at its byte limit the stream
/// refuses appends rather than drop old entries of any channel, so that a
/// channel's entries go only past its own limit and a recovery can tell.
fn config(inner: &Inner) -> Config {
    Config {
        name: inner.names.stream.clone(),
        subjects: vec![format!("{}>", inner.names.entry)],
        max_messages_per_subject: inner.per_channel,
        max_bytes: inner.max_bytes,
        discard: DiscardPolicy::New,
        storage: StorageType::File,
        allow_direct: true,
        republish: Some(Republish {
            source: format!("{}>", inner.names.entry),
            destination: format!("{}>", inner.names.live),
            headers_only: false,
        }),
        ..Default::default()
    }
}

/// The epoch of a stream made at `created`: its time in nanoseconds, in hex.
fn epoch(created_nanos: i128) -> String {
    format!("{:016x}", u64::try_from(created_nanos.max(0)).unwrap_or(u64::MAX))
}

/// Reads the stream, making it (or updating its limits) as needed.
async fn open(inner: &Inner) -> Result<Current, String> {
    let want = config(inner);
    let stream = match inner.js.get_stream(&want.name).await {
        Ok(s) => {
            let have = &s.cached_info().config;
            if have.max_messages_per_subject != want.max_messages_per_subject
                || have.max_bytes != want.max_bytes
                || have.republish != want.republish
                || have.discard != want.discard
                || !have.allow_direct
            {
                inner.js.update_stream(&want).await.map_err(|e| e.to_string())?;
                inner.js.get_stream(&want.name).await.map_err(|e| e.to_string())?
            } else {
                s
            }
        }
        Err(_) => {
            // Read back rather than trust the answer to the create: when two
            // nodes make the stream at once, the one whose create finds it made
            // may be answered without its creation time, and a different epoch
            // read later would look like a lost stream.
            inner.js.create_stream(want.clone()).await.map_err(|e| e.to_string())?;
            inner.js.get_stream(&want.name).await.map_err(|e| e.to_string())?
        }
    };
    let created = stream.cached_info().created.unix_timestamp_nanos();
    if created <= 0 {
        return Err("the stream's info has no creation time (its epoch); reading it again".into());
    }
    Ok(Current {
        stream,
        epoch: epoch(created).into(),
        names: inner.names.clone(),
    })
}

/// Keeps `inner.current` in step with the stream until shutdown.
pub(crate) async fn watch(inner: Arc<Inner>, mut shutdown: Shutdown) {
    let mut logged = false;
    loop {
        match open(&inner).await {
            Ok(now) => {
                logged = false;
                let now = Arc::new(now);
                let before = inner
                    .current
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .replace(now.clone());
                match before {
                    None => tracing::info!(stream = %inner.names.stream, epoch = %now.epoch, "history in JetStream"),
                    Some(b) if b.epoch != now.epoch => lost(&inner, &b.epoch, &now.epoch),
                    Some(_) => {}
                }
            }
            Err(e) if !logged => {
                logged = true;
                tracing::warn!(stream = %inner.names.stream, error = %e, "history stream not reachable; retrying");
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = shutdown.recv() => return,
        }
    }
}

/// The stream was lost and made again: every follower's positions are of the
/// old epoch, so each is closed to reconnect and learn it is unrecovered.
fn lost(inner: &Inner, old: &str, new: &str) {
    tracing::warn!(stream = %inner.names.stream, %old, %new, "history stream was lost; closing its subscribers");
    let channels: Vec<_> = lock(&inner.channels).values().cloned().collect();
    for ch in channels {
        ch.close_members(CloseCode::InsufficientState.code(), "the channel's history was lost");
    }
}
