'use strict'
// The TypeScript typings compile: test/types.ts uses the whole public API through
// lib/index.d.ts, checked by the pinned TypeScript compiler in strict mode, without
// `--types node`: the typings reference the node types themselves.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { run } = require('./support/processes')

test('the typings type-check a program using the whole API', async () => {
  const tsc = require.resolve('typescript/bin/tsc')
  const file = path.join(__dirname, 'types.ts')
  const result = await run(process.execPath, [
    tsc,
    '--noEmit',
    '--strict',
    '--target',
    'es2022',
    '--module',
    'commonjs',
    file,
  ])
  assert.equal(result.code, 0, result.stdout + result.stderr)
})
