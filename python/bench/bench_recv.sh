#!/usr/bin/env bash
# Receive throughput of the Python clients (lhttp sync, lhttp asyncio, and the
# websockets package with a naive parser) against a release lhttpd; see
# bench_recv.py. Installs ./python into .venv as pip does (a release build), the
# pinned websockets baseline into .venv only (the package never depends on it),
# builds lhttpd in release, and runs. Usage: python/bench/bench_recv.sh [bench_recv.py args]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade "pip>=23"
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python
"$venv/bin/python" -m pip install --quiet "websockets==17.4"

cargo build --quiet --release -p lhttp-server --bin lhttpd
target="$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

# From the root with the venv's python on the script (not -m), as the tests do.
exec "$venv/bin/python" python/bench/bench_recv.py --lhttpd "$target/release/lhttpd" "$@"
