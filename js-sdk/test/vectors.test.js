// Every case of spec/vectors/*.json through the wasm build of the codec: the
// browser runs exactly these bytes, so this is the browser codec's conformance run.
// positions.json goes through the vectors' build (the same code plus readPosition and
// writePosition, core's text forms, which the shipped module leaves out); the SDK's own
// positions ({ epoch, offset }, read by core) are tested in client.test.js.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  parse,
  encode,
  encodeInto,
  encodeMultipart,
  encodeMultipartInto,
  channelList,
  errorNames,
  serverErrorNames,
} from './helpers/wasm.js';
import { readPosition, writePosition } from './helpers/wasm-vectors.js';

const DEFAULT_STORAGE = 32; // spec/vectors/README.md: the default caller storage
const dir = new URL('../../spec/vectors/', import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')).vectors;
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const utf8 = (s) => new TextEncoder().encode(s);
/** A vector's byte string given as `key` (text) or `key_hex`. */
const bytes = (v, key) => (v[`${key}_hex`] !== undefined ? hex(v[`${key}_hex`]) : utf8(v[key] ?? ''));
const hasBytes = (v, key) => v[key] !== undefined || v[`${key}_hex`] !== undefined;
const limit = (n) => n ?? DEFAULT_STORAGE;

/** Runs `fn`, expecting it to throw an Error whose `code` is `name`. */
function throwsCode(fn, name) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.equal(e.code, name);
    return true;
  });
}

test('parse_valid.json', async (t) => {
  for (const v of load('parse_valid.json')) {
    await t.test(v.id, () => {
      const msg = parse(bytes(v, 'input'), limit(v.max_headers));
      assert.equal(msg.command, v.command);
      assert.deepEqual(msg.headers, v.headers);
      assert.deepEqual(msg.body, bytes(v, 'body'));
      for (const [name, value] of v.lookup ?? []) {
        assert.equal(msg.header(name), value ?? undefined, `lookup ${name}`);
      }
      // The same message given as text parses identically when it is UTF-8.
      if (v.input !== undefined) assert.deepEqual(parse(v.input, limit(v.max_headers)).headers, v.headers);
    });
  }
});

test('parse_invalid.json', async (t) => {
  for (const v of load('parse_invalid.json')) {
    await t.test(v.id, () => throwsCode(() => parse(bytes(v, 'input'), limit(v.max_headers)), v.error));
  }
});

test('multipart.json', async (t) => {
  for (const v of load('multipart.json')) {
    await t.test(v.id, () => {
      const run = () => parse(bytes(v, 'input'), limit(v.max_headers)).parts(limit(v.max_parts), limit(v.max_part_headers));
      if (v.error) return throwsCode(run, v.error);
      const parts = run();
      assert.equal(parts.length, v.parts.length);
      parts.forEach((p, i) => {
        const want = v.parts[i];
        assert.deepEqual([p.start, p.len, p.bodyStart], [want.start, want.len, want.body_start], `part ${i} offsets`);
        assert.deepEqual(p.headers, want.headers, `part ${i} headers`);
        assert.deepEqual(p.body, bytes(want, 'body'), `part ${i} body`);
      });
    });
  }
});

test('encode.json', async (t) => {
  for (const v of load('encode.json')) {
    await t.test(v.id, () => {
      if (v.parts) {
        const parts = v.parts.map((p) => ({ headers: p.headers, body: bytes(p, 'body') }));
        if (v.buffer_len !== undefined) return intoBuffer(v, (buf) => encodeMultipartInto(buf, v.command, v.headers, parts));
        const run = () => encodeMultipart(v.command, v.headers, parts);
        if (v.error) return throwsCode(run, v.error);
        const out = run();
        assert.deepEqual(out, bytes(v, 'output'));
        const back = parse(out, 1024);
        assert.equal(back.command, v.command);
        assert.deepEqual(back.headers.slice(0, v.headers.length), v.headers);
        assert.deepEqual(
          back.parts().map((p) => [p.headers, p.body]),
          parts.map((p) => [p.headers, p.body]),
        );
        return;
      }
      const body = bytes(v, 'body');
      if (v.buffer_len !== undefined) return intoBuffer(v, (buf) => encodeInto(buf, v.command, v.headers, body));
      const run = () => encode(v.command, v.headers, body);
      if (v.error) return throwsCode(run, v.error);
      const out = run();
      assert.deepEqual(out, bytes(v, 'output'));
      const back = parse(out, 1024);
      assert.equal(back.command, v.command);
      assert.deepEqual(back.headers, v.headers);
      assert.deepEqual(back.body, body);
    });
  }
});

