//! The servers under test: either started by the benchmark (a fresh process per
//! scenario, so its pid is known and no scenario inherits another's memory) or
//! already running at a URL.

use crate::Result;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a started server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// One server the benchmark measures, by the name shown in the table.
#[derive(Debug, Clone)]
pub struct ServerUnderTest {
    /// Column title in the table.
    pub name: String,
    /// How to reach it.
    spec: Spec,
}

#[derive(Debug, Clone)]
enum Spec {
    /// Already running; `pid` is optional.
    External { url: String, pid: Option<u32> },
    /// Started by the benchmark; it prints `... listening on HOST:PORT` on stdout.
    Process { program: PathBuf, args: Vec<OsString> },
}

/// A server ready for one scenario. Dropping it kills a started process.
#[derive(Debug)]
pub struct Running {
    /// WebSocket URL to connect to.
    pub url: String,
    /// Process id, when known (memory and CPU figures need it).
    pub pid: Option<u32>,
    /// The started process, if the benchmark started it.
    child: Option<Child>,
}

impl ServerUnderTest {
    /// A server already running at `url`.
    pub fn external(name: &str, url: &str, pid: Option<u32>) -> Self {
        ServerUnderTest {
            name: name.into(),
            spec: Spec::External { url: url.into(), pid },
        }
    }

    /// A server the benchmark starts as `program args...`; it must listen on
    /// an ephemeral port and print `listening on HOST:PORT` on stdout.
    pub fn process(name: &str, program: PathBuf, args: Vec<OsString>) -> Self {
        ServerUnderTest {
            name: name.into(),
            spec: Spec::Process { program, args },
        }
    }

    /// Makes the server ready: starts a fresh process, or just names the URL.
    pub async fn start(&self) -> Result<Running> {
        let (program, args) = match &self.spec {
            Spec::External { url, pid } => {
                return Ok(Running {
                    url: url.clone(),
                    pid: *pid,
                    child: None,
                })
            }
            Spec::Process { program, args } => (program, args),
        };
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let pid = child.id();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some((_, addr)) = line.split_once("listening on ") {
                    return Ok(Some(addr.trim().to_string()));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await
        .map_err(|_| format!("{}: no `listening on` line within {START_TIMEOUT:?}", self.name))??
        .ok_or_else(|| format!("{}: exited before printing its address", self.name))?;
        let addr: SocketAddr = addr
            .parse()
            .map_err(|e| format!("{}: bad address {addr:?}: {e}", self.name))?;
        // Keep reading stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Running {
            url: format!("ws://{addr}/"),
            pid,
            child: Some(child),
        })
    }
}

impl Running {
    /// Stops a started server (kill and reap); an external one is left alone.
    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}
