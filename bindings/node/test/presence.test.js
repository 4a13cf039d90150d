'use strict'
// Presence (spec section 15) through the Node client, against a real lhttpd started
// with presence, join/leave events, no grace and self-declared identities
// (`?uid=..&info=..` on the upgrade URL): a subscriber's join, then a publication, then
// the leave, in that order and read with `msg.presenceEvent()`; the members with their
// uid and info; the counts of two connections of one uid; a capped list; a namespace
// without presence refused with NoPresence; and events read from messages made by hand.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const lhttp = require('../lib')
const { startServer } = require('./support/processes')

// The tests share a server: each has a channel of its own.
const ROOM = 'room'
// Presence and join/leave for the default namespace; a closed connection leaves at once;
// a connection without a token may say who it is. `quiet:` is a namespace without presence.
const PRESENCE = ['--presence', '--join-leave', '--presence-grace', '0', '--client-identity']
const ANN = { name: 'Ann' }

let dir
let server
let capped
let plain

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lhttp-presence-'))
  const config = path.join(dir, 'namespaces.toml')
  fs.writeFileSync(config, '[namespaces.quiet]\npresence = false\njoin_leave = false\n')
  ;[server, capped, plain] = await Promise.all([
    startServer([...PRESENCE, '--config', config]),
    startServer(['--presence', '--presence-max-members', '1', '--client-identity']),
    startServer(),
  ])
})

after(async () => {
  await Promise.all([server?.stop(), capped?.stop(), plain?.stop()])
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/** The server's URL for a connection that names its own uid (and info). */
function asUser(srv, uid, info) {
  const query = new URLSearchParams({ uid })
  if (info !== undefined) query.set('info', JSON.stringify(info))
  return `${srv.url}?${query}`
}

/** A function giving `client`'s next message, all through one iterator (so none is missed). */
function reader(client) {
  const messages = client[Symbol.asyncIterator]()
  return async () => {
    const { value, done } = await messages.next()
    assert.equal(done, false, 'the connection ended')
    return value
  }
}

/** Asserts that the promise rejects with an Error whose `code` is `code`. */
async function rejectsCode(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, 'an Error')
    assert.equal(err.code, code, err.message)
    return true
  })
}

test('join and leave messages read as events; nothing else does', () => {
  const join = lhttp.parse('LHTTP/1.0 join\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\n\r\n{"name":"Ann"}')
  assert.deepEqual(join.presenceEvent(), {
    kind: 'join',
    channel: 'room',
    client: 'n-1',
    uid: 'ann',
    info: { name: 'Ann' },
    reason: '',
  })
  const leave = lhttp.parse('LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-2\r\nreason:node-lost\r\n\r\n')
  assert.deepEqual(leave.presenceEvent(), {
    kind: 'leave',
    channel: 'room',
    client: 'n-2',
    uid: '',
    info: {},
    reason: 'node-lost',
  })
  assert.equal(lhttp.parse('LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi').presenceEvent(), null)
  assert.equal(lhttp.parse('LHTTP/1.0 ack\r\nid:1\r\n\r\n').presenceEvent(), null)
  // A join without its client, or whose info is no object of strings, is the server's fault.
  assert.throws(() => lhttp.parse('LHTTP/1.0 join\r\nchannel:room\r\n\r\n').presenceEvent(), { code: 'Internal' })
  assert.throws(() => lhttp.parse('LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-1\r\n\r\n[1]').presenceEvent(), {
    code: 'Internal',
  })
  assert.ok(lhttp.serverErrorNames().includes('NoPresence'))
})

