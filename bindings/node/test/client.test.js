'use strict'
// The Node client against a real lhttpd: pub/sub, events, async iteration,
// multipart and binary bodies, every kind of error with its `code`, options
// checked by name, 150 channels restored after a restart, refused handshakes and
// HTTP publishing.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('node:events')
const lhttp = require('../lib')
const { startServer } = require('./support/processes')

let server

before(async () => {
  server = await startServer()
})

after(async () => {
  await server?.stop()
})

/** The first 'message' event for which `pred` holds. */
function nextMessage(client, pred = () => true) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (!pred(msg)) return
      client.off('message', onMessage)
      resolve(msg)
    }
    client.on('message', onMessage)
  })
}

/** Asserts that the promise rejects with an Error whose `code` is `code`. */
async function rejectsCode(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, 'an Error')
    assert.equal(err.code, code, err.message)
    return true
  })
}

test('connect gives the server-assigned client id', async () => {
  const a = await lhttp.connect(server.url)
  const b = await lhttp.connect(server.url)
  assert.equal(typeof a.clientId, 'string')
  assert.ok(a.clientId.length > 0)
  assert.notEqual(a.clientId, b.clientId)
  await Promise.all([a.close(), b.close()])
})

test('two clients chat: publish reaches the subscriber as a message event', async () => {
  const alice = await lhttp.connect(server.url)
  const bob = await lhttp.connect(server.url)
  await bob.subscribe('chat-room')
  const arrived = nextMessage(bob)
  const deliveries = await alice.publish('chat-room', 'hello bob', { command: 'chat', headers: { from: 'alice' } })
  assert.equal(deliveries, 1)
  const msg = await arrived
  assert.equal(msg.command, 'chat')
  assert.equal(msg.header('FROM'), 'alice')
  assert.deepEqual(msg.channels('publish'), ['chat-room'])
  assert.equal(msg.text, 'hello bob')
  await Promise.all([alice.close(), bob.close()])
})

test('a subscribed publisher receives its own message; publish defaults to command chat', async () => {
  const c = await lhttp.connect(server.url)
  await c.subscribe('echo-room', 'other-room')
  const arrived = nextMessage(c)
  assert.equal(await c.publish(['echo-room'], 'me too'), 1)
  const msg = await arrived
  assert.equal(msg.command, 'chat')
  assert.equal(msg.text, 'me too')
  await c.close()
})

test('messages arrive in order through the async iterator, which ends on close', async () => {
  const c = await lhttp.connect(server.url)
  await c.subscribe('iter-room')
  for (const n of [1, 2, 3]) await c.publish('iter-room', `n${n}`, { command: 'count' })
  const seen = []
  for await (const msg of c) {
    seen.push(msg.text)
    if (seen.length === 3) break
  }
  assert.deepEqual(seen, ['n1', 'n2', 'n3'])

  const rest = (async () => {
    const more = []
    for await (const msg of c) more.push(msg.text)
    return more
  })()
  // Wait for n4 through an event too, so close() does not race its delivery.
  const n4 = nextMessage(c, (m) => m.text === 'n4')
  await c.publish('iter-room', 'n4', { command: 'count' })
  await n4
  const closed = once(c, 'close')
  await c.close()
  await closed
  assert.deepEqual(await rest, ['n4'])
  assert.equal(c.closed, true)
})

test('unsubscribe stops deliveries', async () => {
  const sub = await lhttp.connect(server.url)
  const pub = await lhttp.connect(server.url)
  await sub.subscribe('leave-room')
  assert.equal(await pub.publish('leave-room', 'before'), 1)
  await sub.unsubscribe('leave-room')
  assert.equal(await pub.publish('leave-room', 'after'), 0)
  await Promise.all([sub.close(), pub.close()])
})

