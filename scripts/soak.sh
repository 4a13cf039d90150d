#!/usr/bin/env bash
# The soak (RELIABILITY.md): a fresh release lhttpd with history on, 9,000
# connections for 10 minutes, 10% of them leaving every minute and recovering
# what they missed with `since`, 200 publishes/s over 100 channels. Prints
# lhttpd's RSS and open files every 10 s, the RSS growth after the warm-up,
# the open files after every client left, and the delivery account; exits
# non-zero if anything was lost or duplicated or the open files did not return.
#   scripts/soak.sh                      # the full run (about 11 minutes)
#   scripts/soak.sh --ci                 # one minute, 1,000 connections (scripts/test)
#   scripts/soak.sh --duration 300 --connections 5000
# Other arguments go to `lhttp-bench soak` (see --help there).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

# 9,000 connections need 9,000 descriptors in the generator and in lhttpd.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cd "$root"
echo "soak.sh: building lhttpd and lhttp-bench (release)"
cargo build --release -p lhttp-server --bin lhttpd -p lhttp-bench --bin lhttp-bench

# lhttp-bench starts lhttpd itself and kills it when it ends; the trap covers
# an interrupted run.
bench_pid=""
cleanup() {
    if [[ -n "$bench_pid" ]] && kill -0 "$bench_pid" 2>/dev/null; then
        kill "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

echo "soak.sh: running lhttp-bench soak $*"
"$target_dir/release/lhttp-bench" soak --lhttpd "$target_dir/release/lhttpd" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=""
exit "$status"