/** Encodes into a caller buffer of `v.buffer_len` bytes, as core's `encode` does. */
function intoBuffer(v, write) {
  const buf = new Uint8Array(v.buffer_len).fill(0xaa);
  if (v.error) {
    throwsCode(() => write(buf), v.error);
    assert.ok(buf.every((b) => b === 0xaa), 'a failed encode writes nothing');
    return;
  }
  const n = write(buf);
  assert.deepEqual(buf.subarray(0, n), bytes(v, 'output'));
}

test('channels.json', async (t) => {
  for (const v of load('channels.json')) {
    await t.test(v.id, () => {
      const msg = parse(v.input, DEFAULT_STORAGE);
      for (const name of ['subscribe', 'publish', 'unsubscribe']) {
        assert.deepEqual(msg.channels(name), v[name] ?? [], name);
      }
      if (v.upstream_error) return throwsCode(() => msg.upstream(), v.upstream_error);
      const up = msg.upstream();
      assert.deepEqual(up === undefined ? null : { method: up.method, url: up.url }, v.upstream ?? null);
    });
  }
});

test('channel_lists.json', async (t) => {
  for (const v of load('channel_lists.json')) {
    await t.test(v.id, () => {
      if (v.error) return throwsCode(() => channelList(v.channels), v.error);
      const out = channelList(v.channels);
      assert.equal(out, v.output);
      // The value reads back as the same channels.
      assert.deepEqual(parse(`LHTTP/1.0 c\r\nsubscribe:${out}\r\n\r\n`).channels('subscribe'), v.channels);
    });
  }
});

/** A reply number header: `null` when absent or not decimal digits (core's rule). */
function replyNumber(msg, name) {
  const value = msg.header(name);
  return value !== undefined && /^[0-9]{1,15}$/.test(value) ? Number(value) : null;
}

/** A reply's fields as a vector names them, read through parse and header lookup
 * (the codec has no reply reader): the reply is told by its exact command. */
function readReply(msg) {
  const text = (name) => msg.header(name) ?? null;
  switch (msg.command) {
    case 'connected':
      return {
        kind: 'connected',
        client_id: text('client-id'),
        max_channels: replyNumber(msg, 'max-channels'),
        max_subscriptions: replyNumber(msg, 'max-subscriptions'),
        max_message_size: replyNumber(msg, 'max-message-size'),
        max_headers: replyNumber(msg, 'max-headers'),
      };
    case 'ack':
      return { kind: 'ack', id: text('id'), deliveries: replyNumber(msg, 'deliveries') };
    case 'error': {
      const code = text('code') ?? 'Internal';
      const known = errorNames().includes(code) || serverErrorNames().includes(code) ? code : 'Unknown';
      return { kind: 'error', code, known, detail: text('detail') ?? '', command: text('command'), id: text('id') };
    }
    default:
      return null;
  }
}

test('replies.json', async (t) => {
  for (const v of load('replies.json')) {
    await t.test(v.id, () => assert.deepEqual(readReply(parse(v.input, DEFAULT_STORAGE)), v.reply));
  }
});

test('positions.json', async (t) => {
  for (const v of load('positions.json')) {
    await t.test(v.id, () => {
      const withChannel = v.form === 'channel';
      const run = () => {
        if (v.write) return writePosition(withChannel ? v.write.channel : undefined, v.write.epoch, v.write.offset);
        const [channel, epoch, offset, text] = readPosition(v.input, withChannel);
        assert.deepEqual({ epoch, offset }, { epoch: v.epoch, offset: v.offset });
        if (withChannel) assert.equal(channel, v.channel);
        return text;
      };
      if (v.error) throwsCode(run, v.error);
      else assert.equal(run(), v.output);
    });
  }
});

test('every error name of the vectors is one of the 13 core names', () => {
  const names = errorNames();
  assert.equal(names.length, 13);
  assert.equal(names.at(-1), 'Position');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    for (const v of load(file)) {
      for (const key of ['error', 'upstream_error']) {
        if (v[key] !== undefined) assert.ok(names.includes(v[key]), `${file} ${v.id}: ${v[key]}`);
      }
    }
  }
});

test('every vector file is run', () => {
  const known = new Set([
    'parse_valid.json',
    'parse_invalid.json',
    'multipart.json',
    'encode.json',
    'channels.json',
    'channel_lists.json',
    'replies.json',
    'positions.json',
  ]);
  const unknown = readdirSync(dir).filter((f) => f.endsWith('.json') && !known.has(f));
  assert.deepEqual(unknown, [], 'a vector file this runner does not know');
});
