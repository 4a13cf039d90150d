'use strict'
// After close codes 4001 (taken over) and 1008 (policy: a message flood) the Node client
// does not reconnect, even with `reconnect: true` (spec 9.7, 12): checked against a live
// lhttpd by its own connection count, long after the first reconnect would have gone out,
// and, for 4001, by the newer connection staying open.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const lhttp = require('../lib')
const { startServer } = require('./support/processes')

// Several reconnect steps (maxBackoffMs 500): a client that was going to come back has.
const PAST_BACKOFF_MS = 2000
const RECONNECT = { reconnect: true, initialBackoffMs: 100, maxBackoffMs: 500 }

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// Reading (a 'message' listener) is what sees the connection end.
const closed = (client) => {
  client.on('message', () => {})
  return client.closed ? Promise.resolve() : new Promise((resolve) => client.once('close', resolve))
}

async function clientCount(server) {
  const answer = await fetch(`${server.httpUrl}/api/client_count`, { method: 'POST', body: '{}' })
  return (await answer.json()).result
}

test('taken over with 4001: the old client does not come back', async (t) => {
  const server = await startServer(['--takeover-key', 'device'])
  t.after(() => server.stop())
  const old = await lhttp.connect(`${server.url}?device=phone`, RECONNECT)
  old.on('error', () => {})
  const fresh = await lhttp.connect(`${server.url}?device=phone`)
  t.after(() => fresh.close())
  await closed(old)
  await sleep(PAST_BACKOFF_MS)
  assert.equal(await clientCount(server), 1)
  // Had the old client come back, it would have taken the key again and closed this one.
  assert.equal(fresh.closed, false)
  assert.equal(await fresh.publish('room', 'still here'), 0)
})

test('closed with 1008 for a flood: the client does not come back', async (t) => {
  const server = await startServer(['--message-rate', '1', '--message-burst', '2'])
  t.after(() => server.stop())
  const flooder = await lhttp.connect(server.url, RECONNECT)
  flooder.on('error', () => {})
  for (let i = 0; i < 20 && !flooder.closed; i++) {
    await flooder.sendRaw('LHTTP/1.0 chat\r\n\r\nflood').catch(() => {})
  }
  await closed(flooder)
  await sleep(PAST_BACKOFF_MS)
  assert.equal(await clientCount(server), 0, 'a client closed for its flood came back')
})
