#!/usr/bin/env bash
# Builds the browser codec: bindings/wasm (lhttp-core through wasm-bindgen) into
# js-sdk/wasm/ (gitignored), shrinks it with wasm-opt when js-sdk's devDependency
# `binaryen` is installed, and prints the .wasm size raw and gzipped and the whole
# browser bundle's (the .wasm, the glue and js-sdk's JavaScript).
#
# `build-wasm.sh --vectors` builds instead the conformance vectors' module (feature
# `vectors`: readPosition and writePosition as well, which nothing shipped uses) into
# $target_dir/wasm-vectors/, for js-sdk/test/vectors.test.js only: never shipped, not shrunk.
#
# Needs: the wasm32-unknown-unknown target and wasm-bindgen-cli at exactly the
# version bindings/wasm/Cargo.toml pins (`cargo install wasm-bindgen-cli --version <v>`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out_dir="$root/js-sdk/wasm"
features=()
vectors=false
if [[ "${1:-}" == "--vectors" ]]; then
    vectors=true
    features=(--features vectors)
    out_dir="$target_dir/wasm-vectors"
fi

bindgen="$(command -v wasm-bindgen || true)"
if [[ -z "$bindgen" && -x "$HOME/.cargo/bin/wasm-bindgen" ]]; then
    bindgen="$HOME/.cargo/bin/wasm-bindgen"
fi
want="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' bindings/wasm/Cargo.toml)"
if [[ -z "$bindgen" ]]; then
    echo "build-wasm: wasm-bindgen not found; run: cargo install wasm-bindgen-cli --version $want" >&2
    exit 1
fi
have="$("$bindgen" --version | awk '{print $2}')"
if [[ "$have" != "$want" ]]; then
    echo "build-wasm: wasm-bindgen-cli is $have but the crate uses $want; run: cargo install wasm-bindgen-cli --version $want" >&2
    exit 1
fi

# Size settings for this build only (a member crate's [profile] is ignored by cargo,
# and the workspace's release profile stays as it is for the native crates):
# whole-program LTO, one codegen unit, optimise for size.
cargo build -p lhttp-wasm --target wasm32-unknown-unknown --release "${features[@]}" \
    --config 'profile.release.lto=true' \
    --config 'profile.release.codegen-units=1' \
    --config 'profile.release.opt-level="z"'
input="$target_dir/wasm32-unknown-unknown/release/lhttp_wasm.wasm"
wasm="$out_dir/lhttp_wasm_bg.wasm"
opt="$root/js-sdk/node_modules/.bin/wasm-opt"

generate() {
    "$bindgen" --target web --out-dir "$out_dir" "$input"
    # The glue's JSDoc blocks repeat lhttp_wasm.d.ts, which keeps them for editors and
    # TypeScript; the JavaScript a browser downloads goes without them.
    perl -0pi -e 's{^[ \t]*/\*\*.*?\*/[ \t]*\n}{}gms' "$out_dir/lhttp_wasm.js"
    if $vectors; then
        return # a test module: its size does not matter
    elif [[ -x "$opt" ]]; then
        # The features are those rustc enables by default for wasm32-unknown-unknown.
        "$opt" -Oz --converge --strip-debug --strip-producers \
            --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
            --enable-mutable-globals --enable-reference-types --enable-multivalue \
            "$wasm" -o "$wasm.opt"
        mv "$wasm.opt" "$wasm"
    else
        echo "build-wasm: wasm-opt not installed (npm install in js-sdk); size is unoptimised" >&2
    fi
}

# What js-sdk/wasm/ was made from (cargo's output, this script, wasm-opt or not): a rerun on
# the same input, such as js-sdk/README.md's install block after the tests' own build, skips
# wasm-bindgen and wasm-opt.
stamp="$(cat "$input" "$0" | sha256sum | cut -c1-64) $([[ -x "$opt" ]] && echo opt || echo noopt) ${features[*]}"
if [[ -f "$wasm" && -f "$out_dir/lhttp_wasm.js" && "$(cat "$out_dir/.stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "build-wasm: $out_dir is up to date"
else
    rm -f "$out_dir/.stamp"
    generate
    echo "$stamp" >"$out_dir/.stamp"
fi

if $vectors; then
    echo "build-wasm: $out_dir (the vectors' module, not shipped)"
    exit 0
fi
raw=$(wc -c <"$wasm")
gz=$(gzip -9c "$wasm" | wc -c)
echo "build-wasm: $wasm: $raw bytes raw, $gz bytes gzipped"
# What a browser loads: the .wasm, its glue and the SDK's own JavaScript.
js=$(cat "$out_dir/lhttp_wasm.js" "$root/js-sdk/index.js" "$root"/js-sdk/src/*.js | wc -c)
echo "build-wasm: browser bundle: $((raw + js)) bytes raw (wasm $raw + JavaScript $js)"
