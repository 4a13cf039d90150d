'use strict'
// Channel history and recovery (spec section 13) through the Node client, against a
// real lhttpd started with history on: a history read (limit, reverse, since), a
// position after subscribe and receive, NoHistory from a server without history,
// Unrecovered surfaced after a restart of the server (a new epoch) while the client
// reconnects, and the 'recovered' / 'unrecovered' events after the server dropped the
// connection (its HTTP API's close_client) and publications were missed.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const lhttp = require('../lib')
const { startServer } = require('./support/processes')

const HISTORY = ['--history-size', '100', '--history-ttl', '300']
const ROOM = 'chat:room'

let server
let plain

before(async () => {
  ;[server, plain] = await Promise.all([startServer(HISTORY), startServer()])
})

after(async () => {
  await Promise.all([server?.stop(), plain?.stop()])
})

/** The next `n` messages of an async iterator over `client`. */
async function take(client, n) {
  const got = []
  if (n === 0) return got
  for await (const msg of client) {
    got.push(msg)
    if (got.length === n) break
  }
  return got
}

const offsets = (history) => history.publications.map((m) => Number(m.header('offset')))

/** Asserts that the promise rejects with an Error whose `code` is `code`; gives the error. */
async function rejectsCode(promise, code) {
  let caught
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, 'an Error')
    assert.equal(err.code, code, err.message)
    caught = err
    return true
  })
  return caught
}

test('history reads with limit, reverse and since; position follows what was received', async () => {
  const client = await lhttp.connect(server.url)
  assert.equal(client.position(ROOM), null, 'not subscribed')
  await client.subscribe(ROOM)
  const start = client.position(ROOM)
  assert.equal(typeof start.epoch, 'string')
  assert.equal(start.offset, 0, 'an empty history starts at 0; the offset is a number')
  const received = take(client, 5)
  for (let n = 1; n <= 5; n++) await client.publish(ROOM, `m${n}`)
  const got = await received
  assert.deepEqual(
    got.map((m) => [m.text, m.header('channel'), m.header('epoch')]),
    [1, 2, 3, 4, 5].map((n) => [`m${n}`, ROOM, start.epoch]),
  )
  assert.deepEqual(client.position(ROOM), { epoch: start.epoch, offset: 5 })

  const all = await client.history(ROOM)
  assert.deepEqual(Object.keys(all), ['channel', 'position', 'publications'])
  assert.equal(all.channel, ROOM)
  assert.deepEqual(all.position, { epoch: start.epoch, offset: 5 })
  assert.deepEqual(offsets(all), [1, 2, 3, 4, 5])
  assert.ok(all.publications[0] instanceof lhttp.Message)
  assert.deepEqual(all.publications[0].headers, got[0].headers, 'as it was delivered live')

  const newest = await client.history(ROOM, { limit: 2, reverse: true })
  assert.deepEqual(newest.publications.map((m) => m.text), ['m5', 'm4'])
  assert.deepEqual(offsets(await client.history(ROOM, { since: { epoch: start.epoch, offset: 3 } })), [4, 5])
  assert.deepEqual(offsets(await client.history(ROOM, { since: { epoch: start.epoch, offset: 3n } })), [4, 5])
  assert.deepEqual(offsets(await client.history(ROOM, { since: `${start.epoch}:4`, limit: 10 })), [5])
  assert.deepEqual(offsets(await client.history(ROOM, { since: all.position })), [])
  assert.deepEqual((await client.history(ROOM, { limit: 0 })).publications, [])
  const other = await client.history(ROOM, { since: 'elsewhere:1' })
  assert.deepEqual([other.publications, other.position.epoch], [[], start.epoch], 'another epoch: nothing, and the current position')

  await rejectsCode(client.history(ROOM, { since: 'no-offset' }), 'Position')
  await rejectsCode(client.history(ROOM, { since: { epoch: start.epoch, offset: 1.5 } }), 'Position')
  await assert.rejects(client.history(ROOM, { since: 3 }), TypeError)
  await assert.rejects(client.history(ROOM, { limit: -1 }), TypeError)
  await assert.rejects(client.history(ROOM, { reverse: 'yes' }), TypeError)
  await assert.rejects(client.history(ROOM, { newest: true }), /unknown history option 'newest'/)
  await client.close()
})

test('a server without history answers NoHistory and gives no position', async () => {
  const client = await lhttp.connect(plain.url)
  await client.subscribe('room')
  assert.equal(client.position('room'), null)
  await rejectsCode(client.history('room'), 'NoHistory')
  await client.close()
})

