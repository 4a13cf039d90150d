'use strict'
// Runs every conformance vector in spec/vectors/*.json (format: spec/vectors/README.md)
// through the Node API. One test per vector, named by its id.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const lhttp = require('../lib')

const dir = path.resolve(__dirname, '../../../spec/vectors')
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()

/** The bytes of `<key>` (UTF-8 text) or `<key>_hex`, or undefined when neither is given. */
function bytesOf(v, key) {
  if (v[`${key}_hex`] !== undefined) return Buffer.from(v[`${key}_hex`], 'hex')
  if (v[key] !== undefined) return Buffer.from(v[key], 'utf8')
  return undefined
}

/** Runs `fn` and checks the vector's expectation: an error `code`, or `check(result)`. */
function expectOutcome(v, fn, check) {
  if (v.error !== undefined) {
    assert.throws(fn, (err) => err instanceof Error && err.code === v.error, `expected error ${v.error}`)
    return
  }
  check(fn())
}

const parseOptions = (v) => (v.max_headers !== undefined ? { maxHeaders: v.max_headers } : undefined)

function parseVector(v) {
  expectOutcome(
    v,
    () => lhttp.parse(bytesOf(v, 'input'), parseOptions(v)),
    (msg) => {
      assert.equal(msg.command, v.command)
      assert.deepEqual(msg.headers, v.headers)
      assert.deepEqual(msg.body, bytesOf(v, 'body') ?? Buffer.alloc(0))
      for (const [name, value] of v.lookup ?? []) assert.equal(msg.header(name), value, `lookup ${name}`)
    },
  )
}

function multipartVector(v) {
  const partsOptions = {}
  if (v.max_parts !== undefined) partsOptions.maxParts = v.max_parts
  if (v.max_part_headers !== undefined) partsOptions.maxPartHeaders = v.max_part_headers
  expectOutcome(
    v,
    () => lhttp.parse(bytesOf(v, 'input'), parseOptions(v)).parts(partsOptions),
    (parts) => {
      assert.equal(parts.length, v.parts.length)
      v.parts.forEach((want, i) => {
        const got = parts[i]
        assert.deepEqual(
          { start: got.start, len: got.len, bodyStart: got.bodyStart, headers: got.headers },
          { start: want.start, len: want.len, bodyStart: want.body_start, headers: want.headers },
          `part ${i}`,
        )
        assert.deepEqual(got.body, bytesOf(want, 'body') ?? Buffer.alloc(0), `part ${i} body`)
      })
    },
  )
}

function encodeVector(v) {
  const multipart = v.parts !== undefined
  const msg = multipart
    ? { command: v.command, headers: v.headers, parts: v.parts.map((p) => ({ headers: p.headers, body: bytesOf(p, 'body') })) }
    : { command: v.command, headers: v.headers, body: bytesOf(v, 'body') }
  if (v.buffer_len !== undefined) {
    // A caller-sized buffer: the write must fit, and a failed one leaves it untouched.
    const out = Buffer.alloc(v.buffer_len, 0xaa)
    const write = () => (multipart ? lhttp.encodeMultipartInto(msg, out) : lhttp.encodeInto(msg, out))
    expectOutcome(v, write, (n) => assert.deepEqual(out.subarray(0, n), bytesOf(v, 'output')))
    if (v.error !== undefined) assert.ok(out.every((b) => b === 0xaa), 'a failed encode writes nothing')
    return
  }
  expectOutcome(
    v,
    () => (multipart ? lhttp.encodeMultipart(msg) : lhttp.encode(msg)),
    (bytes) => {
      assert.deepEqual(bytes, bytesOf(v, 'output'))
      const back = lhttp.parse(bytes)
      assert.equal(back.command, v.command)
      if (!multipart) assert.deepEqual(back.headers, v.headers)
      else assert.deepEqual(back.headers.slice(0, v.headers.length), v.headers)
    },
  )
}

