//! The harness works end to end: `lhttp-bench --smoke` runs every scenario
//! against a real lhttp server (started in this test process, measured by pid)
//! and prints a table with figures in every row. No timing is asserted.

use lhttp_server::{Config, Server};
use std::process::Command;

#[test]
fn smoke_run_against_a_real_server_fills_the_table() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = runtime.block_on(Server::build(Config::default())).unwrap();
    runtime.spawn(server.run(listener, std::future::pending()));

    let out = Command::new(env!("CARGO_BIN_EXE_lhttp-bench"))
        .args(["--smoke", "--url", &format!("ws://{addr}/"), "--pid"])
        .arg(std::process::id().to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");

    let first_cell = |metric: &str| -> String {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {metric}")))
            .unwrap_or_else(|| panic!("no row {metric:?} in:\n{stdout}"));
        line.split('|').nth(2).unwrap().trim().to_string()
    };
    let number = |cell: &str| -> f64 {
        cell.split_whitespace()
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap()
    };
    // 20 subscribers: every publish is delivered to all of them.
    assert!(number(&first_cell("fan-out flat out")) > 0.0);
    assert!(number(&first_cell("fan-out at 100 publishes/s")) > 0.0);
    assert!(!first_cell("fan-out flat out").contains("lost"), "{stdout}");
    for load in ["4 rooms of 5", "1 room of 20"] {
        let p50 = number(&first_cell(&format!("latency p50, {load}")));
        let max = number(&first_cell(&format!("latency max, {load}")));
        assert!(p50 > 0.0 && p50 <= max, "{stdout}");
        // The plain-TCP floor of the same load, measured in the same run.
        let row = stdout
            .lines()
            .find(|l| l.contains(&format!("latency p99, {load}")))
            .unwrap();
        let floor: f64 = row
            .split('|')
            .nth(3)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(floor > 0.0, "{stdout}");
        // Then the single-writer floor, and the first server's ratio to the per-core one.
        let one_writer = row.split('|').nth(4).unwrap().trim();
        assert!(!one_writer.is_empty() && one_writer != "-", "{stdout}");
    }
    assert!(
        first_cell("  ratio: p99 / per-core floor's p99").ends_with('x'),
        "{stdout}"
    );
    assert!(!first_cell("server RSS per idle connection at 20").contains("error"));
    assert!(stdout.contains("server RSS per idle connection at 40"));
}
