//! The `lhttpd` binary as a process: started with flags and environment, its
//! address read from the line it prints first.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts lhttpd with `args` and `env`, returning it and its address.
pub fn lhttpd(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lhttpd"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = address(&mut child);
    (child, addr)
}

/// The address a started lhttpd prints on its first line (`lhttpd listening on ADDR`).
pub fn address(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("lhttpd listening on ")
        .expect(&line)
        .to_string()
}

/// Kills `child` and reaps it.
pub fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}
