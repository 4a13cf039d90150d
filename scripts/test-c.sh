#!/usr/bin/env bash
# The C ABI's checks: builds liblhttp, fails if ffi/include/lhttp.h differs from a fresh
# cbindgen run (pinned version), installs the library, header and pkg-config file into a
# scratch prefix, compiles the C vectors test and the C/C++ examples with gcc/g++ through
# pkg-config, runs the vectors test under valgrind (zero errors, zero leaks), runs the C++
# example, runs the C chat example against a live lhttpd with a second client, and the C
# client test (ffi/tests/client.c) against an lhttpd it restarts on the same port.
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
# Two commands: with --bin, cargo would build no library target of lhttp-ffi.
cargo build -q -p lhttp-ffi
cargo build -q -p lhttp-server --bin lhttpd -p lhttp-client --bin lhttp
LIB=$TARGET/debug

# --- the committed header is what cbindgen generates ---
"$CBINDGEN" --quiet --config ffi/cbindgen.toml --crate lhttp-ffi --output "$BUILD/lhttp.h" ffi
if diff -u ffi/include/lhttp.h "$BUILD/lhttp.h"; then
  ok "ffi/include/lhttp.h is up to date (cbindgen $CBINDGEN_VERSION)"
else
  bad "ffi/include/lhttp.h differs from cbindgen's output: regenerate it with
  $CBINDGEN --config ffi/cbindgen.toml --crate lhttp-ffi --output ffi/include/lhttp.h ffi"
fi

# --- install into a scratch prefix, as ffi/README.md describes ---
PREFIX=$BUILD/prefix
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
mkdir -p "$PREFIX/lib/pkgconfig" "$PREFIX/include"
cp "$LIB/liblhttp.so" "$LIB/liblhttp.a" "$PREFIX/lib/"
cp ffi/include/lhttp.h "$PREFIX/include/"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$PREFIX/lib|" -e "s|@INCLUDEDIR@|$PREFIX/include|" \
  -e "s|@VERSION@|$VERSION|" ffi/lhttp.pc.in > "$PREFIX/lib/pkgconfig/lhttp.pc"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
export LD_LIBRARY_PATH=$PREFIX/lib
CFLAGS="-Wall -Wextra -Werror -g $(pkg-config --cflags lhttp)"
LIBS=$(pkg-config --libs lhttp)

# --- compile ---
python3 ffi/tests/gen_vectors.py spec/vectors > "$BUILD/vectors_data.h"
gcc -std=c11 $CFLAGS -I "$BUILD" ffi/tests/vectors.c -o "$BUILD/vectors" $LIBS
gcc -std=c11 $CFLAGS -I "$BUILD" ffi/tests/vectors.c -o "$BUILD/vectors-static" \
  "$PREFIX/lib/liblhttp.a" $(pkg-config --libs-only-other --static lhttp) -lgcc_s -lutil -lrt -lpthread -lm -ldl
gcc -std=c11 $CFLAGS examples/c/chat.c -o "$BUILD/chat" $LIBS
gcc -std=c11 $CFLAGS ffi/tests/client.c -o "$BUILD/client" $LIBS
g++ -std=c++17 $CFLAGS examples/cpp/multipart.cpp -o "$BUILD/multipart" $LIBS
ok "the C tests and the C/C++ examples compile with gcc/g++ through pkg-config"

# --- the vectors, through the C API, under valgrind ---
if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
  "$BUILD/vectors"; then
  ok "spec/vectors through the C API, valgrind clean"
else
  bad "spec/vectors through the C API (or valgrind found errors or leaks)"
fi
if "$BUILD/vectors-static" > /dev/null; then ok "the vectors test linked with liblhttp.a"; else bad "static link"; fi

# --- the C++ example ---
expected=$'command upload, multipart:0 24\npart 0: a.txt = first file\npart 1: b.bin = second'
if [ "$("$BUILD/multipart")" = "$expected" ]; then ok "C++ multipart example"; else bad "C++ multipart example"; fi

# --- the C chat example against a live lhttpd and a second client ---
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  exec 3>&- 2>/dev/null || true
}
trap cleanup EXIT
# wait_for FILE TEXT: bounded wait (no timing assertion) for TEXT to appear in FILE.
wait_for() {
  for _ in $(seq 1 400); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "gave up waiting for '$2' in $1:"; cat "$1"; return 1
}
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn > "$BUILD/lhttpd.out" 2>&1 &
PIDS+=($!)
wait_for "$BUILD/lhttpd.out" "lhttpd listening on"
ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/lhttpd.out" | head -1)
URL="ws://$ADDR/"

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

# --- the C client test: refused channel lists, a refused Origin, 150 channels restored ---
# ffi/tests/client.c asks for the restart ("restart the server") and waits for a line.
"$LIB/lhttpd" --listen 127.0.0.1:0 --log warn > "$BUILD/restore1.out" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
wait_for "$BUILD/restore1.out" "lhttpd listening on"
ADDR=$(sed -n 's/^lhttpd listening on //p' "$BUILD/restore1.out" | head -1)
mkfifo "$BUILD/client.in"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$BUILD/client" "ws://$ADDR/" < "$BUILD/client.in" > "$BUILD/client.out" 2> "$BUILD/client.err" &
CLIENT=$!
PIDS+=($CLIENT)
exec 4> "$BUILD/client.in"
client_ok=1
if wait_for "$BUILD/client.out" "restart the server"; then
  kill "$SERVER"; wait "$SERVER" || true
  "$LIB/lhttpd" --listen "$ADDR" --log warn > "$BUILD/restore2.out" 2>&1 &
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
  ok "C client: refused channel lists are CHANNEL, a foreign Origin is a 403 CONNECT, 150 channels restored after a restart (valgrind clean)"
else
  bad "C client test (exit $client_rc)"; cat "$BUILD/client.err"
fi

echo "c: $passed passed, $failed failed"
[ "$failed" = 0 ]
