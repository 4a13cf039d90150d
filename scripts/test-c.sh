#!/usr/bin/env bash
# The C ABI's checks: builds liblhttp; fails if ffi/include/lhttp.h differs from what the
# README's cbindgen line (pinned version) generates; runs ffi/README.md's install, compile and
# link blocks as written in a fresh folder outside the repository against a live lhttpd (the
# /usr/local + ldconfig one in a private mount namespace) and checks the result with readelf;
# then, with the prefix scripts/install-c.sh installed, compiles the C vectors test and the
# C/C++ examples with gcc/g++ through pkg-config, runs the vectors test under valgrind (zero
# errors, zero leaks), runs the C++ example, runs the C chat example against the live lhttpd
# with a second client, and the C client test (ffi/tests/client.c) against an lhttpd it
# drops (recovery notices) and restarts on the same port (with history: reads, positions,
# Unrecovered after the restart); the tokens test; and presence (ffi/tests/presence.c and the
# README's presence.c) against an lhttpd with presence, join/leave and self-declared identity.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CBINDGEN_VERSION=0.29.4
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BUILD=$TARGET/c-tests
rm -rf "$BUILD" && mkdir -p "$BUILD"
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
snippet() { python3 "$ROOT/scripts/snippets.py" "$@"; }

# --- the pinned cbindgen ---
CBINDGEN=cbindgen
if ! cbindgen --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
  CBINDGEN=$TARGET/tools/bin/cbindgen
  if ! "$CBINDGEN" --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
    echo "installing cbindgen $CBINDGEN_VERSION"
    cargo install -q --locked cbindgen --version "$CBINDGEN_VERSION" --root "$TARGET/tools"
  fi
fi

# --- build ---
# Two commands: with --bin, cargo would build no library target of lhttp-ffi. The lhttp CLI
# sits behind lhttp-client's cli feature where that feature exists.
cargo build -q -p lhttp-ffi
cli_feature=()
if cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; sys.exit(0 if any(p["name"] == "lhttp-client" and "cli" in p["features"] for p in json.load(sys.stdin)["packages"]) else 1)'; then
  cli_feature=(--features lhttp-client/cli)
fi
cargo build -q -p lhttp-server --bin lhttpd -p lhttp-client --bin lhttp "${cli_feature[@]}"
LIB=$TARGET/debug

# --- the committed header is what the README's cbindgen line generates ---
# That line writes ffi/include/lhttp.h in place (from the root, as the README says); the
# committed bytes are kept aside and put back, so a stale header fails without the tree changing.
cp ffi/include/lhttp.h "$BUILD/lhttp.h.committed"
snippet write ffi/README.md cbindgen.sh "$BUILD/cbindgen.sh"
cbindgen_rc=0
PATH="$(dirname "$(command -v "$CBINDGEN")"):$PATH" bash -euo pipefail "$BUILD/cbindgen.sh" || cbindgen_rc=$?
cp ffi/include/lhttp.h "$BUILD/lhttp.h"
cp "$BUILD/lhttp.h.committed" ffi/include/lhttp.h
if [ "$cbindgen_rc" = 0 ] && diff -u ffi/include/lhttp.h "$BUILD/lhttp.h"; then
  ok "ffi/include/lhttp.h is what ffi/README.md's cbindgen line generates (cbindgen $CBINDGEN_VERSION)"
else
  bad "ffi/include/lhttp.h differs from cbindgen's output (exit $cbindgen_rc): regenerate it with
  $CBINDGEN --config ffi/cbindgen.toml --crate lhttp-ffi --output ffi/include/lhttp.h ffi"
fi

# --- a live lhttpd, for the README's program, the chat example and the second client ---
PIDS=()
SCRATCH=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  exec 3>&- 2>/dev/null || true
  # The README's folders hold a whole install each (a debug liblhttp.a is large).
  for dir in "${SCRATCH[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT
# shellcheck source=lib/wait.sh
source "$ROOT/scripts/lib/wait.sh"
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn > "$BUILD/lhttpd.out" 2>&1 &
PIDS+=($!)
wait_for "$BUILD/lhttpd.out" "lhttpd listening on"
ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/lhttpd.out" | head -1)
URL="ws://$ADDR/"