function channelsVector(v) {
  const msg = lhttp.parse(bytesOf(v, 'input'))
  for (const name of ['subscribe', 'publish', 'unsubscribe']) {
    assert.deepEqual(msg.channels(name), v[name] ?? [], name)
  }
  if (v.upstream_error !== undefined) {
    assert.throws(
      () => msg.upstream(),
      (err) => err instanceof Error && err.code === v.upstream_error,
    )
  } else if (v.upstream !== undefined) {
    assert.deepEqual(msg.upstream(), v.upstream)
  }
}

function channelListVector(v) {
  expectOutcome(
    v,
    () => lhttp.channelList(v.channels),
    (value) => assert.equal(value, v.output),
  )
}

/** A reply number header: null when absent or not decimal digits (core's rule). */
function replyNumber(msg, name) {
  const value = msg.header(name)
  return value !== null && /^[0-9]{1,15}$/.test(value) ? Number(value) : null
}

// The Node API has no reply reader: a reply is told by its exact command and its
// fields are its headers (as the C vectors test reads them).
function replyVector(v) {
  const msg = lhttp.parse(bytesOf(v, 'input'))
  const kind = ['connected', 'ack', 'error'].includes(msg.command) ? msg.command : null
  assert.equal(kind, v.reply?.kind ?? null, 'kind')
  if (kind === 'connected') {
    assert.deepEqual(
      {
        client_id: msg.header('client-id'),
        max_channels: replyNumber(msg, 'max-channels'),
        max_subscriptions: replyNumber(msg, 'max-subscriptions'),
        max_message_size: replyNumber(msg, 'max-message-size'),
        max_headers: replyNumber(msg, 'max-headers'),
      },
      {
        client_id: v.reply.client_id,
        max_channels: v.reply.max_channels,
        max_subscriptions: v.reply.max_subscriptions,
        max_message_size: v.reply.max_message_size,
        max_headers: v.reply.max_headers,
      },
    )
  } else if (kind === 'ack') {
    assert.deepEqual(
      { id: msg.header('id'), deliveries: replyNumber(msg, 'deliveries') },
      { id: v.reply.id, deliveries: v.reply.deliveries },
    )
  } else if (kind === 'error') {
    const code = msg.header('code') ?? 'Internal'
    assert.deepEqual(
      { code, detail: msg.header('detail') ?? '', command: msg.header('command'), id: msg.header('id') },
      { code: v.reply.code, detail: v.reply.detail, command: v.reply.command, id: v.reply.id },
    )
    const known = lhttp.errorNames().includes(code) || lhttp.serverErrorNames().includes(code) ? code : 'Unknown'
    assert.equal(known, v.reply.known, 'a known name reads as itself, any other as Unknown')
  }
}

const runners = {
  'parse_valid.json': parseVector,
  'parse_invalid.json': parseVector,
  'multipart.json': multipartVector,
  'encode.json': encodeVector,
  'channels.json': channelsVector,
  'channel_lists.json': channelListVector,
  'replies.json': replyVector,
}

// Files this binding cannot run, and why (each still has to be named here).
const skipped = {
  'positions.json': 'the Node binding has no position API; core and the wasm build run it',
}

test('every error name of the vectors is one of the 13 core names', () => {
  const names = lhttp.errorNames()
  assert.equal(names.length, 13)
  assert.equal(names.at(-1), 'Position')
  for (const file of files) {
    for (const v of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).vectors) {
      for (const key of ['error', 'upstream_error']) {
        if (v[key] !== undefined) assert.ok(names.includes(v[key]), `${file} ${v.id}: ${v[key]}`)
      }
    }
  }
})

test('every vector file has a runner', () => {
  assert.ok(files.length > 0, `no vectors in ${dir}`)
  for (const file of files) assert.ok(runners[file] || skipped[file], `no runner for ${file}`)
})

for (const file of files) {
  const { vectors } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
  for (const v of vectors) {
    test(`${file} ${v.id}: ${v.description}`, { skip: skipped[file] }, () => runners[file](v))
  }
}
