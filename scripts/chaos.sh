#!/usr/bin/env bash
# The chaos run (RELIABILITY.md): three release lhttpd nodes joined through one
# `nats-server -js` (history in JetStream), 300 Rust SDK clients with reconnect
# on behind three small health-checked TCP balancers, 10 channels at 10
# publishes/s each; then, in turn: (a) kill -9 a node (started again after 5 s),
# (b) restart nats-server on the same store, (c) SIGSTOP a node for 6 s (past
# the 1 s cluster timeout), then SIGCONT. Prints, per fault, how long until
# every client got a publication published after it began, and the
# publications lost and duplicated; exits non-zero if any was lost or
# duplicated. About 1.5 minutes.
#   scripts/chaos.sh
#   scripts/chaos.sh --clients 600 --freeze 10
# Other arguments go to `lhttp-bench chaos` (see --help there). Set
# NATS_SERVER to choose the nats-server executable.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

nats="${NATS_SERVER:-$(command -v nats-server || true)}"
for candidate in /usr/sbin/nats-server /usr/bin/nats-server; do
    [[ -n "$nats" ]] && break
    [[ -x "$candidate" ]] && nats="$candidate"
done
if [[ -z "$nats" ]]; then
    echo "chaos.sh: nats-server not found: install it (apt-get install nats-server, or" >&2
    echo "  https://github.com/nats-io/nats-server/releases) or set NATS_SERVER" >&2
    exit 2
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cd "$root"
echo "chaos.sh: building lhttpd and lhttp-bench (release)"
cargo build --release -p lhttp-server --bin lhttpd -p lhttp-bench --bin lhttp-bench

# lhttp-bench starts nats-server and the nodes and stops them when it ends
# (also on SIGINT/SIGTERM, which the trap forwards).
bench_pid=""
cleanup() {
    if [[ -n "$bench_pid" ]] && kill -0 "$bench_pid" 2>/dev/null; then
        kill "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

echo "chaos.sh: running lhttp-bench chaos $* (nats-server: $nats)"
"$target_dir/release/lhttp-bench" chaos --lhttpd "$target_dir/release/lhttpd" --nats-server "$nats" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=""
exit "$status"