test('multipart and binary bodies cross the server unchanged', async () => {
  const c = await lhttp.connect(server.url)
  await c.subscribe('files')
  const binary = Buffer.from([0, 1, 2, 0xfe, 0xff, 13, 10, 13, 10])
  const upload = lhttp.parse(
    lhttp.encodeMultipart({
      command: 'upload',
      headers: [['publish', 'files']],
      parts: [
        { headers: { name: 'a.txt' }, body: 'AAA' },
        { headers: { name: 'b.bin' }, body: binary },
      ],
    }),
  )
  const arrived = nextMessage(c)
  await c.send({ command: upload.command, headers: upload.headers, body: upload.body })
  const msg = await arrived
  const parts = msg.parts()
  assert.deepEqual(
    parts.map((p) => p.header('name')),
    ['a.txt', 'b.bin'],
  )
  assert.equal(parts[0].text, 'AAA')
  assert.deepEqual(parts[1].body, binary)
  await c.close()
})

test('an invalid outgoing message rejects with the core error name', async () => {
  const c = await lhttp.connect(server.url)
  await rejectsCode(c.send({ command: 'two words' }), 'Command')
  await rejectsCode(c.send({ command: 'ok', headers: [['bad name', 'v']] }), 'HeaderName')
  await rejectsCode(c.publish('room', 'x', { headers: { id2: ' padded' } }), 'HeaderValue')
  await c.close()
})

test('a server error reply rejects the awaited call with the server code', async () => {
  const c = await lhttp.connect(server.url)
  await rejectsCode(c.publish('room', 'x', { command: 'ack' }), 'ReservedCommand')
  await c.close()
})

test('an error reply not tied to a call arrives as an error message', async () => {
  const c = await lhttp.connect(server.url)
  const arrived = nextMessage(c)
  await c.sendRaw('not lhttp at all')
  const msg = await arrived
  assert.equal(msg.command, 'error')
  assert.equal(msg.header('code'), 'Version')
  assert.ok(msg.header('detail'))
  await c.close()
})

test('calls after close reject with Closed', async () => {
  const c = await lhttp.connect(server.url)
  await c.close()
  await rejectsCode(c.subscribe('late'), 'Closed')
  await rejectsCode(c.send({ command: 'late' }), 'Closed')
})

test('connecting to nothing rejects with Connect', async () => {
  const dead = await startServer()
  const url = dead.url
  await dead.stop()
  await rejectsCode(lhttp.connect(url), 'Connect')
  await rejectsCode(lhttp.connect('http://127.0.0.1:1/'), 'Connect')
})

test('when the server goes away: an error event, iterators throw, then close', async () => {
  const own = await startServer()
  const c = await lhttp.connect(own.url)
  await c.subscribe('doomed')
  const errors = []
  c.on('error', (err) => errors.push(err))
  // Settles to the error the iteration threw (caught at once: it may come before the asserts).
  const iterationError = (async () => {
    for await (const msg of c) assert.fail(`unexpected message ${msg.command}`)
  })().then(
    () => null,
    (err) => err,
  )
  // Not events.once(): that rejects on the 'error' event this test expects first.
  const closed = new Promise((resolve) => c.once('close', resolve))
  await own.stop()
  await closed
  assert.equal(errors.length, 1)
  assert.ok(['Closed', 'Io'].includes(errors[0].code), `code ${errors[0].code}: ${errors[0].message}`)
  assert.equal((await iterationError)?.code, errors[0].code)
  assert.equal(c.closed, true)
  await rejectsCode(c.publish('doomed', 'late'), 'Closed')
})

test('unknown options are a TypeError naming them', async () => {
  await assert.rejects(lhttp.connect(server.url, { timeout: 2000 }), (err) => {
    assert.ok(err instanceof TypeError)
    assert.match(err.message, /unknown connect option 'timeout'/)
    assert.match(err.message, /connectTimeoutMs/)
    assert.match(err.message, /milliseconds/)
    return true
  })
  const c = await lhttp.connect(server.url, { connectTimeoutMs: 2000, requestTimeoutMs: 2000, maxBuffered: 100 })
  await assert.rejects(c.publish('room', 'x', { cmd: 'chat' }), { name: 'TypeError', message: /'cmd'/ })
  await assert.rejects(lhttp.httpPublish(server.httpUrl, 'room', 'x', { bearer: 't' }), {
    name: 'TypeError',
    message: /'bearer'/,
  })
  await c.close()
})

