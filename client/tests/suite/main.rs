//! Every integration test of lhttp-client, in one binary: the client, the
//! server they run against and their dependencies are linked once rather than
//! once per file. Each file is one module; `common` starts the test server.

mod common;

mod blocking;
// The `lhttp` binary exists only with the `cli` feature.
#[cfg(feature = "cli")]
mod cli;
mod history;
mod live;
mod presence;
mod session;
mod tls;
mod tokens;
