#!/usr/bin/env bash
# Runs the lhttpd benchmark and prints the comparison table (see BENCHMARKS.md):
#   1. builds lhttpd and lhttp-bench in release mode,
#   2. installs the ws baseline (bench/baseline) from its package-lock.json,
#   3. runs every scenario against lhttpd and the baseline in the same run.
# Arguments are passed to lhttp-bench, e.g.:
#   scripts/bench.sh                      # the full run (about 15 minutes: six latency loads, five columns)
#   scripts/bench.sh --smoke              # a second per scenario at tiny sizes (CI)
#   scripts/bench.sh --scenarios fanout,latency --duration 10
# Set NODE to choose the node executable.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

# 9,000 idle connections need 9,000 descriptors in the generator and in each server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cd "$root"
cargo build --release -p lhttp-server --bin lhttpd -p lhttp-bench --bin lhttp-bench

cd "$root/bench/baseline"
npm ci --no-audit --no-fund --loglevel=error

cd "$root"
exec "$target_dir/release/lhttp-bench" \
    --lhttpd "$target_dir/release/lhttpd" \
    --baseline "$root/bench/baseline/server.js" \
    --node "${NODE:-node}" \
    "$@"
