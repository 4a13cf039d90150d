#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time each, starting from
# the committed seeds (fuzz/seeds/<target>/), and fails on the first crash,
# naming the input and the command that replays it. The targets are built with
# the stable toolchain and the coverage flags cargo-fuzz would give them (no
# sanitizer, so nothing of cargo-fuzz's needs a nightly), so a fresh machine
# needs only a C++ compiler (libFuzzer is C++), installed when missing.
# `scripts/test` runs it; alone: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-${LHTTP_FUZZ_SECONDS:-8}}
shift $(( $# > 0 ? 1 : 0 ))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(parse multipart roundtrip session pipeline frames)
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz"
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN="$TARGET_DIR/$TRIPLE/release"
# Scratch corpora and crashes live in target/: libFuzzer adds what it finds to
# the first corpus directory, and the committed seeds stay as they are.
WORK="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz-work"

if ! command -v c++ >/dev/null; then
  echo "installing g++ (libfuzzer-sys compiles libFuzzer, which is C++)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq g++ >/dev/null
fi

# No sanitizer: every crate of ours denies unsafe code, so the crashes to find
# are panics, overflows (debug assertions and overflow checks are on), hangs
# and broken invariants, which need none, and without one a target runs about
# twice as many inputs. These are cargo-fuzz's flags for `--sanitizer none`
# (libFuzzer's coverage counters and comparison tracing), all stable; the host
# triple keeps build scripts and proc macros uninstrumented, as cargo-fuzz does.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
echo "building the fuzz targets (${TARGETS[*]}); a cold build takes minutes"
mkdir -p "$WORK"
if ! cargo build --release --manifest-path fuzz/Cargo.toml --target "$TRIPLE" --target-dir "$TARGET_DIR" \
    --bins >"$WORK/build.log" 2>&1; then
  grep -v '^ *Compiling' "$WORK/build.log" | tail -40 >&2
  echo "fuzz: the targets do not build (full log: $WORK/build.log)" >&2
  exit 1
fi
grep -E '^ *Finished' "$WORK/build.log" || true

for t in "${TARGETS[@]}"; do
  mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
  log="$WORK/$t.log"
  echo "fuzz $t: ${SECONDS_EACH}s from fuzz/seeds/$t ($(ls "fuzz/seeds/$t" | wc -l) seeds)"
  if "$BIN/$t" "$WORK/corpus/$t" "fuzz/seeds/$t" \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 \
      -artifact_prefix="$WORK/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "$log" || true
  else
    grep -E 'panicked at|^thread|SUMMARY|Test unit written|ERROR' "$log" | head -20 >&2 || true
    crash=$(ls -t "$WORK/artifacts/$t/" 2>/dev/null | head -1)
    echo "fuzz $t: CRASH (full log: $log)" >&2
    if [ -n "$crash" ]; then
      echo "replay: $BIN/$t $WORK/artifacts/$t/$crash" >&2
      echo "then make it a regression test (fuzz/README.md)" >&2
    fi
    exit 1
  fi
done
