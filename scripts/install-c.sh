#!/usr/bin/env bash
# Installs liblhttp for C and C++ (header, shared library with its SONAME links, static library,
# pkg-config files) into a prefix, so `cc app.c $(pkg-config --cflags --libs lhttp)` links.
#
#   scripts/install-c.sh [--no-build] [--profile PROFILE] PREFIX
#
# Builds `cargo build --profile PROFILE -p lhttp-ffi` first (PROFILE: release, or
# $LHTTP_C_PROFILE when set; "dev" and "debug" both mean target/debug), unless --no-build: then
# it installs what that profile last built, without running cargo (e.g. under sudo, where
# cargo may not be on the PATH). The target directory is $CARGO_TARGET_DIR, else cargo's.
# Installs under $DESTDIR$PREFIX when DESTDIR is set (for packaging); the .pc files name PREFIX.
# Running it again replaces the same files.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() { echo "usage: $0 [--no-build] [--profile PROFILE] PREFIX" >&2; exit 2; }
build=1
profile=${LHTTP_C_PROFILE:-release}
prefix=
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --profile) [ $# -ge 2 ] || usage; profile=$2; shift ;;
    --profile=*) profile=${1#--profile=} ;;
    -h | --help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) [ -z "$prefix" ] || usage; prefix=$1 ;;
  esac
  shift
done
[ -n "$prefix" ] || usage
case $prefix in /*) ;; *) echo "PREFIX must be an absolute path (the .pc files record it): $prefix" >&2; exit 2 ;; esac
prefix=${prefix%/}
[ "$profile" = debug ] && profile=dev

# The version comes from the workspace; the SONAME's number is its major, as ffi/build.rs sets it.
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
major=${version%%.*}

if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  target=$CARGO_TARGET_DIR
elif command -v cargo > /dev/null; then
  target=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
else
  target=$ROOT/target
fi
case $profile in dev) out=$target/debug ;; *) out=$target/$profile ;; esac

if [ "$build" = 1 ]; then
  (cd "$ROOT" && cargo build --profile "$profile" -p lhttp-ffi)
fi
for f in liblhttp.so liblhttp.a; do
  [ -f "$out/$f" ] || { echo "$out/$f is missing: build it (without --no-build, or cargo build --profile $profile -p lhttp-ffi)" >&2; exit 1; }
done

dest=${DESTDIR:-}$prefix
libdir=$prefix/lib
includedir=$prefix/include
install -d "$dest/lib/pkgconfig" "$dest/include"
install -m 644 "$ROOT/ffi/include/lhttp.h" "$dest/include/lhttp.h"
install -m 755 "$out/liblhttp.so" "$dest/lib/liblhttp.so.$version"
install -m 644 "$out/liblhttp.a" "$dest/lib/liblhttp.a"
# The runtime name (the SONAME) and the name `-llhttp` finds, both links to the versioned file.
ln -sfn "liblhttp.so.$version" "$dest/lib/liblhttp.so.$major"
ln -sfn "liblhttp.so.$major" "$dest/lib/liblhttp.so"

# lhttp-static.pc names the archive itself: given -llhttp, the linker takes the .so when both exist.
libs_private=$(sed -n 's/^Libs\.private: *//p' "$ROOT/ffi/lhttp.pc.in")
for pc in lhttp lhttp-static; do
  sed -e '/^#/d' -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@INCLUDEDIR@|$includedir|g" \
    -e "s|@VERSION@|$version|g" -e "s|@LIBS_PRIVATE@|$libs_private|g" "$ROOT/ffi/$pc.pc.in" > "$dest/lib/pkgconfig/$pc.pc.tmp"
  chmod 644 "$dest/lib/pkgconfig/$pc.pc.tmp"
  mv -f "$dest/lib/pkgconfig/$pc.pc.tmp" "$dest/lib/pkgconfig/$pc.pc"
done

echo "installed liblhttp $version into ${DESTDIR:+$DESTDIR}$prefix (header include/lhttp.h; lib/liblhttp.so.$version, .so.$major, .so, .a; lib/pkgconfig/lhttp.pc, lhttp-static.pc)"
