//! `lhttp-server`: the lhttp server library behind the `lhttpd` binary.
//!
//! Register a [`Processor`] per command, add [`Filter`]s, and get pub/sub,
//! upstream and multipart from the built-in headers without writing server code.
//!
//! Module map (one job each, in the manner of mini-redis):
//! - [`server`]: the listener loop and graceful shutdown ([`Server`]).
//! - `http`: one port for WebSocket upgrades, `POST /publish`, `/healthz`, `/metrics`, static files.
//! - `connection`: one connection's task: read, write in batches, ping, close.
//! - `pipeline`: limits, parsing by core, filters, processor, ack or error reply.
//! - [`context`]: what processors and filters see and can do.
//! - [`processor`], [`filter`]: the two extension traits.
//! - [`pubsub`], [`upstream`]: the built-in headers, as filters.
//! - [`hub`]: local channel subscriptions and shared-frame fan-out.
//! - [`outbox`]: each connection's bounded queue (slow consumers are dropped).
//! - [`broker`]: the seam to a cluster; the embedded broker is the default.
//! - [`handle`]: the shared state behind a cheap `Clone` handle.
//! - [`frame`]: server frames encoded once to wire bytes, shared by every subscriber.
//! - [`reply`]: the server's own messages (`connected`, `ack`, `error`).
//! - [`cluster`]: nodes joined through NATS, the cluster-wide connection directory,
//!   channel hooks and connection-key takeover; `directory_http` serves the directory as `POST /api/<call>`.
//! - [`config`], [`metrics`], [`statics`], [`id`].

pub mod broker;
pub mod cluster;
pub mod config;
pub mod conn;
mod connection;
pub mod context;
mod directory_http;
pub mod filter;
pub mod frame;
pub mod handle;
mod http;
pub mod hub;
pub mod id;
pub mod metrics;
pub mod origin;
pub mod outbox;
mod pipeline;
pub mod processor;
pub mod pubsub;
pub mod reply;
pub mod server;
pub mod statics;
mod tls;
pub mod upstream;

pub use broker::{Broker, EmbeddedBroker};
pub use config::{Config, Limits};
pub use conn::Conn;
pub use connection::{CLOSE_GOING_AWAY, CLOSE_POLICY};
pub use context::{Context, Handshake, PartView};
pub use filter::{Filter, Reject};
pub use handle::Handle;
pub use metrics::Metrics;
pub use outbox::CLOSE_SLOW_CONSUMER;
pub use processor::Processor;
pub use server::Server;
