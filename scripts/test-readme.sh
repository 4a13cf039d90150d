#!/usr/bin/env bash
# Runs the code blocks of README.md and client/README.md as a new user would, so a snippet that
# drifts from the code fails CI: the chat server from ./scripts/chat, the lhttp tool installed
# with cargo install, sub/pub/curl against it, and the two Rust examples as new cargo projects
# in a fresh folder outside the repository. The only change to a block is the demo address
# 127.0.0.1:8081, replaced by a live server's (scripts/snippets.py --addr).
#
# Speed: the new projects start from the workspace's Cargo.lock and share its target directory,
# so they build with exactly the tested versions and reuse what the other stages compiled;
# cargo install does too (CARGO_TARGET_DIR, CARGO_INSTALL_ROOT in a scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lhttp-readme.XXXXXX")
PIDS=()
# Background commands run in sessions of their own (setsid), so stopping one stops what it
# started too (cargo run's lhttpd, a block's lhttp).
cleanup() {
  for pid in "${PIDS[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
snip() { python3 "$ROOT/scripts/snippets.py" "$@"; }
# shellcheck source=lib/wait.sh
source "$ROOT/scripts/lib/wait.sh"
listening_on() { sed -n 's/^.*listening on \([0-9.:]*\).*$/\1/p' "$1" | head -1; }
# run NAME README BLOCK [ADDR]: a shell block as written, in a fresh folder, with $LHTTP set.
run_block() {
  local dir="$WORK/$1"
  mkdir -p "$dir"
  snip write "$2" "$3" "$dir/block.sh" ${4:+--addr "$4"}
  (cd "$dir" && LHTTP=$ROOT bash -euo pipefail block.sh)
}

export CARGO_TARGET_DIR=$TARGET
export CARGO_INSTALL_ROOT=$WORK/cargo-root
export PATH=$CARGO_INSTALL_ROOT/bin:$PATH

# --- README.md setup.sh: line 2 is the test command .ci/run runs; line 1 is the chat server ---
snip write README.md setup.sh "$WORK/setup.sh"
chat_cmd=$(sed -n 1p "$WORK/setup.sh" | sed 's/ *#.*//')
test_cmd=$(sed -n 2p "$WORK/setup.sh" | sed 's/ *#.*//')
if [ "$test_cmd" = ./scripts/test ] && grep -q '/scripts/test"$' .ci/run; then
  ok "README's test command is what .ci/run runs"
else
  bad "README's second set-up command ($test_cmd) is not what .ci/run runs"
fi
# The chat server as the README starts it, on a free port (lhttpd reads LHTTPD_LISTEN); what it
# compiles the first time is built here first, so the wait below is for start-up only.
echo "building what ./scripts/chat runs (the wasm codec if missing, lhttpd --release)"
[ -f js-sdk/wasm/lhttp_wasm_bg.wasm ] || scripts/build-wasm.sh
[ -f admin/vendor/uPlot.esm.js ] || scripts/build-admin.sh
cargo build -q --release --bin lhttpd   # the same features as cargo run in scripts/chat
LHTTPD_LISTEN=127.0.0.1:0 setsid bash -c "exec $chat_cmd" > "$WORK/chat.out" 2> "$WORK/chat.err" &
PIDS+=($!)
wait_for "$WORK/chat.out" "lhttpd listening on"
CHAT=$(listening_on "$WORK/chat.out")
page=$(curl -sf "http://$CHAT/")
sdk=$(curl -sf -o /dev/null -w '%{http_code}' "http://$CHAT/js-sdk/wasm/lhttp_wasm_bg.wasm")
if [[ "$page" == *"<h1>lhttp chat</h1>"* && "$sdk" = 200 ]] && grep -q 'pages=/ and /js-sdk built in' "$WORK/chat.err"; then
  ok "./scripts/chat serves the chat demo and the browser SDK, and says so at start-up"
else
  bad "./scripts/chat: page or SDK not served"; cat "$WORK/chat.err"
fi

# --- README.md install-cli.sh, from the repository root as it says; client/README.md install.sh ---
echo "installing the lhttp tool with cargo install (release build, shared target directory)"
if snip get README.md install-cli.sh | bash -euo pipefail && command -v lhttp | grep -q "^$CARGO_INSTALL_ROOT/"; then
  ok "README's cargo install line installs lhttp"
else
  bad "README's cargo install line"
fi
if run_block install client/README.md install.sh > "$WORK/install.out" 2>&1 && grep -q 'sub' "$WORK/install.out" && grep -q 'pub' "$WORK/install.out"; then
  ok "client/README.md's install block installs lhttp from \$LHTTP and its --help names sub and pub"
else
  bad "client/README.md install.sh"; cat "$WORK/install.out"
fi

# --- README.md sub.sh / pub.sh: what the subscriber prints is what was published ---
mkdir -p "$WORK/sub"
snip write README.md sub.sh "$WORK/sub/block.sh" --addr "$CHAT"
(cd "$WORK/sub" && exec setsid bash -euo pipefail block.sh) > "$WORK/sub.out" 2> "$WORK/sub.err" &
SUB=$!
PIDS+=($SUB)
wait_for "$WORK/sub.err" "subscribed to room"
run_block pub README.md pub.sh "$CHAT" > "$WORK/pub.out" 2>&1 || bad "README pub.sh exited with an error"
wait_for "$WORK/sub.out" "hello from curl" || true
kill -- "-$SUB" 2>/dev/null || true
if [ "$(cat "$WORK/sub.out")" = $'hello from lhttp pub\nhello from curl' ] && grep -q 'delivered to 1' "$WORK/pub.out"; then
  ok "README sub/pub/curl: the subscriber prints both publications"
else
  bad "README sub/pub/curl"; cat "$WORK/sub.out" "$WORK/sub.err" "$WORK/pub.out"
fi

# --- client/README.md sub.sh / pub.sh ---
mkdir -p "$WORK/csub"
snip write client/README.md sub.sh "$WORK/csub/block.sh" --addr "$CHAT"
(cd "$WORK/csub" && exec setsid bash -euo pipefail block.sh) > "$WORK/csub.out" 2> "$WORK/csub.err" &
CSUB=$!
PIDS+=($CSUB)
wait_for "$WORK/csub.err" "subscribed to room"
run_block cpub client/README.md pub.sh "$CHAT" > "$WORK/cpub.out" 2>&1 || true
wait "$CSUB" || true
if [ "$(cat "$WORK/csub.out")" = "hello from lhttp pub" ] && [ "$(cat "$WORK/cpub.out")" = "delivered to 1 subscriber(s)" ]; then
  ok "client/README.md sub/pub print what the README says"
else
  bad "client/README.md sub/pub"; cat "$WORK/csub.out" "$WORK/csub.err" "$WORK/cpub.out"
fi

# new_project DIR README CARGO_BLOCK MAIN_BLOCK [ADDR]: a cargo project beside a checkout named lhttp.
new_project() {
  mkdir -p "$WORK/$1/src"
  ln -sfn "$ROOT" "$WORK/lhttp"
  snip write "$2" "$3" "$WORK/$1/Cargo.toml"
  snip write "$2" "$4" "$WORK/$1/src/main.rs" ${5:+--addr "$5"}
  cp Cargo.lock "$WORK/$1/Cargo.lock"
}

# --- client/README.md: the crate-level example as a new project, against the chat server ---
new_project chat-client client/README.md Cargo.toml main.rs "$CHAT"
echo "building client/README.md's example as a new cargo project"
if (cd "$WORK/chat-client" && cargo run -q) > "$WORK/client.out" 2> "$WORK/client.err" \
  && diff <(snip get client/README.md output.txt) "$WORK/client.out"; then
  ok "client/README.md's example builds as a new project and prints what the README shows"
else
  bad "client/README.md example"; cat "$WORK/client.out" "$WORK/client.err"
fi

# --- README.md: the server example as a new project, tried with send.sh ---
new_project my-server README.md server-Cargo.toml server.rs 127.0.0.1:0
echo "building README.md's server example as a new cargo project"
if (cd "$WORK/my-server" && cargo build -q) 2> "$WORK/server-build.err"; then
  (cd "$WORK/my-server" && exec setsid "$TARGET/debug/my-server") > "$WORK/server.out" 2>&1 &
  PIDS+=($!)
  wait_for "$WORK/server.out" "listening on"
  MINE=$(listening_on "$WORK/server.out")
  run_block send README.md send.sh "$MINE" > "$WORK/send.out" 2>&1 || true
  if grep -qx 'LHTTP/1.0 auth' "$WORK/send.out" && grep -qx 'header-key:header-value' "$WORK/send.out" && grep -qx 'hello' "$WORK/send.out"; then
    ok "README's server example answers send.sh with auth, its header and the body"
  else
    bad "README server example and send.sh"; cat "$WORK/send.out" "$WORK/server.out"
  fi
else
  bad "README's server example does not build"; cat "$WORK/server-build.err"
fi

echo "readme: $passed passed, $failed failed"
[ "$failed" = 0 ]
