'use strict'
// Run by `npm pack` / `npm publish` (the `prepack` script): refuses to pack a package
// without the compiled addon for this platform, which would install fine elsewhere and
// then fail at require() with napi's misleading "Cannot find native binding".

const fs = require('node:fs')
const path = require('node:path')

const here = __dirname
const addons = fs.readdirSync(here).filter((f) => /^lhttp\..+\.node$/.test(f))

function fail(why) {
  console.error(`@lhttp/node prepack: ${why}`)
  console.error('Build the addon first, in bindings/node: `npm ci` then `npm run build` (or `npm run build:debug`), then `npm pack` again.')
  process.exit(1)
}

if (addons.length === 0) {
  fail('no compiled addon (lhttp.<platform>.node) in bindings/node, so the package would not load anywhere.')
}

// The generated loader must find one of them for this host, and load it from this
// folder (not from NAPI_RS_NATIVE_LIBRARY_PATH or an installed per-platform package).
delete process.env.NAPI_RS_NATIVE_LIBRARY_PATH
try {
  require('./index.js')
} catch (err) {
  fail(`the addon(s) here (${addons.join(', ')}) do not load on this host: ${err.cause?.message ?? err.message}`)
}
const loaded = Object.keys(require.cache).filter((f) => path.dirname(f) === here && f.endsWith('.node'))
if (loaded.length === 0) {
  fail(`index.js did not load an addon from this folder (present: ${addons.join(', ')}).`)
}
console.error(`@lhttp/node prepack: packing ${addons.join(', ')} (loaded on this host: ${path.basename(loaded[0])})`)
