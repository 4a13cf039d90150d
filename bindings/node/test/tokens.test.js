'use strict'
// Tokens (spec 14) through the Node client against a real lhttpd with an HMAC secret:
// `token`, `getToken` (an async function: on connect, on reconnect, before expiry) and
// `getSubscriptionToken` for a namespace whose subscribe rule is `token`. Test tokens
// are HS256, signed with node:crypto as an application's backend would.

const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const { createHmac } = require('node:crypto')
const { mkdtempSync, writeFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
const lhttp = require('../lib')
const { startServer } = require('./support/processes')

const SECRET = 'node-test-secret'
const dir = mkdtempSync(join(tmpdir(), 'lhttp-node-tokens-'))
writeFileSync(join(dir, 'lhttpd.toml'), '[namespaces.priv]\nsubscribe = "token"\n')
const ARGS = ['--token-hmac-secret', SECRET, '--token-grace', '0', '--config', join(dir, 'lhttpd.toml')]

const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url')
function hs256(claims) {
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`
  return `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`
}
const exp = (s) => Math.floor(Date.now() / 1000) + s

const servers = []
after(() => Promise.all(servers.map((s) => s.stop())))
async function server(args = ARGS, listen) {
  const s = await startServer(args, listen)
  servers.push(s)
  return s
}

async function until(predicate, what) {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function next(client) {
  for await (const msg of client) return msg
}

test('a token option authenticates under --require-token; a refused one rejects Unauthorized without showing it', async () => {
  const s = await server([...ARGS, '--require-token'])
  const client = await lhttp.connect(s.url, { token: hs256({ sub: 'ann', exp: exp(600) }) })
  await client.subscribe('room')
  assert.equal(await client.publish('room', 'hi'), 1)
  await client.close()
  const bad = `${hs256({ sub: 'eve' }).slice(0, -4)}AAAA`
  const err = await lhttp.connect(s.url, { token: bad }).then(() => null, (e) => e)
  assert.equal(err?.code, 'Unauthorized')
  assert.ok(!String(err.message).includes(bad))
  await assert.rejects(lhttp.connect(s.url, { getToken: 'no' }), TypeError)
})

test('getToken refreshes before expiry: the connection outlives a fixed token of the same lifetime', async () => {
  const s = await server()
  const fixed = await lhttp.connect(s.url, { token: hs256({ sub: 'ann', exp: exp(3) }) })
  let calls = 0
  const client = await lhttp.connect(s.url, {
    getToken: async () => {
      calls++
      return hs256({ sub: 'ann', exp: exp(3) })
    },
  })
  const id = client.clientId
  assert.equal(calls, 1)
  // The server closes the fixed token's connection once it expired (4004).
  const fixedErr = await next(fixed).then(() => null, (e) => e)
  assert.equal(fixedErr?.code, 'Closed')
  await until(() => calls >= 3, 'two refreshes')
  assert.equal(client.clientId, id, 'no reconnect')
  await client.subscribe('room')
  assert.equal(await client.publish('room', 'still here'), 1)
  await client.close()
  await fixed.close()
})

test('getSubscriptionToken opens a token-rule channel; a new subscription token on reconnect', async () => {
  let s = await server()
  let tokens = 0
  const asked = []
  const client = await lhttp.connect(s.url, {
    reconnect: true,
    initialBackoffMs: 50,
    maxBackoffMs: 200,
    getToken: async () => {
      tokens++
      return hs256({ sub: 'ann', exp: exp(600) })
    },
    getSubscriptionToken: async (channel) => {
      asked.push(channel)
      return channel.startsWith('priv:') ? hs256({ sub: 'ann', channel, exp: exp(600) }) : null
    },
  })
  await client.subscribe('priv:x', 'room')
  assert.deepEqual([...asked].sort(), ['priv:x', 'room'])
  assert.equal(await client.publish('priv:x', 'secret'), 1)

  const anonymous = await lhttp.connect(s.url)
  await assert.rejects(anonymous.subscribe('priv:x'), (e) => e.code === 'Forbidden')
  await anonymous.close()

  const addr = s.addr
  await s.stop()
  s = await server(ARGS, addr)
  await until(() => asked.filter((c) => c === 'priv:x').length === 2, 'priv:x restored with a new token')
  assert.equal(tokens, 1, "a still-good connection token is used again (the session's choice)")
  assert.equal(await client.publish('priv:x', 'again'), 1)
  await client.close()
})

test('a getToken that rejects fails with Io, naming its message', async () => {
  const s = await server()
  const err = await lhttp
    .connect(s.url, {
      getToken: async () => {
        throw new Error('backend down')
      },
    })
    .then(() => null, (e) => e)
  assert.equal(err?.code, 'Io')
  assert.match(err.message, /backend down/)
})
