#!/usr/bin/env bash
# Builds and tests the Node SDK (bindings/node, npm package @lhttp/node):
#   1. installs the pinned npm tooling (@napi-rs/cli) from package-lock.json,
#   2. builds the addon with `napi build` (debug; regenerates index.js / index.d.ts),
#   3. builds the real server and CLI the tests talk to (lhttpd, lhttp),
#   4. runs `node --test` (codec, spec/vectors, client against a live lhttpd, clean exit).
# Under CI=true it also fails when the committed index.js / index.d.ts are stale.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
node_dir="$root/bindings/node"

cd "$node_dir"
# `npm ci` refuses a lock that lacks optional platform packages a registry mirror does
# not carry (the CLI's @napi-rs/lzma ones); `npm install` keeps the locked versions.
npm ci --no-audit --no-fund || {
    echo "test-node: npm ci failed; installing with npm install (same locked versions)" >&2
    npm install --no-audit --no-fund
}
./node_modules/.bin/napi build --platform
if [[ "${CI:-}" == "true" ]]; then
    git diff --exit-code -- index.js index.d.ts || {
        echo "test-node: index.js / index.d.ts differ from what napi generates; commit the regenerated files" >&2
        exit 1
    }
fi

cd "$root"
cargo build -p lhttp-server --bin lhttpd -p lhttp-client --bin lhttp
export LHTTPD_BIN="$target_dir/debug/lhttpd"
export LHTTP_CLI_BIN="$target_dir/debug/lhttp"

cd "$node_dir"
node --test test/
