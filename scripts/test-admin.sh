#!/usr/bin/env bash
# The /admin dashboard's tests: builds its charts (scripts/build-admin.sh: npm ci in admin/,
# uPlot to admin/vendor/), then lhttpd (which embeds the page) and the Rust CLI `lhttp`, and
# runs `node --test` in admin/: the page in headless Chromium against the real lhttpd.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

"$root/scripts/build-admin.sh"
(cd "$root" && cargo build -p lhttp-server --bin lhttpd && cargo build -p lhttp-client --features cli --bin lhttp)
export LHTTPD_BIN="${LHTTPD_BIN:-$target_dir/debug/lhttpd}"
export LHTTP_BIN="${LHTTP_BIN:-$target_dir/debug/lhttp}"

cd "$root/admin"
# Node 20 has the WHATWG WebSocket behind a flag; Node 22+ has it by default.
node_flags=()
if node --experimental-websocket -e '' 2>/dev/null; then
    node_flags+=(--experimental-websocket)
fi
node "${node_flags[@]}" --test --test-concurrency=1 test/*.test.js
