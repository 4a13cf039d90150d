#!/usr/bin/env bash
# Builds the Python package into .venv (pip fetches maturin as the build backend),
# builds the lhttpd server and the lhttp CLI the integration tests start, and runs
# the Python test suite. Usage: scripts/test-python.sh [pytest args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade "pip>=23"
"$venv/bin/python" -m pip install --quiet "pytest==9.2.0"
# Reinstall the package so the compiled module matches the current sources.
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python

# The integration tests start the real server and the Rust CLI.
cargo build --quiet -p lhttp-server --bin lhttpd -p lhttp-client --bin lhttp
target="$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export LHTTPD_BIN="${LHTTPD_BIN:-$target/debug/lhttpd}"
export LHTTP_CLI_BIN="${LHTTP_CLI_BIN:-$target/debug/lhttp}"

# Run from the root with the pytest script (not `python -m pytest`, which would put the
# source tree, without the compiled module, first on sys.path).
exec "$venv/bin/pytest" python/tests "$@"
