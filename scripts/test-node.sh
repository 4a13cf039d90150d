#!/usr/bin/env bash
# Builds and tests the Node SDK (bindings/node, npm package @lhttp/node) the way its README
# tells a user to, so that the README and the package cannot drift apart:
#   1. runs the README's build block: `npm ci` (the pinned @napi-rs/cli, exactly as
#      package-lock.json lists it), `npm run build` (the release addon; regenerates
#      index.js / index.d.ts) and `npm pack`,
#   2. builds the real server and CLI the tests talk to (lhttpd, lhttp),
#   3. runs `node --test test/*.test.js` (codec, spec/vectors, client against a live lhttpd, clean
#      exit, typings),
#   4. runs every other code block of bindings/node/README.md as written, in a new project
#      in a fresh folder outside the repository with the tarball installed, against a live
#      lhttpd on a free port, and compares the outputs the README shows,
#   5. checks that `npm pack` without a built addon fails with prepack.js's message, that
#      package-lock.json is what npm writes for package.json, and that nothing of this
#      rewrote it.
# Under CI=true it also fails when the committed index.js / index.d.ts are stale.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_dir="$root/bindings/node"
readme=bindings/node/README.md
snippets() { python3 "$root/scripts/snippets.py" "$@"; }

work="$(mktemp -d)"
server_pids=()
cleanup() {
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

lock_before="$(sha256sum "$node_dir/package-lock.json")"

# Every block can be run by name (snippets.py check covers all READMEs; this is ours only).
python3 - "$root" "$readme" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/scripts")
import snippets
unnamed = [line for name, _, _, line in snippets.blocks(sys.argv[2]) if name is None]
if unnamed:
    sys.exit(f"test-node: {sys.argv[2]}: code blocks without a snippet name at lines {unnamed}")
EOF

# A README shell block, as written: its own bash, strict, with $LHTTP the checkout and the
# given working directory (never the repository).
run_block() {
    local name="$1" dir="$2"
    snippets write "$readme" "$name" "$work/blocks/$name"
    (cd "$dir" && LHTTP="$root" bash -euo pipefail "$work/blocks/$name")
}

echo "test-node: README pack.sh (npm ci, npm run build, npm pack)"
run_block pack.sh "$work"
tarball="$node_dir/lhttp-node-0.1.0.tgz"
tar -tzf "$tarball" | grep -x 'package/lhttp\..*\.node' >/dev/null || {
    echo "test-node: $tarball holds no compiled addon" >&2
    exit 1
}
if [[ "${CI:-}" == "true" ]]; then
    git -C "$root" diff --exit-code -- bindings/node/index.js bindings/node/index.d.ts || {
        echo "test-node: index.js / index.d.ts differ from what napi generates; commit the regenerated files" >&2
        exit 1
    }
fi

# The CLI is behind lhttp-client's `cli` feature where the crate has one.
cli_features=()
if cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
    node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); process.exit(m.packages.some((p) => p.name === "lhttp-client" && "cli" in p.features) ? 0 : 1)'; then
    cli_features=(--features lhttp-client/cli)
fi
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
    node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).target_directory)')"
(cd "$root" && cargo build -p lhttp-server --bin lhttpd -p lhttp-client "${cli_features[@]}" --bin lhttp)
export LHTTPD_BIN="$target_dir/debug/lhttpd"
export LHTTP_CLI_BIN="$target_dir/debug/lhttp"

