'use strict'
// The codec through the addon: values come back as the Rust codec produced them,
// and every failure is an Error whose `code` is the core's error name.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { parse, encode, encodeMultipart } = require('../lib')

/** Asserts that `fn` throws an Error with this `code`. */
function throwsCode(fn, code) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'an Error')
    assert.equal(err.code, code)
    assert.ok(err.message.length > 0)
    return true
  })
}

test('parse gives command, ordered headers, case-insensitive lookup, body and text', () => {
  const msg = parse('LHTTP/1.0 chat\r\nPublish: room1  room2 \r\nx:1\r\nX:2\r\n\r\nhello\r\n\r\nworld')
  assert.equal(msg.command, 'chat')
  assert.deepEqual(msg.headers, [
    ['Publish', 'room1  room2'],
    ['x', '1'],
    ['X', '2'],
  ])
  assert.equal(msg.header('publish'), 'room1  room2')
  assert.equal(msg.header('PUBLISH'), 'room1  room2')
  assert.equal(msg.header('missing'), null)
  assert.deepEqual(msg.headerValues('x'), ['1', '2'])
  assert.deepEqual(msg.channels('publish'), ['room1', 'room2'])
  assert.ok(Buffer.isBuffer(msg.body))
  assert.equal(msg.body.toString(), 'hello\r\n\r\nworld')
  assert.equal(msg.text, 'hello\r\n\r\nworld')
})

test('parse takes bytes and keeps a non-UTF-8 body as bytes', () => {
  const bytes = Buffer.concat([Buffer.from('LHTTP/1.0 bin\n\n'), Buffer.from([0xff, 0x00, 0xfe])])
  const msg = parse(bytes)
  assert.equal(msg.command, 'bin')
  assert.deepEqual([...msg.body], [0xff, 0x00, 0xfe])
  assert.equal(msg.text, null)
  const fromU8 = parse(new Uint8Array(bytes))
  assert.deepEqual(fromU8.body, msg.body)
})

test('parse errors carry the core error name as code', () => {
  throwsCode(() => parse('HTTP/1.1 200 OK\r\n\r\n'), 'Version')
  throwsCode(() => parse('LHTTP/1.0\r\n\r\n'), 'Command')
  throwsCode(() => parse('LHTTP/1.0 chat\rx\n\r\n'), 'NewLine')
  throwsCode(() => parse('LHTTP/1.0 chat\r\nno colon\r\n\r\n'), 'HeaderName')
  throwsCode(() => parse('LHTTP/1.0 chat\r\nname:bad\u0001value\r\n\r\n'), 'HeaderValue')
})

test('encode writes the canonical form and round-trips', () => {
  const bytes = encode({ command: 'chat', headers: [['publish', 'room'], ['id', '7']], body: 'hi' })
  assert.ok(Buffer.isBuffer(bytes))
  assert.equal(bytes.toString(), 'LHTTP/1.0 chat\r\npublish:room\r\nid:7\r\n\r\nhi')
  const back = parse(bytes)
  assert.equal(back.encode().toString(), bytes.toString())
  assert.equal(encode({ command: 'ping' }).toString(), 'LHTTP/1.0 ping\r\n\r\n')
})

test('encode takes headers as an object or a Map, and a byte body', () => {
  const fromObject = encode({ command: 'c', headers: { a: '1', b: '2' }, body: Buffer.from([1, 2]) })
  const fromMap = encode({ command: 'c', headers: new Map([['a', '1'], ['b', '2']]), body: new Uint8Array([1, 2]) })
  assert.deepEqual(fromObject, fromMap)
  assert.deepEqual(fromObject, Buffer.concat([Buffer.from('LHTTP/1.0 c\r\na:1\r\nb:2\r\n\r\n'), Buffer.from([1, 2])]))
})

test('encode errors carry the core error name as code', () => {
  throwsCode(() => encode({ command: 'two words' }), 'Command')
  throwsCode(() => encode({ command: '' }), 'Command')
  throwsCode(() => encode({ command: 'c', headers: [['bad name', 'v']] }), 'HeaderName')
  throwsCode(() => encode({ command: 'c', headers: [['name', ' padded']] }), 'HeaderValue')
  throwsCode(() => encode({ command: 'c', headers: [['name', 'line\nbreak']] }), 'HeaderValue')
})

test('encodeMultipart writes offsets and parts that parse back', () => {
  const bytes = encodeMultipart({
    command: 'upload',
    headers: { id: '7' },
    parts: [
      { headers: [['k1', 'v1']], body: 'body1' },
      { headers: { K2: 'v2' }, body: Buffer.from('body2') },
    ],
  })
  assert.equal(bytes.toString(), 'LHTTP/1.0 upload\r\nid:7\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1K2:v2\r\n\r\nbody2')
  const parts = parse(bytes).parts()
  assert.equal(parts.length, 2)
  assert.deepEqual(
    parts.map((p) => [p.start, p.len, p.headers, p.text]),
    [
      [0, 14, [['k1', 'v1']], 'body1'],
      [14, 14, [['K2', 'v2']], 'body2'],
    ],
  )
  assert.equal(parts[1].header('k2'), 'v2')
  assert.equal(parts[1].header('k1'), null)
  assert.ok(Buffer.isBuffer(parts[0].body))
})

test('a part without headers and a message without parts', () => {
  const bytes = encodeMultipart({ command: 'u', parts: [{ body: 'raw' }] })
  const [part] = parse(bytes).parts()
  assert.deepEqual(part.headers, [])
  assert.equal(part.text, 'raw')
  assert.deepEqual(parse('LHTTP/1.0 plain\r\n\r\nbody').parts(), [])
})

test('multipart errors carry the core error name as code', () => {
  throwsCode(() => encodeMultipart({ command: 'u', parts: [] }), 'PartOffset')
  throwsCode(() => parse('LHTTP/1.0 u\r\nmultipart:0 99\r\n\r\na:b\r\n\r\nc').parts(), 'PartOffset')
  throwsCode(() => parse('LHTTP/1.0 u\r\nmultipart:1\r\n\r\na:b\r\n\r\nc').parts(), 'PartOffset')
  throwsCode(() => parse('LHTTP/1.0 u\r\nmultipart:0\r\n\r\na:b').parts(), 'Part')
})
