#!/usr/bin/env bash
# The browser SDK's tests: installs js-sdk's pinned dev dependencies, builds the
# wasm codec and lhttpd, then runs `node --test` in js-sdk (spec vectors through
# the wasm build, the Context API, the client against lhttpd, the chat demo in
# headless Chromium, and every code block of js-sdk/README.md as a new user runs
# it: test/readme.e2e.test.js).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

cd "$root/js-sdk"
npm ci --no-audit --no-fund
"$root/scripts/build-wasm.sh"
# readPosition and writePosition live only in the vectors' build of the module.
"$root/scripts/build-wasm.sh" --vectors
export LHTTP_WASM_VECTORS="${LHTTP_WASM_VECTORS:-$target_dir/wasm-vectors}"
# The binding's own tests (bindings/wasm/tests/node.rs) run as wasm in Node through
# wasm-bindgen-cli's test runner, installed with wasm-bindgen by scripts/test (no -q: cargo
# would pass --quiet on to the runner, which refuses it).
echo "test-js: lhttp-wasm's own tests as wasm in Node (wasm-bindgen-test-runner)"
(cd "$root" && CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p lhttp-wasm --target wasm32-unknown-unknown)
(cd "$root" && cargo build -p lhttp-server --bin lhttpd)
export LHTTPD_BIN="${LHTTPD_BIN:-$target_dir/debug/lhttpd}"

# Node 20 has the WHATWG WebSocket behind a flag; Node 22+ has it by default.
node_flags=()
if node --experimental-websocket -e '' 2>/dev/null; then
    node_flags+=(--experimental-websocket)
fi
node "${node_flags[@]}" --test --test-concurrency=1 test/*.test.js
