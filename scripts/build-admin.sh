#!/usr/bin/env bash
# Builds the /admin dashboard's one outside piece: installs admin/'s pinned npm
# packages (npm ci) and copies uPlot's ES module and stylesheet to admin/vendor/
# (gitignored), which server/build.rs embeds in lhttpd with the page. Without it
# the page is embedded all the same and says that its charts are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/admin"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p vendor
# Copied only when they differ: a new mtime alone makes cargo rebuild lhttpd.
for f in uPlot.esm.js uPlot.min.css; do
  cmp -s "node_modules/uplot/dist/$f" "vendor/$f" || cp "node_modules/uplot/dist/$f" "vendor/$f"
done
version=$(node -p 'require("./node_modules/uplot/package.json").version')
echo "build-admin: uPlot $version copied to admin/vendor/ (uPlot.esm.js, uPlot.min.css); rebuild lhttpd to embed it"
