#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time each, starting from
# the committed seeds (fuzz/seeds/<target>/), and fails on the first crash,
# naming the input and the command that replays it. Installs what it needs on
# a fresh machine: a C++ compiler (libFuzzer is C++), the pinned nightly, and
# cargo-fuzz. `scripts/test` runs it; alone: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-${LHTTP_FUZZ_SECONDS:-8}}
shift $(( $# > 0 ? 1 : 0 ))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(parse multipart roundtrip session pipeline frames)
# The nightly cargo-fuzz 0.13.2 was tried with; a newer one may break the build.
NIGHTLY=nightly-2026-05-20
FUZZ_VERSION=0.13.2
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz"
# Scratch corpora and crashes live in target/: libFuzzer adds what it finds to
# the first corpus directory, and the committed seeds stay as they are.
WORK="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz-work"

if ! command -v c++ >/dev/null; then
  echo "installing g++ (libfuzzer-sys compiles libFuzzer, which is C++)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq g++ >/dev/null
fi
if ! rustup run "$NIGHTLY" rustc -V >/dev/null 2>&1; then
  echo "installing the $NIGHTLY toolchain (cargo-fuzz needs nightly; about a minute)"
  rustup toolchain install "$NIGHTLY" --profile minimal
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$FUZZ_VERSION"; then
  echo "installing cargo-fuzz $FUZZ_VERSION (about 3 minutes cold)"
  cargo install cargo-fuzz --version "$FUZZ_VERSION" --locked
fi

# No sanitizer: every crate of ours denies unsafe code, so the crashes to find
# are panics, overflows (debug assertions are on), hangs and broken invariants,
# which need none, and without one a target runs about twice as many inputs.
FUZZ=(cargo "+$NIGHTLY" fuzz)
FLAGS=(--sanitizer none --target-dir "$TARGET_DIR")
echo "building the fuzz targets (${TARGETS[*]}); a cold build takes minutes"
mkdir -p "$WORK"
if ! (cd fuzz && "${FUZZ[@]}" build "${FLAGS[@]}") >"$WORK/build.log" 2>&1; then
  grep -v '^ *Compiling' "$WORK/build.log" | tail -40 >&2
  echo "fuzz: the targets do not build (full log: $WORK/build.log)" >&2
  exit 1
fi
grep -E '^ *Finished' "$WORK/build.log" || true

for t in "${TARGETS[@]}"; do
  mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
  log="$WORK/$t.log"
  echo "fuzz $t: ${SECONDS_EACH}s from fuzz/seeds/$t ($(ls "fuzz/seeds/$t" | wc -l) seeds)"
  if (cd fuzz && "${FUZZ[@]}" run "${FLAGS[@]}" "$t" "$WORK/corpus/$t" "seeds/$t" -- \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 \
      -artifact_prefix="$WORK/artifacts/$t/" -print_final_stats=1) >"$log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "$log" || true
  else
    grep -E 'panicked at|^thread|SUMMARY|Test unit written|ERROR' "$log" | head -20 >&2 || true
    crash=$(ls -t "$WORK/artifacts/$t/" 2>/dev/null | head -1)
    echo "fuzz $t: CRASH (full log: $log)" >&2
    if [ -n "$crash" ]; then
      echo "replay: (cd fuzz && cargo +$NIGHTLY fuzz run ${FLAGS[*]} $t $WORK/artifacts/$t/$crash)" >&2
      echo "then make it a regression test (fuzz/README.md)" >&2
    fi
    exit 1
  fi
done
