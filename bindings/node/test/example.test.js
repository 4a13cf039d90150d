'use strict'
// examples/node/chat.js as a person uses it: lines typed on its stdin reach the
// room, messages of the room appear on its stdout, and end of input makes it leave
// and exit with code 0.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')
const lhttp = require('../lib')
const { repo, startServer, exitOf } = require('./support/processes')

let server

before(async () => {
  server = await startServer()
})

after(async () => {
  await server?.stop()
})

/** Resolves with the first line of `stream` that `pred` accepts; rejects if `ended` settles first. */
function lineMatching(stream, pred, ended) {
  return new Promise((resolve, reject) => {
    const seen = []
    readline.createInterface({ input: stream }).on('line', (line) => {
      seen.push(line)
      if (pred(line)) resolve(line)
    })
    ended.then((code) => reject(new Error(`chat.js exited (${code}) first; it printed:\n${seen.join('\n')}`)))
  })
}

test('chat.js publishes stdin lines and prints what arrives', async () => {
  const observer = await lhttp.connect(server.url)
  await observer.subscribe('lobby')
  const received = []
  const gotTwo = new Promise((resolve) =>
    observer.on('message', (msg) => {
      received.push([msg.command, msg.header('from'), msg.text])
      if (received.length === 2) resolve()
    }),
  )

  const chat = spawn(process.execPath, [path.join(repo, 'examples/node/chat.js'), server.url, 'lobby', 'ann'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const exited = exitOf(chat)
  await lineMatching(chat.stderr, (l) => l.startsWith('joined lobby as ann'), exited)

  chat.stdin.write('hello everyone\n\nsecond line\n')
  await gotTwo
  assert.deepEqual(received, [
    ['chat', 'ann', 'hello everyone'],
    ['chat', 'ann', 'second line'],
  ])

  const printed = lineMatching(chat.stdout, (l) => l === 'bob: hi ann', exited)
  await observer.publish('lobby', 'hi ann', { command: 'chat', headers: { from: 'bob' } })
  await printed

  chat.stdin.end()
  assert.equal(await exited, 0)
  await observer.close()
})
