'use strict'
// A process that opened a client exits by itself, with code 0, once the client is
// closed: nothing native keeps Node's event loop alive afterwards. Each case runs
// in a child node process; a hang fails through the test's own (generous) timeout.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { startServer, run } = require('./support/processes')

const lib = path.resolve(__dirname, '../lib')
let server

before(async () => {
  server = await startServer()
})

after(async () => {
  await server?.stop()
})

/** Runs `body` (an async function body with `lhttp` and `url` in scope) in a child node. */
async function runChild(body) {
  const script = `
    const lhttp = require(${JSON.stringify(lib)})
    const url = process.argv[1]
    ;(async () => { ${body} })().then(
      () => console.log('finished'),
      (err) => { console.error(err); process.exitCode = 2 },
    )`
  return run(process.execPath, ['-e', script, server.url])
}

const generous = { timeout: 120_000 }

test('connect then close', generous, async () => {
  const child = await runChild(`
    const c = await lhttp.connect(url)
    await c.close()`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stdout, 'finished\n')
})

test('with a message listener and subscriptions, then close', generous, async () => {
  const child = await runChild(`
    const c = await lhttp.connect(url)
    c.on('message', () => {})
    await c.subscribe('exit-a', 'exit-b')
    await c.publish('exit-a', 'x')
    await c.close()`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stdout, 'finished\n')
})

test('closing from inside an async iteration', generous, async () => {
  const child = await runChild(`
    const c = await lhttp.connect(url)
    await c.subscribe('exit-iter')
    await c.publish('exit-iter', 'one')
    for await (const msg of c) {
      console.log(msg.text)
      await c.close()
    }`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stdout, 'one\nfinished\n')
})

test('several clients, all closed', generous, async () => {
  const child = await runChild(`
    const clients = await Promise.all([1, 2, 3].map(() => lhttp.connect(url)))
    for (const c of clients) c.on('message', () => {})
    await Promise.all(clients.map((c) => c.close()))`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stdout, 'finished\n')
})
