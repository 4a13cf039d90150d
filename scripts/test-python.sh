#!/usr/bin/env bash
# Installs the Python package as python/README.md tells a user to (its install block, run as
# written in a new folder outside the checkout), builds the lhttpd server and the lhttp CLI
# the integration tests start, and runs the Python tests (every README block as a file, and
# mypy --strict) with that install. Usage: scripts/test-python.sh [pytest args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The README's install block, with $LHTTP the checkout. Its one compile of the wheel is the
# run's only one: maturin builds in the workspace's target directory, and an abi3 build does
# not depend on the venv's path, so the .venv install below finds cargo's work done.
python3 scripts/snippets.py write python/README.md install.sh "$work/install.sh"
(cd "$work" && LHTTP="$root" bash -euo pipefail install.sh) | tee "$work/install.out"
# The block's last line prints a value its comment states.
want="$(sed -n "s/.*print(.*)'[[:space:]]*#[[:space:]]*//p" "$work/install.sh")"
got="$(tail -n 1 "$work/install.out")"
if [ -z "$want" ] || [ "$got" != "$want" ]; then
    echo "python/README.md install.sh: printed '$got', its comment says '$want'" >&2
    exit 1
fi
venv="$work/.venv"
"$venv/bin/python" -m pip install --quiet "pytest==9.2.0" "mypy==2.4.1"

# The checkout's .venv, which bindings/node/test/python.test.js and python/bench use; the
# same build as above, so pip only packages it again.
if [ ! -x "$root/.venv/bin/python" ]; then
    python3 -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python

# The integration tests start the real server and the Rust CLI (behind the client's `cli`
# feature where the crate has one).
meta="$(cargo metadata --format-version 1 --no-deps)"
cli_features=()
if printf '%s' "$meta" | "$venv/bin/python" -c 'import json,sys; sys.exit(not any(p["name"] == "lhttp-client" and "cli" in p["features"] for p in json.load(sys.stdin)["packages"]))'; then
    cli_features=(--features lhttp-client/cli)
fi
cargo build --quiet -p lhttp-server --bin lhttpd -p lhttp-client "${cli_features[@]}" --bin lhttp
target="$(printf '%s' "$meta" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export LHTTPD_BIN="${LHTTPD_BIN:-$target/debug/lhttpd}"
export LHTTP_CLI_BIN="${LHTTP_CLI_BIN:-$target/debug/lhttp}"

# Run from the root with the pytest script (not `python -m pytest`, which would put the
# working directory first on sys.path): `import lhttp` is the installed package.
"$venv/bin/pytest" python/tests "$@"