test("a subscriber gets a member's join, then its message, then its leave", async () => {
  const ROOM = 'order'
  const ann = await lhttp.connect(asUser(server, 'ann', ANN))
  const next = reader(ann)
  await ann.subscribe(ROOM)
  // Every subscriber gets the joins, its own included.
  assert.deepEqual((await next()).presenceEvent(), {
    kind: 'join',
    channel: ROOM,
    client: ann.clientId,
    uid: 'ann',
    info: ANN,
    reason: '',
  })

  const bob = await lhttp.connect(asUser(server, 'bob'))
  await bob.subscribe(ROOM)
  const bobId = bob.clientId
  assert.equal(await bob.publish(ROOM, 'hi'), 2)
  await bob.unsubscribe(ROOM)
  const [joined, said, left] = [await next(), await next(), await next()]
  assert.deepEqual(joined.presenceEvent(), { kind: 'join', channel: ROOM, client: bobId, uid: 'bob', info: {}, reason: '' })
  assert.deepEqual([said.command, said.text, said.presenceEvent()], ['chat', 'hi', null])
  assert.deepEqual(left.presenceEvent(), {
    kind: 'leave',
    channel: ROOM,
    client: bobId,
    uid: 'bob',
    info: {},
    reason: 'unsubscribe',
  })

  // Subscribed again, then gone: with no grace, it leaves at once.
  await bob.subscribe(ROOM)
  const again = (await next()).presenceEvent()
  assert.deepEqual([again?.kind, again?.client], ['join', bobId])
  await bob.close()
  const gone = (await next()).presenceEvent()
  assert.deepEqual([gone?.kind, gone?.client, gone?.reason], ['leave', bobId, 'disconnect'])
  await ann.close()
})

test('presence lists the members with their uid and info; presenceStats counts users', async () => {
  const ROOM = 'members'
  const ann = await lhttp.connect(asUser(server, 'ann', ANN))
  const anon = await lhttp.connect(server.url)
  const annAgain = await lhttp.connect(asUser(server, 'ann'))
  await ann.subscribe(ROOM)
  await anon.subscribe(ROOM)
  const here = await anon.presence(ROOM)
  assert.deepEqual(Object.keys(here), ['members', 'stats', 'capped'])
  assert.deepEqual(
    here.members.toSorted((a, b) => (a.client < b.client ? -1 : 1)),
    [
      { client: ann.clientId, uid: 'ann', info: ANN },
      { client: anon.clientId, uid: '', info: {} },
    ].toSorted((a, b) => (a.client < b.client ? -1 : 1)),
  )
  assert.deepEqual([here.stats, here.capped], [{ connections: 2, users: 1 }, false])

  // Two connections of one uid: two connections, one user.
  await anon.unsubscribe(ROOM)
  await annAgain.subscribe(ROOM)
  assert.deepEqual(await anon.presenceStats(ROOM), { connections: 2, users: 1 })
  const both = await ann.presence(ROOM)
  assert.deepEqual(both.members.map((m) => m.uid), ['ann', 'ann'])
  assert.deepEqual(new Set(both.members.map((m) => m.client)), new Set([ann.clientId, annAgain.clientId]))
  await annAgain.unsubscribe(ROOM)
  assert.deepEqual(await ann.presenceStats(ROOM), { connections: 1, users: 1 })
  // A channel nobody is in.
  assert.deepEqual(await ann.presence('nobody-here'), { members: [], stats: { connections: 0, users: 0 }, capped: false })
  await Promise.all([ann.close(), anon.close(), annAgain.close()])
})

test('a capped list keeps the complete counts', async () => {
  const ann = await lhttp.connect(asUser(capped, 'ann'))
  const bob = await lhttp.connect(asUser(capped, 'bob'))
  await ann.subscribe(ROOM)
  await bob.subscribe(ROOM)
  const here = await ann.presence(ROOM)
  assert.equal(here.members.length, 1)
  assert.ok([ann.clientId, bob.clientId].includes(here.members[0].client))
  assert.deepEqual([here.capped, here.stats], [true, { connections: 2, users: 2 }])
  // Without join_leave no event comes: the first message is the publication.
  const next = reader(ann)
  await ann.publish(ROOM, 'first')
  const msg = await next()
  assert.deepEqual([msg.command, msg.text, msg.presenceEvent()], ['chat', 'first', null])
  await Promise.all([ann.close(), bob.close()])
})

test('a namespace without presence is refused with NoPresence', async () => {
  const client = await lhttp.connect(server.url)
  await rejectsCode(client.presence('quiet:room'), 'NoPresence')
  await rejectsCode(client.presenceStats('quiet:room'), 'NoPresence')
  // The connection goes on, and other namespaces answer.
  assert.deepEqual(await client.presenceStats(ROOM), { connections: 0, users: 0 })
  await rejectsCode(client.presence('two words'), 'Channel')
  await client.close()

  const other = await lhttp.connect(plain.url)
  await rejectsCode(other.presence(ROOM), 'NoPresence')
  await rejectsCode(other.presenceStats(ROOM), 'NoPresence')
  await other.close()
})