cd "$node_dir"
# A file list, not the directory: Node 21+ reads `--test DIR` as a module path.
node --test test/*.test.js

echo "test-node: the README's project, outside the repository, against a live lhttpd"
# Starts lhttpd on a free port with the given flags; sets $addr and appends its pid to
# $server_pids (all stopped at exit).
start_lhttpd() {
    local name="$1"
    shift
    "$LHTTPD_BIN" --listen 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.log" &
    local pid=$!
    server_pids+=("$pid")
    addr=""
    for _ in $(seq 200); do
        addr="$(sed -n 's/^lhttpd listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/$name.out" "$work/$name.log" | head -n 1)"
        [[ -n "$addr" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [[ -z "$addr" ]]; then
        echo "test-node: lhttpd did not start:" >&2
        cat "$work/$name.out" "$work/$name.log" >&2
        exit 1
    fi
}
# The history block reads a server that keeps channel history (spec section 13).
start_lhttpd lhttpd-history --history-size 100 --history-ttl 300
history_addr="$addr"
# The presence block reads a server that keeps members and sends joins and leaves (section 15).
start_lhttpd lhttpd-presence --presence --join-leave --client-identity
presence_addr="$addr"
start_lhttpd lhttpd

# The project's npm installs find the pinned packages in the cache npm ci just filled;
# the addon must come from the installed package, nothing else.
export npm_config_prefer_offline=true
unset NAPI_RS_NATIVE_LIBRARY_PATH

run_block project.sh "$work"
app="$work/my-app"
[[ -f "$app/node_modules/@lhttp/node/package.json" ]] || {
    echo "test-node: project.sh did not install @lhttp/node into $app" >&2
    exit 1
}
snippets write "$readme" app.out "$work/blocks/app.out"

# Compares a program's output with what the README shows.
same_output() {
    local what="$1" expected="$2" actual="$3"
    diff -u --label "README ($what)" --label "real output" "$expected" "$actual" || {
        echo "test-node: $what printed something else than the README shows" >&2
        exit 1
    }
}

snippets write "$readme" app.js "$app/app.js" --addr "$addr"
run_block app.sh "$app" >"$work/app.actual"
same_output app.js "$work/blocks/app.out" "$work/app.actual"

snippets write "$readme" main.ts "$app/main.ts" --addr "$addr"
run_block main.sh "$app" >"$work/main.actual"
tail -n 2 "$work/main.actual" >"$work/main.last"
same_output main.ts "$work/blocks/app.out" "$work/main.last"
# What the issue asked for: the typings compile with no `--types node` and no tsconfig.json.
if grep -q -- '--types' "$work/blocks/main.sh" || [[ -e "$app/tsconfig.json" ]]; then
    echo "test-node: main.sh type-checks with --types or a tsconfig.json; the typings must not need them" >&2
    exit 1
fi

# The reference blocks: each runs to a clean exit in the project (they require
# '@lhttp/node'); a line ending in `// prints: TEXT` is what it must print, in order.
for name in codec.js client.js; do
    snippets write "$readme" "$name" "$app/$name" --addr "$addr"
    (cd "$app" && node "$name") >"$work/$name.actual"
    sed -n 's#.*// prints: \(.*\)$#\1#p' "$app/$name" >"$work/$name.expected"
    same_output "$name" "$work/$name.expected" "$work/$name.actual"
done
for block in "history.js $history_addr" "presence.js $presence_addr"; do
    read -r name block_addr <<<"$block"
    snippets write "$readme" "$name" "$app/$name" --addr "$block_addr"
    (cd "$app" && node "$name") >"$work/$name.actual"
    sed -n 's#.*// prints: \(.*\)$#\1#p' "$app/$name" >"$work/$name.expected"
    [[ -s "$work/$name.expected" ]] || { echo "test-node: $name states no output" >&2; exit 1; }
    same_output "$name" "$work/$name.expected" "$work/$name.actual"
done

echo "test-node: npm pack refuses a package without the addon"
mkdir "$work/unbuilt"
cp -r "$node_dir/package.json" "$node_dir/index.js" "$node_dir/index.d.ts" "$node_dir/prepack.js" "$node_dir/lib" "$work/unbuilt/"
if (cd "$work/unbuilt" && npm pack >"$work/unbuilt.out" 2>&1); then
    echo "test-node: npm pack made a package without the compiled addon" >&2
    exit 1
fi
grep -q 'no compiled addon' "$work/unbuilt.out" || {
    echo "test-node: npm pack failed without prepack.js's message:" >&2
    cat "$work/unbuilt.out" >&2
    exit 1
}
if compgen -G "$work/unbuilt/*.tgz" >/dev/null; then
    echo "test-node: npm pack failed but left a tarball behind" >&2
    exit 1
fi

# The lock is also exactly what npm writes for package.json, so even an `npm install` by
# hand would leave it as committed.
mkdir "$work/lock"
cp "$node_dir/package.json" "$node_dir/package-lock.json" "$work/lock/"
(cd "$work/lock" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null 2>&1)
diff -u "$node_dir/package-lock.json" "$work/lock/package-lock.json" || {
    echo "test-node: package-lock.json is not what npm writes for package.json; regenerate it with npm install --package-lock-only" >&2
    exit 1
}

[[ "$(sha256sum "$node_dir/package-lock.json")" == "$lock_before" ]] || {
    echo "test-node: the run rewrote bindings/node/package-lock.json" >&2
    exit 1
}
echo "test-node: README blocks, packed install and package-lock.json: ok"
