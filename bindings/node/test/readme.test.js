'use strict'
// The README's ```js blocks run as written (against the local build and a live
// lhttpd), so the documentation cannot drift from the API.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { startServer, run } = require('./support/processes')

const readme = fs.readFileSync(path.join(__dirname, '../README.md'), 'utf8')
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
let server

before(async () => {
  server = await startServer()
})

after(async () => {
  await server?.stop()
})

test('the README has code blocks', () => assert.ok(blocks.length >= 2))

blocks.forEach((code, i) => {
  test(`README block ${i + 1} runs and exits cleanly`, async () => {
    const script = code
      .replaceAll("require('@lhttp/node')", `require(${JSON.stringify(path.join(__dirname, '../lib'))})`)
      .replaceAll('ws://127.0.0.1:8081/', server.url)
    const result = await run(process.execPath, ['-e', script])
    assert.equal(result.code, 0, result.stderr)
  })
})
