//! `lhttp-server`: the lhttp server library behind the `lhttpd` binary.
//!
//! Register a [`Processor`] per command, add [`Filter`]s, and get pub/sub,
//! upstream and multipart from the built-in headers without writing server code.
//! [`Server::build`] checks the [`Config`] and loads what it names, once.
//!
//! Module map, in layers: each module names only modules of the layers below it
//! (one job each, in the manner of mini-redis).
//!
//! 1. Leaf types: `id` (node and client ids), `frame` (server frames encoded once
//!    to wire bytes), `outbox` (each connection's bounded queue; slow consumers
//!    are dropped), `rate` (token buckets for message and connection rates, and
//!    a throttle for the warnings about them), `conn` ([`Conn`]), `metrics` ([`Metrics`]), `config`
//!    ([`Config`], [`Limits`]: plain settings), `reject` ([`Reject`]), `broker`
//!    ([`Broker`]: the seam to a cluster; [`EmbeddedBroker`] by default), `reply`
//!    (the server's own `connected`, `ack`, `error`), `shutdown` (one signal for
//!    every task), `origin`, `content_types`, `embedded` (the demo and the browser
//!    SDK carried in the binary, from `build.rs`), `statics`, `tls`, `identity` ([`Identity`]: who a
//!    connection is, from its tokens).
//! 2. `token` ([`Tokens`]: verifying connection and subscription tokens with the
//!    configured keys; no state of the server), beside `hub` and `history`.
//! 2. `hub`: local channel subscriptions and shared-frame fan-out; beside it
//!    `history` ([`HistoryStore`]: the streams of channels with history, with
//!    [`MemoryHistory`] by default).
//! 3. `handle` ([`Handle`]): the registry of connections, the hub, the broker and
//!    the history store given at construction, and the lifecycle events of
//!    `hooks` ([`ChannelHooks`]).
//! 4. `pipeline` (limits, parsing by core, filters, processor, ack or error reply),
//!    `context` ([`Context`]: what processors and filters see and can do), `filter`
//!    and `processor` (the two extension traits).
//! 5. Built-in filters, using only what a user's filter can: `pubsub` (with
//!    recovery, subscription tokens), `history_request` (the `history` header),
//!    `permissions` (the namespaces' rules and personal channels they ask),
//!    `multipart`, `upstream`, and [`cluster`]'s takeover.
//! 6. [`cluster`]: nodes joined through NATS (a broker) and the cluster-wide
//!    connection directory, which listen to the handle's lifecycle events; and
//!    `authenticate`, the first filter: `connect`, `refresh`, required tokens and
//!    their expiry, binding a token's uid and info in the directory.
//! 7. `http` (one port for WebSocket upgrades, `POST /publish`, `/healthz`,
//!    `/metrics`, static files; `directory_http` serves the directory as
//!    `POST /api/<call>`, `history_http` answers `POST /api/history`), `connection` (one connection's task: read, write in
//!    batches, ping, close), `server` ([`Server`]: build, the listener loop and
//!    graceful shutdown).
//! 8. The `lhttpd` binary (`src/bin/lhttpd.rs`); beside it, behind the `fuzzing`
//!    feature, `fuzzing`: the fuzz targets' way into the pipeline (not an API).

mod admin;
mod authenticate;
mod broker;
pub mod cluster;
mod config;
mod conn;
mod connection;
mod content_types;
mod context;
mod directory_http;
pub mod embedded;
mod filter;
mod frame;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handle;
mod history;
mod history_http;
mod history_request;
mod hooks;
mod http;
mod hub;
mod id;
mod identity;
mod inbound;
pub mod metrics;
mod multipart;
mod origin;
mod outbox;
mod permissions;
mod pipeline;
mod presence_http;
mod processor;
mod pubsub;
mod rate;
mod reject;
mod reply;
mod server;
mod shard;
mod shutdown;
mod statics;
mod tls;
mod token;
mod upstream;

pub use broker::{Broker, EmbeddedBroker};
pub use config::{
    AdminConfig, ClusterConfig, Config, HistoryBackend, HistoryRule, Limits, Namespace, PresenceConfig, PublishRule,
    SubscribeRule, TokenConfig,
};
pub use conn::Conn;
pub use connection::{CLOSE_GOING_AWAY, CLOSE_POLICY};
pub use context::{Context, Handshake, PartView};
pub use filter::Filter;
pub use handle::{Handle, Published, Subscribed};
pub use history::{Entry, HistoryStore, Joined, MemoryHistory, Page, Query};
pub use hooks::ChannelHooks;
pub use identity::Identity;
pub use metrics::Metrics;
pub use outbox::CLOSE_SLOW_CONSUMER;
pub use processor::Processor;
pub use reject::Reject;
pub use server::Server;
pub use token::{Grant, Refusal, Tokens, Verified, LEEWAY_SECS};
