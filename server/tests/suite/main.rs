//! Every integration test of lhttp-server, in one binary: the server and its
//! dependencies are linked once rather than once per file (31 links of a
//! 130 MB debug binary were most of the test build), and the test harness
//! spreads all of them over the cores at once. Each file is one module, as it
//! was one binary; `common` is the single-node harness, `cluster_support` the
//! cluster one.

mod cluster_support;
mod common;

mod admin;
mod cluster;
mod cluster_directory;
mod cluster_failover_history;
mod cluster_failures;
mod cluster_history;
mod cluster_jetstream;
mod cluster_presence;
mod control_frames;
mod directory_http;
mod embedded;
mod history;
mod hostile_network;
mod http_publish;
mod lhttpd;
mod limits;
mod metrics;
mod origin;
mod presence;
mod processors;
mod pubsub;
mod rate_limits;
mod shards;
mod shutdown;
mod slow_consumers;
mod spec_promises;
mod tokens;
mod upstream;
mod vectors;