test('after a restart of the server the reconnecting client gets Unrecovered, then live publications', async () => {
  let own = await startServer(HISTORY)
  const client = await lhttp.connect(own.url, { reconnect: true, initialBackoffMs: 100, maxBackoffMs: 300 })
  try {
    await client.subscribe(ROOM)
    const first = take(client, 1)
    await client.publish(ROOM, 'before')
    assert.equal((await first)[0].text, 'before')
    const before = client.position(ROOM)
    assert.equal(before.offset, 1)

    const errored = new Promise((resolve) => client.once('error', resolve))
    await own.stop()
    own = await startServer(HISTORY, own.addr) // same port; the memory history is gone
    const error = await errored
    assert.equal(error.code, 'Unrecovered', error.message)
    assert.ok(error.message.includes(ROOM), error.message)
    const now = client.position(ROOM)
    assert.notEqual(now.epoch, before.epoch, 'a restarted memory backend has a new epoch')

    const next = take(client, 1)
    assert.equal(await lhttp.httpPublish(own.httpUrl, ROOM, 'after'), 1)
    const msg = (await next)[0]
    assert.deepEqual([msg.text, msg.header('offset'), msg.header('epoch')], ['after', '1', now.epoch])
  } finally {
    await client.close()
    await own.stop()
  }
})

/** Calls lhttpd's HTTP API (spec/HTTP-API.md) and gives the result. */
async function api(server, call, args) {
  const answer = await fetch(`${server.httpUrl}/api/${call}`, { method: 'POST', body: JSON.stringify(args) })
  return (await answer.json()).result
}

/** Has the server close the client's connection (1000: it reconnects) and waits until it is gone. */
async function dropConnection(server, client) {
  const id = client.clientId
  assert.equal(await api(server, 'close_client', { client: id }), true)
  for (let i = 0; i < 400 && (await api(server, 'is_online', { client: id })); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.equal(await api(server, 'is_online', { client: id }), false, 'the connection is gone')
}

/** The next `'recovered'` or `'unrecovered'` event, as `[event, channel]`. */
function nextRecovery(client) {
  return new Promise((resolve) => {
    const on = (event) => (channel) => {
      client.off('recovered', recovered)
      client.off('unrecovered', unrecovered)
      resolve([event, channel])
    }
    const recovered = on('recovered')
    const unrecovered = on('unrecovered')
    client.on('recovered', recovered)
    client.on('unrecovered', unrecovered)
  })
}

test("after a dropped connection the missed messages arrive, then 'recovered' names the channel", async () => {
  const own = await startServer(['--history-size', '50', '--history-ttl', '60'])
  // The first retry waits 0.5 to 1 s: the publications below are made while it is away.
  const client = await lhttp.connect(own.url, { reconnect: true, initialBackoffMs: 1000, maxBackoffMs: 1000 })
  try {
    await client.subscribe(ROOM)
    const seen = []
    client.on('message', (msg) => seen.push(msg.text))
    const recovery = nextRecovery(client)
    await lhttp.httpPublish(own.httpUrl, ROOM, 'before')
    await dropConnection(own, client)
    for (const n of [1, 2, 3]) await lhttp.httpPublish(own.httpUrl, ROOM, `missed ${n}`)
    assert.deepEqual(await recovery, ['recovered', ROOM])
    // The notice may come before the last messages were handed to JavaScript; they come, once each.
    for (let i = 0; i < 400 && seen.length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(seen, ['before', 'missed 1', 'missed 2', 'missed 3'])
    assert.equal(client.position(ROOM).offset, 4)
  } finally {
    await client.close()
    await own.stop()
  }
})

test("a history trimmed while away: 'unrecovered' names the channel and 'error' says Unrecovered", async () => {
  const own = await startServer(['--history-size', '2', '--history-ttl', '60'])
  const client = await lhttp.connect(own.url, { reconnect: true, initialBackoffMs: 1000, maxBackoffMs: 1000 })
  try {
    await client.subscribe(ROOM)
    const first = take(client, 1)
    await lhttp.httpPublish(own.httpUrl, ROOM, 'before')
    assert.equal((await first)[0].text, 'before')
    const recovery = nextRecovery(client)
    const errored = new Promise((resolve) => client.once('error', resolve))
    await dropConnection(own, client)
    for (const n of [1, 2, 3, 4]) await lhttp.httpPublish(own.httpUrl, ROOM, `missed ${n}`) // 2 kept
    assert.deepEqual(await recovery, ['unrecovered', ROOM])
    const error = await errored
    assert.equal(error.code, 'Unrecovered', error.message)
    assert.ok(error.message.includes(ROOM), error.message)
    assert.equal(client.position(ROOM).offset, 5, 'it goes on from the stream position')
    const next = take(client, 1)
    await lhttp.httpPublish(own.httpUrl, ROOM, 'live')
    assert.equal((await next)[0].text, 'live', 'none of the old ones, then the live one')
  } finally {
    await client.close()
    await own.stop()
  }
})