test('a channel with a space is refused with code Channel and nothing is subscribed', async () => {
  const c = await lhttp.connect(server.url)
  const p = await lhttp.connect(server.url)
  await rejectsCode(c.subscribe('a b'), 'Channel')
  await rejectsCode(c.subscribe('fine', 'a b'), 'Channel')
  await rejectsCode(c.subscribe(''), 'Channel')
  for (const channel of ['fine', 'a', 'b']) assert.equal(await p.publish(channel, 'x'), 0, channel)
  await rejectsCode(p.publish('a b', 'x'), 'Channel')
  await Promise.all([c.close(), p.close()])
})

test('a message that arrives before anyone reads is delivered', async () => {
  const c = await lhttp.connect(server.url)
  await c.subscribe('early-room')
  assert.equal(await c.publish('early-room', 'early'), 1)
  await new Promise((resolve) => setTimeout(resolve, 50))
  for await (const msg of c) {
    assert.equal(msg.text, 'early')
    break
  }
  await c.close()
})

test('a foreign Origin is refused with code Connect naming HTTP 403 and OriginNotAllowed', async () => {
  const started = Date.now()
  await assert.rejects(lhttp.connect(server.url, { origin: 'https://elsewhere.example', reconnect: true }), (err) => {
    assert.equal(err.code, 'Connect')
    assert.match(err.message, /HTTP 403/)
    assert.match(err.message, /OriginNotAllowed/)
    return true
  })
  assert.ok(Date.now() - started < 5000, 'refused at once, not timed out')
})

test('150 channels subscribed in calls of 10 are restored after the server restarts', async () => {
  const first = await startServer()
  const c = await lhttp.connect(first.url, { reconnect: true, initialBackoffMs: 50, maxBackoffMs: 200 })
  const channels = Array.from({ length: 150 }, (_, i) => `many-${String(i).padStart(3, '0')}`)
  for (let i = 0; i < channels.length; i += 10) await c.subscribe(channels.slice(i, i + 10))
  const seen = new Set()
  let errors = 0
  c.on('error', () => errors++)
  c.on('message', (msg) => seen.add(msg.text))
  await first.stop()
  const second = await startServer([], first.addr)
  const p = await lhttp.connect(second.url)
  for (const channel of channels) {
    let n = 0
    for (let attempt = 0; n !== 1; attempt++) {
      assert.ok(attempt < 400, `${channel} was not subscribed again`)
      n = await p.publish(channel, channel)
      if (n !== 1) await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  for (let wait = 0; seen.size < channels.length && wait < 400; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  assert.deepEqual([...seen].sort(), channels)
  assert.equal(errors, 0)
  await Promise.all([c.close(), p.close()])
  await second.stop()
})

test('httpPublish posts to /publish and resolves with the deliveries', async () => {
  const own = await startServer(['--publish-token', 's3cret'])
  const c = await lhttp.connect(own.url)
  await c.subscribe('http-room')
  const arrived = nextMessage(c)
  const n = await lhttp.httpPublish(own.httpUrl, 'http-room', 'disk full', {
    command: 'alert',
    headers: { level: 'high' },
    token: 's3cret',
  })
  assert.equal(n, 1)
  const msg = await arrived
  assert.deepEqual([msg.command, msg.header('level'), msg.text], ['alert', 'high', 'disk full'])
  const plain = nextMessage(c)
  assert.equal(await lhttp.httpPublish(own.httpUrl, ['http-room'], 'plain', { token: 's3cret' }), 1)
  assert.equal((await plain).command, 'chat', 'the default command')
  await rejectsCode(lhttp.httpPublish(own.httpUrl, 'http-room', 'x'), 'Unauthorized')
  await rejectsCode(lhttp.httpPublish(own.httpUrl, 'a b', 'x', { token: 's3cret' }), 'Channel')
  await c.close()
  await own.stop()
})