# --- ffi/README.md as a new user runs it: install, compile, run, in a folder of their own ---
# The install, link and static-link blocks run in one shell, one after the other, as typed;
# the only change is the server address. LHTTP_C_PROFILE=dev reuses the debug build above.
README_DIR=$(mktemp -d)
SCRATCH+=("$README_DIR")
case $README_DIR/ in "$ROOT"/*) echo "mktemp -d gave a folder inside the repository: $README_DIR"; exit 1 ;; esac
PREFIX=$README_DIR/prefix
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
snippet write ffi/README.md app.c "$README_DIR/app.c" --addr "$ADDR"
snippet get ffi/README.md app.out > "$BUILD/app.expected"
{
  snippet get ffi/README.md install.sh
  snippet get ffi/README.md link.sh
  snippet get ffi/README.md link-static.sh
} > "$BUILD/readme-session.sh"
readme_rc=0
(cd "$README_DIR" && env -u PKG_CONFIG_PATH LHTTP="$ROOT" PREFIX="$PREFIX" LHTTP_C_PROFILE=dev \
  bash -euo pipefail "$BUILD/readme-session.sh") > "$BUILD/readme.out" 2> "$BUILD/readme.err" || readme_rc=$?
cat "$BUILD/readme.out"
if [ "$readme_rc" = 0 ] &&
  [ "$(sed -n '2,3p' "$BUILD/readme.out")" = "$(cat "$BUILD/app.expected")" ] &&
  [ "$(tail -n 2 "$BUILD/readme.out")" = "$(cat "$BUILD/app.expected")" ]; then
  ok "ffi/README.md's install, link (rpath) and static-link blocks run as written; both programs print app.out"
else
  bad "ffi/README.md's blocks (exit $readme_rc)"; cat "$BUILD/readme.err"
fi
# What install-c.sh put there, and what the programs ask the loader for.
soname=$(readelf -d "$PREFIX/lib/liblhttp.so.$VERSION" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = liblhttp.so.0 ] && [ "$(readlink "$PREFIX/lib/liblhttp.so.0")" = "liblhttp.so.$VERSION" ] &&
  [ "$(readlink "$PREFIX/lib/liblhttp.so")" = liblhttp.so.0 ] && [ -f "$PREFIX/lib/liblhttp.a" ] &&
  [ -f "$PREFIX/include/lhttp.h" ] && [ -f "$PREFIX/lib/pkgconfig/lhttp.pc" ] && [ -f "$PREFIX/lib/pkgconfig/lhttp-static.pc" ]; then
  ok "install-c.sh: liblhttp.so.$VERSION with SONAME liblhttp.so.0, its two links, liblhttp.a, lhttp.h, lhttp.pc, lhttp-static.pc"
else
  bad "install-c.sh's files (SONAME '$soname')"; ls -lR "$PREFIX"
fi
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
runpath=$(readelf -d "$README_DIR/app" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
if needed "$README_DIR/app" | grep -qx liblhttp.so.0 && [ "$runpath" = "$PREFIX/lib" ]; then
  ok "the rpath-linked program needs liblhttp.so.0 (the SONAME) with RUNPATH $PREFIX/lib"
else
  bad "the rpath-linked program: NEEDED $(needed "$README_DIR/app" | tr '\n' ' '), RUNPATH '$runpath'"
fi
if [ -x "$README_DIR/app-static" ] && ! needed "$README_DIR/app-static" | grep -q lhttp; then
  ok "the program linked through lhttp-static.pc needs no liblhttp"
else
  bad "the static program still needs: $(needed "$README_DIR/app-static" | tr '\n' ' ')"
fi
# Installing again over the same prefix works and leaves the same files.
(cd "$PREFIX" && find . -printf '%p %l\n' | sort && cat lib/pkgconfig/*.pc) > "$BUILD/prefix.before"
if scripts/install-c.sh --no-build --profile dev "$PREFIX" > /dev/null &&
  (cd "$PREFIX" && find . -printf '%p %l\n' | sort && cat lib/pkgconfig/*.pc) | diff "$BUILD/prefix.before" - &&
  cmp -s "$LIB/liblhttp.so" "$PREFIX/lib/liblhttp.so.$VERSION"; then
  ok "install-c.sh a second time over the same prefix: same files"
else
  bad "install-c.sh a second time over the same prefix"
fi

# --- the README's /usr/local + ldconfig block, as root, without touching the machine ---
# A private mount namespace lays a scratch layer over /usr/local and /etc (where ldconfig
# writes its cache), so the block installs and runs ldconfig as written while the machine's
# files stay as they were. sudo there is root's own shell: a stand-in that runs the command.
SYSTEM_DIR=$(mktemp -d)
SCRATCH+=("$SYSTEM_DIR")
snippet write ffi/README.md app.c "$SYSTEM_DIR/app.c" --addr "$ADDR"
snippet write ffi/README.md system.sh "$BUILD/system.sh"
mkdir -p "$BUILD/sudo-bin" "$BUILD/ns"
printf '#!/bin/sh\n# root already, inside the test namespace\nexec "$@"\n' > "$BUILD/sudo-bin/sudo"
chmod +x "$BUILD/sudo-bin/sudo"
cat > "$BUILD/namespace.sh" <<'EOF'
set -euo pipefail
scratch=$1
mount -t tmpfs lhttp-c-test "$scratch"
for dir in /usr/local /etc; do
  layer=$scratch/$(echo "$dir" | tr / _)
  mkdir -p "$layer/upper" "$layer/work"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/upper,workdir=$layer/work" "$dir"
done
bash -euo pipefail "$SYSTEM_SH"
readelf -d app | sed -n 's/.*(\(NEEDED\|RUNPATH\|RPATH\)).*\[\(.*\)\]/\1 \2/p'
ldconfig -p | sed -n 's/^\s*liblhttp.so.0 .* => //p'
EOF
ns=(unshare --mount)
[ "$(id -u)" = 0 ] || ns=(unshare --mount --map-root-user)
machine() { ls -l --time-style=full-iso /etc/ld.so.cache /usr/local/lib /usr/local/include 2>&1; }
machine > "$BUILD/machine.before"
system_rc=0
(cd "$SYSTEM_DIR" && env -u PKG_CONFIG_PATH PATH="$BUILD/sudo-bin:$PATH" LHTTP="$ROOT" LHTTP_C_PROFILE=dev \
  SYSTEM_SH="$BUILD/system.sh" "${ns[@]}" bash "$BUILD/namespace.sh" "$BUILD/ns") \
  > "$BUILD/system.out" 2> "$BUILD/system.err" || system_rc=$?
cat "$BUILD/system.out"
# Output: install-c.sh's line, the program's two lines, its NEEDED entries, ldconfig's path.
if [ "$system_rc" = 0 ] && [ "$(sed -n '2,3p' "$BUILD/system.out")" = "$(cat "$BUILD/app.expected")" ] &&
  grep -qx "NEEDED liblhttp.so.0" "$BUILD/system.out" && ! grep -q "^R.*PATH " "$BUILD/system.out" &&
  [ "$(tail -n 1 "$BUILD/system.out")" = /usr/local/lib/liblhttp.so.0 ]; then
  ok "ffi/README.md's /usr/local + ldconfig block runs as written: no rpath, liblhttp.so.0 found through ldconfig's cache"
else
  bad "ffi/README.md's /usr/local + ldconfig block (exit $system_rc; it needs unshare and overlayfs)"; cat "$BUILD/system.err"
fi
if machine | diff "$BUILD/machine.before" - > /dev/null; then
  ok "the machine's /usr/local and loader cache are as they were"
else
  bad "the /usr/local block changed the machine's /usr/local or /etc/ld.so.cache"
fi

# --- the installed prefix, for the tests and examples below ---
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
CFLAGS="-Wall -Wextra -Werror -g $(pkg-config --cflags lhttp)"
LIBS="$(pkg-config --libs lhttp) -Wl,-rpath,$PREFIX/lib"

# --- compile ---
python3 ffi/tests/gen_vectors.py spec/vectors > "$BUILD/vectors_data.h"
gcc -std=c11 $CFLAGS -I "$BUILD" ffi/tests/vectors.c -o "$BUILD/vectors" $LIBS
gcc -std=c11 $CFLAGS -I "$BUILD" ffi/tests/vectors.c -o "$BUILD/vectors-static" $(pkg-config --libs lhttp-static)
gcc -std=c11 $CFLAGS examples/c/chat.c -o "$BUILD/chat" $LIBS
gcc -std=c11 $CFLAGS ffi/tests/client.c -o "$BUILD/client" $LIBS
gcc -std=c11 $CFLAGS ffi/tests/tokens.c -o "$BUILD/tokens" $LIBS
gcc -std=c11 $CFLAGS ffi/tests/presence.c -o "$BUILD/presence" $LIBS
gcc -std=c11 $CFLAGS -pthread ffi/tests/config.c -o "$BUILD/config" $LIBS
gcc -std=c11 $CFLAGS ffi/tests/tls.c -o "$BUILD/tls" $LIBS
gcc -std=c11 $CFLAGS "$README_DIR/app.c" -o "$BUILD/app" $LIBS
g++ -std=c++17 $CFLAGS examples/cpp/multipart.cpp -o "$BUILD/multipart" $LIBS
ok "the C tests, the README's app.c and the C/C++ examples compile with gcc/g++ -Wall -Wextra -Werror through pkg-config"

# --- the vectors, through the C API, under valgrind ---
if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
  "$BUILD/vectors"; then
  ok "spec/vectors through the C API, valgrind clean"
else
  bad "spec/vectors through the C API (or valgrind found errors or leaks)"
fi
if "$BUILD/vectors-static" > /dev/null; then ok "the vectors test linked with liblhttp.a"; else bad "static link"; fi

# --- the README's program under valgrind ---
if [ "$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$BUILD/app")" = "$(cat "$BUILD/app.expected")" ]; then
  ok "the README's app.c, valgrind clean"
else
  bad "the README's app.c under valgrind"
fi

# --- the C++ example ---
expected=$'command upload, multipart:0 24\npart 0: a.txt = first file\npart 1: b.bin = second'
if [ "$("$BUILD/multipart")" = "$expected" ]; then ok "C++ multipart example"; else bad "C++ multipart example"; fi

# --- the C chat example against a live lhttpd and a second client ---
# Bob, the second client: the lhttp CLI, printing the first two bodies on the room.
"$LIB/lhttp" sub "$URL" room --body-only --count 2 > "$BUILD/bob.out" 2> "$BUILD/bob.err" &
BOB=$!
PIDS+=($BOB)
wait_for "$BUILD/bob.err" "subscribed to room"

# Alice, the C chat client, under valgrind, typing through a FIFO.
mkfifo "$BUILD/alice.in"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$BUILD/chat" "$URL" room alice < "$BUILD/alice.in" > "$BUILD/alice.out" 2> "$BUILD/alice.err" &
ALICE=$!
PIDS+=($ALICE)
exec 3> "$BUILD/alice.in"
chat_ok=1
wait_for "$BUILD/alice.out" "joined room" || chat_ok=0
echo "hello from C" >&3
wait_for "$BUILD/bob.out" "alice: hello from C" || chat_ok=0     # Alice -> Bob
"$LIB/lhttp" pub "$URL" room "bob: hi alice" --command chat > /dev/null || chat_ok=0
wait_for "$BUILD/alice.out" "bob: hi alice" || chat_ok=0          # Bob -> Alice
wait_for "$BUILD/alice.out" "alice: hello from C" || chat_ok=0    # Alice sees her own line
exec 3>&-                                                          # end of Alice's input: she leaves
alice_rc=0
wait "$ALICE" || alice_rc=$?
wait "$BOB" || chat_ok=0
[ "$alice_rc" = 0 ] || { echo "chat exited with $alice_rc"; cat "$BUILD/alice.err"; chat_ok=0; }
if [ "$chat_ok" = 1 ] && [ "$(cat "$BUILD/bob.out")" = $'alice: hello from C\nbob: hi alice' ]; then
  ok "C chat example exchanges messages with a second client through lhttpd (valgrind clean)"
else
  bad "C chat example against lhttpd"; cat "$BUILD/alice.out" "$BUILD/alice.err" "$BUILD/bob.out" "$BUILD/bob.err"
fi

# --- ffi/README.md's history.c, under valgrind, against lhttpd with history as the README runs it ---
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn --history-size 100 --history-ttl 300 > "$BUILD/history-server.out" 2>&1 &
PIDS+=($!)
wait_for "$BUILD/history-server.out" "lhttpd listening on"
HISTORY_ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/history-server.out" | head -1)
snippet write ffi/README.md history.c "$BUILD/history.c" --addr "$HISTORY_ADDR"
if gcc -std=c11 $CFLAGS "$BUILD/history.c" -o "$BUILD/history" $LIBS &&
  [ "$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$BUILD/history")" = "$(snippet get ffi/README.md history.out)" ]; then
  ok "ffi/README.md's history.c prints history.out against lhttpd --history-size 100 --history-ttl 300 (valgrind clean)"
else
  bad "ffi/README.md's history.c against lhttpd with history"
fi

# --- the C client test: refused channel lists, a refused Origin, history, recovery notices,
# 150 channels restored ---
# ffi/tests/client.c asks for its connection to be dropped ("drop client <id>": close_client
# through lhttpd's HTTP API) and for the restart ("restart the server"), and waits for a line
# after each. Its server keeps history for the namespaces h and t only (t keeps 2 publications;
# the 150 restored channels have none); the first lhttpd above ($URL), without any, answers
# NoHistory.
printf '[namespaces.h]\nhistory_size = 100\nhistory_ttl = 300\n[namespaces.t]\nhistory_size = 2\nhistory_ttl = 60\n' > "$BUILD/history.toml"
HISTORY=(--config "$BUILD/history.toml")
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn "${HISTORY[@]}" > "$BUILD/restore1.out" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
wait_for "$BUILD/restore1.out" "lhttpd listening on"
ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/restore1.out" | head -1)

mkfifo "$BUILD/client.in"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$BUILD/client" "ws://$ADDR/" "$URL" < "$BUILD/client.in" > "$BUILD/client.out" 2> "$BUILD/client.err" &
CLIENT=$!
PIDS+=($CLIENT)
exec 4> "$BUILD/client.in"
client_ok=1
# The client asks for its connection to be dropped (it reconnects after its backoff).
if wait_for "$BUILD/client.out" "drop client "; then
  DROP=$(sed -n 's/^drop client //p' "$BUILD/client.out" | head -1)
  curl -sf -X POST "http://$ADDR/api/close_client" -d "{\"client\":\"$DROP\"}" > /dev/null || client_ok=0
  for _ in $(seq 1 400); do
    [ "$(curl -sf -X POST "http://$ADDR/api/is_online" -d "{\"client\":\"$DROP\"}")" = '{"result":false}' ] && break
    sleep 0.01
  done
  echo dropped >&4
else
  client_ok=0
fi
if wait_for "$BUILD/client.out" "restart the server"; then
  kill "$SERVER"; wait "$SERVER" || true
  "$LIB/lhttpd" --listen "$ADDR" --log warn "${HISTORY[@]}" > "$BUILD/restore2.out" 2>&1 &
  PIDS+=($!)
  wait_for "$BUILD/restore2.out" "lhttpd listening on" || client_ok=0
  echo restarted >&4
else
  client_ok=0
fi
exec 4>&-
client_rc=0
wait "$CLIENT" || client_rc=$?
sed 's/^/  /' "$BUILD/client.out"
if [ "$client_ok" = 1 ] && [ "$client_rc" = 0 ]; then
  ok "C client: refused channel lists are CHANNEL, a foreign Origin is a 403 CONNECT, history and position (NO_HISTORY, POSITION), recovery notices after a dropped connection (RECOVERED, UNRECOVERED), 150 channels restored and the one with history Unrecovered after a restart (valgrind clean)"
else
  bad "C client test (exit $client_rc)"; cat "$BUILD/client.err"
fi

# --- tokens (spec 14): ffi/tests/tokens.c, under valgrind, against lhttpd with an HMAC secret ---
# The secret comes from a file (as a deployment would keep it); `priv` channels need a
# subscription token; no grace after a token's exp, so an unrefreshed connection closes.
printf 'c-test-secret\n' > "$BUILD/token-secret"
printf '[namespaces.priv]\nsubscribe = "token"\n' > "$BUILD/tokens.toml"
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn --token-hmac-secret-file "$BUILD/token-secret" --token-grace 0 \
  --config "$BUILD/tokens.toml" > "$BUILD/tokens-server.out" 2>&1 &
PIDS+=($!)
wait_for "$BUILD/tokens-server.out" "lhttpd listening on"
TOKENS_ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/tokens-server.out" | head -1)
tokens_rc=0
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$BUILD/tokens" "ws://$TOKENS_ADDR/" "python3 $ROOT/ffi/tests/sign_token.py c-test-secret" > "$BUILD/tokens.out" 2>&1 || tokens_rc=$?
sed 's/^/  /' "$BUILD/tokens.out"
if [ "$tokens_rc" = 0 ]; then
  ok "C tokens: lhttp_config_set_token (uid, UNAUTHORIZED without the token in lhttp_last_error), the token callback refreshing before expiry, the subscription token callback for a token-rule namespace, a failing callback IO (valgrind clean)"
else
  bad "C tokens test (exit $tokens_rc)"
fi

# --- presence (spec 15): ffi/tests/presence.c and the README's presence.c, under valgrind ---
# Members and join/leave for the default namespace, leaves at once (no grace), uid and info from
# the URL; the `quiet` namespace has a table of its own without presence (NoPresence).
printf '[namespaces.quiet]\n' > "$BUILD/presence.toml"
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn --presence --join-leave --presence-grace 0 --client-identity \
  --config "$BUILD/presence.toml" > "$BUILD/presence-server.out" 2>&1 &
PIDS+=($!)
wait_for "$BUILD/presence-server.out" "lhttpd listening on"
PRESENCE_ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/presence-server.out" | head -1)
presence_rc=0
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$BUILD/presence" "ws://$PRESENCE_ADDR/" > "$BUILD/presence.out" 2>&1 || presence_rc=$?
sed 's/^/  /' "$BUILD/presence.out"
if [ "$presence_rc" = 0 ]; then
  ok "C presence: join events with the URL's uid and info, lhttp_client_presence and _stats (two connections of one uid, one user), a publication before its publisher's leave, leave reasons, NO_PRESENCE (valgrind clean)"
else
  bad "C presence test (exit $presence_rc)"
fi
snippet write ffi/README.md presence.c "$BUILD/presence-readme.c" --addr "$PRESENCE_ADDR"
if gcc -std=c11 $CFLAGS "$BUILD/presence-readme.c" -o "$BUILD/presence-readme" $LIBS &&
  [ "$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$BUILD/presence-readme")" = "$(snippet get ffi/README.md presence.out)" ]; then
  ok "ffi/README.md's presence.c prints presence.out against lhttpd --presence --join-leave --client-identity (valgrind clean)"
else
  bad "ffi/README.md's presence.c against lhttpd with presence"
fi

# --- settings (ffi/tests/config.c), under valgrind, against three lhttpds ---
# PLAIN answers POST /publish with --publish-token only; IDLE closes a connection silent for 1 s
# (checked at its pings: the first 2 s after the connection opens); GONE is stopped when the
# test prints "stop the server" (its client has reconnect with max_attempts 2).
PUBLISH_TOKEN=c-test-publish-token
start_lhttpd() { # name, lhttpd's flags...: starts it, sets $ADDR to its address
  local name=$1
  shift
  "$LIB/lhttpd" --listen 127.0.0.1:0 --log warn "$@" > "$BUILD/$name.out" 2>&1 &
  PIDS+=($!)
  LAST_PID=$!
  wait_for "$BUILD/$name.out" "lhttpd listening on"
  ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/$name.out" | head -1)
}
echo "config: lhttpd --publish-token; lhttpd --idle-timeout 1 --ping-interval 2; an lhttpd to stop"
start_lhttpd config-plain --publish-token "$PUBLISH_TOKEN"
PLAIN_ADDR=$ADDR
start_lhttpd config-idle --idle-timeout 1 --ping-interval 2
IDLE_ADDR=$ADDR
start_lhttpd config-gone
GONE_ADDR=$ADDR
GONE=$LAST_PID
mkfifo "$BUILD/config.in"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$BUILD/config" "ws://$PLAIN_ADDR/" "http://$PLAIN_ADDR" "$PUBLISH_TOKEN" "ws://$IDLE_ADDR/" "ws://$GONE_ADDR/" \
  < "$BUILD/config.in" > "$BUILD/config.out" 2> "$BUILD/config.err" &
CONFIG=$!
PIDS+=($CONFIG)
exec 5> "$BUILD/config.in"
config_ok=1
if wait_for "$BUILD/config.out" "stop the server"; then
  echo "config: stopping the lhttpd on $GONE_ADDR (the client reconnects at most twice)"
  kill "$GONE"; wait "$GONE" || true
  echo stopped >&5
else
  config_ok=0
fi
exec 5>&-
config_rc=0
wait "$CONFIG" || config_rc=$?
sed 's/^/  /' "$BUILD/config.out"
if [ "$config_ok" = 1 ] && [ "$config_rc" = 0 ]; then
  ok "C settings: each setter OK and NULL_PARAMETER for a NULL config, connect_timeout_ms (TIMEOUT against a silent listener), max_buffered and request_timeout_ms (an ack behind an unread message times out), ping_interval_ms (up past lhttpd's idle timeout, a silent client CLOSED), lhttp_client_send, lhttp_http_publish (UNAUTHORIZED without the publish token, deliveries with it), max_attempts (the client gives up), lhttp_client_close (then CLOSED) (valgrind clean)"
else
  bad "C settings test (exit $config_rc)"; cat "$BUILD/config.err"
fi

# --- wss:// (ffi/tests/tls.c), under valgrind, against lhttpd with a CA-signed certificate ---
# A CA and a certificate for 127.0.0.1 (its SAN), made here; another CA that signed nothing.
TLS_DIR=$BUILD/tls-files
mkdir -p "$TLS_DIR"
echo "tls: making a CA, a certificate for IP 127.0.0.1 it signs, and another CA, with openssl"
tls_files_ok=1
(
  cd "$TLS_DIR"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=lhttp test CA"
  openssl req -x509 "${ec[@]}" -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=lhttp other CA"
  openssl req "${ec[@]}" -keyout key.pem -out server.csr -subj "/CN=127.0.0.1"
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 -extfile ext.cnf
) > "$BUILD/openssl.out" 2>&1 || tls_files_ok=0
if [ "$tls_files_ok" = 1 ]; then
  echo "tls: lhttpd --tls-cert cert.pem --tls-key key.pem"
  start_lhttpd tls-server --tls-cert "$TLS_DIR/cert.pem" --tls-key "$TLS_DIR/key.pem"
  tls_rc=0
  # ffi/tests/tls.supp: memcheck's false positives in ring's AES-GCM assembly, for this run only.
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --num-callers=40 --suppressions="$ROOT/ffi/tests/tls.supp" \
    "$BUILD/tls" "wss://$ADDR/" "$TLS_DIR/ca.pem" "$TLS_DIR/other-ca.pem" > "$BUILD/tls.out" 2>&1 || tls_rc=$?
  sed 's/^/  /' "$BUILD/tls.out"
  if [ "$tls_rc" = 0 ]; then
    ok "C wss://: with lhttp_config_set_ca_pem(the CA) subscribes, publishes and receives; CONNECT without it or with another CA (valgrind clean)"
  else
    bad "C wss:// test (exit $tls_rc)"
  fi
else
  bad "openssl could not make the test certificates"; cat "$BUILD/openssl.out"
fi

echo "c: $passed passed, $failed failed"
[ "$failed" = 0 ]
