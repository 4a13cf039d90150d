// Every vector of spec/vectors/session/*.json through the wasm build of the
// client session (bindings/wasm's `Session`): the browser SDK drives exactly
// this code, so this is its conformance run. Format: spec/vectors/README.md,
// section "session/*.json"; the Rust runner is session/tests/vectors.rs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Session, encode, readHistory } from './helpers/wasm.js';
// The Session takes and gives positions as { epoch, offset }; the vectors write them as
// text, which core (the vectors' build) reads and writes here.
import { readPosition, writePosition } from './helpers/wasm-vectors.js';

const MIN_VECTORS = 30;
const dir = new URL('../../spec/vectors/session/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** Bytes as text, invalid UTF-8 replaced (as Rust's from_utf8_lossy does). */
const lossy = new TextDecoder();
/** A step's byte string given as `key` (text) or `key_hex`. */
const bytes = (step, key) => (step[`${key}_hex`] !== undefined ? hex(step[`${key}_hex`]) : step[key] ?? '');
const camel = (key) => key.replace(/_(.)/g, (_, c) => c.toUpperCase());

/** The vector's snake_case config as the Session's camelCase one. */
const config = (v) => Object.fromEntries(Object.entries(v.config ?? {}).map(([k, x]) => [camel(k), x]));

/** A transmit as the vectors write it. */
function transmitJson(t) {
  if (t.type !== 'frame') return t;
  return t.text !== undefined ? { type: 'frame', data: t.text } : { type: 'frame', data_hex: toHex(t.data) };
}

/** `{ epoch, offset }` as the vectors write it, `<epoch>:<offset>` (`null` for none). */
const positionText = (p) => (p ? writePosition(undefined, p.epoch, String(p.offset)) : null);

/** A vector's `<epoch>:<offset>` as `{ epoch, offset }`; text that does not read throws `Position`. */
function positionOf(text) {
  const [, epoch, offset] = readPosition(text, false);
  return { epoch, offset: Number(offset) };
}

/** A message written back canonically, as text. */
const messageText = (m) => lossy.decode(encode(m.command, m.headers, m.body));

/** A history answer as the vectors write it (`null` when the reply is not one). */
function historyJson(reply) {
  try {
    const h = readHistory(reply);
    return { channel: h.channel, position: positionText(h.position), publications: h.publications.map(messageText) };
  } catch {
    return null;
  }
}

/** An event as the vectors write it: snake_case, errors by name. */
function eventJson(e) {
  const out = { type: e.type };
  if (e.type === 'acked') out.history = historyJson(e.reply);
  for (const [k, x] of Object.entries(e)) {
    if (k === 'type' || k === 'reply' || k === 'asError') continue;
    if (k === 'error') {
      out.error = x.code;
      if (e.type === 'connect_failed') out.status = x.status ?? null;
    } else if (k === 'clientId') out.client_id = x;
    else if (k === 'limits') {
      out.max_channels = x.maxChannels;
      out.max_subscriptions = x.maxSubscriptions;
    } else out[k] = x;
  }
  return out;
}

/** The fields an expectation names (`delay_min` / `delay_max` bound `delay`). */
function matches(got, want, where) {
  for (const [key, w] of Object.entries(want)) {
    if (key === 'delay_min') assert.ok(got.delay >= w, `${where}: delay ${got.delay} < ${w}`);
    else if (key === 'delay_max') assert.ok(got.delay <= w, `${where}: delay ${got.delay} > ${w}`);
    else assert.deepEqual(got[key] ?? null, w, `${where}.${key} (got ${JSON.stringify(got)})`);
  }
}

function compareList(what, got, want = []) {
  assert.equal(got.length, want.length, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  got.forEach((g, i) => matches(g, want[i], `${what}[${i}]`));
}

/** Every item `poll` gives until it gives undefined. */
function drain(poll) {
  const out = [];
  for (let x = poll(); x !== undefined; x = poll()) out.push(x);
  return out;
}

/** Runs an application call, giving the vectors' `result`. */
function result(call) {
  try {
    const id = call();
    return id === undefined ? { ok: true } : { id };
  } catch (e) {
    assert.equal(typeof e.code, 'string', `a thrown error has a code: ${e}`);
    return { error: e.code };
  }
}

function runStep(s, now, step) {
  const calls = {
    subscribe: () => s.subscribe(now, step.channels),
    unsubscribe: () => s.unsubscribe(now, step.channels),
    publish: () => s.publish(now, step.channels, step.command ?? 'chat', step.headers ?? [], bytes(step, 'body')),
    request: () => s.request(now, bytes(step, 'message')),
    history: () => {
      const since = step.since === undefined ? undefined : positionOf(step.since);
      return s.history(now, step.channel, step.limit ?? undefined, since, step.reverse ?? false);
    },
    send: () => s.send(now, bytes(step, 'message')),
  };
  const inputs = {
    start: () => s.start(now),
    socket_opened: () => s.socketOpened(now),
    connect_failed: () => s.connectFailed(now, step.error),
    received: () => s.received(now, step.data_hex !== undefined ? hex(step.data_hex) : step.data),
    activity: () => s.activity(now),
    socket_closed: () => s.socketClosed(now, step.code ?? null, step.reason ?? ''),
    tick: () => s.tick(now),
    close: () => s.close(now, step.code ?? 1000, step.reason ?? ''),
    read: () => {},
    set_token: () => s.setToken(now, step.token),
    token_failed: () => s.tokenFailed(now, step.error),
    set_subscription_token: () => s.setSubscriptionToken(now, step.channel, step.token ?? null),
    subscription_token_failed: () => s.subscriptionTokenFailed(now, step.channel, step.error),
  };
  const messages = [];
  if (calls[step.input]) {
    assert.ok(step.result, 'an application call has an expected result');
    assert.deepEqual(result(calls[step.input]), step.result, 'result');
  } else {
    assert.ok(inputs[step.input], `unknown input ${step.input}`);
    assert.equal(step.result, undefined, 'a result is expected but this input has none');
    inputs[step.input]();
  }
  if (step.input === 'read') {
    for (let n = 0; n < (step.max ?? Infinity); n++) {
      const m = s.pollMessage();
      if (!m) break;
      messages.push(messageText(m));
    }
  }
  compareList('transmit', drain(() => s.pollTransmit()).map(transmitJson), step.transmit);
  compareList('events', drain(() => s.pollEvent()).map(eventJson), step.events);
  if (step.input === 'read') assert.deepEqual(messages, step.messages ?? [], 'messages');
  if ('deadline' in step) assert.equal(s.nextDeadline() ?? null, step.deadline, 'deadline');
  if ('state' in step) assert.equal(s.state, step.state, 'state');
  if ('subscriptions' in step) assert.deepEqual([...s.subscriptions].sort(), [...step.subscriptions].sort(), 'subscriptions');
  if ('subscription_count' in step) assert.equal(s.subscriptions.length, step.subscription_count, 'subscription count');
  if ('buffered' in step) assert.equal(s.buffered, step.buffered, 'buffered');
  for (const [channel, want] of Object.entries(step.positions ?? {})) {
    assert.equal(positionText(s.position(channel)), want, `position of ${channel}`);
  }
}

function runVector(v) {
  const s = new Session(config(v));
  let now = 0;
  try {
    v.steps.forEach((step, i) => {
      if (step.at === 'deadline') {
        now = s.nextDeadline();
        assert.notEqual(now, undefined, `step ${i}: at deadline, but the session has none`);
      } else if (step.at !== undefined) now = step.at;
      try {
        runStep(s, now, step);
      } catch (e) {
        e.message = `step ${i} (${step.input}): ${e.message}`;
        throw e;
      }
    });
  } finally {
    s.free();
  }
}

let total = 0;
const ids = new Set();
for (const file of files) {
  const { vectors } = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  test(file, async (t) => {
    for (const v of vectors) {
      await t.test(v.id, () => {
        assert.ok(!ids.has(v.id), `duplicate id ${v.id}`);
        ids.add(v.id);
        assert.ok(v.description, 'a description');
        runVector(v);
      });
    }
  });
  total += vectors.length;
}

test('there are enough session vectors', () => assert.ok(total >= MIN_VECTORS, `only ${total} session vectors`));

test('the config refuses unknown and mistyped keys, naming them', () => {
  assert.throws(() => new Session({ requestTimeot: 5 }), (e) => e instanceof TypeError && /requestTimeot/.test(e.message));
  assert.throws(() => new Session({ reconnect: 'yes' }), (e) => e instanceof TypeError && /reconnect/.test(e.message));
  assert.throws(() => new Session({ maxBuffered: -1 }), (e) => e instanceof TypeError && /maxBuffered/.test(e.message));
  new Session({ pingInterval: null, maxAttempts: undefined, seed: 42 }).free();
  new Session().free();
});

test('Session.position and readHistory give { epoch, offset }, read by core; past 2^53 - 1 is Position', () => {
  const s = new Session({});
  s.start(0);
  s.socketOpened(1);
  s.received(2, 'LHTTP/1.0 connected\r\nclient-id:n-1\r\n\r\n');
  s.subscribe(3, ['a', 'b']);
  s.received(4, 'LHTTP/1.0 ack\r\nid:1\r\nposition:a e1:007\r\nposition:b e1:9007199254740992\r\n\r\n');
  assert.deepEqual(s.position('a'), { epoch: 'e1', offset: 7 });
  assert.throws(() => s.position('b'), (e) => e.code === 'Position' && /2\^53/.test(e.detail));
  assert.equal(s.position('c'), undefined);
  const history = (since) => s.history(5, 'a', 1, since, false);
  for (const bad of [{ epoch: 'e1', offset: -1 }, { epoch: 'e1', offset: 1.5 }, { epoch: 'e:1', offset: 1 }, { epoch: 'e1' }]) {
    assert.throws(() => history(bad), (e) => e.code === 'Position', JSON.stringify(bad));
  }
  const id = history({ epoch: 'e1', offset: 2n ** 60n });
  while (s.pollEvent());
  const frames = [];
  for (let t = s.pollTransmit(); t; t = s.pollTransmit()) frames.push(t.text);
  assert.ok(frames.some((f) => f?.includes('since:e1:1152921504606846976\r\n')), 'a bigint offset is written whole');
  s.received(6, `LHTTP/1.0 ack\r\nid:${id}\r\nposition:a e1:8\r\n\r\n`);
  let acked;
  for (let e = s.pollEvent(); e; e = s.pollEvent()) if (e.type === 'acked') acked = e;
  assert.deepEqual(readHistory(acked.reply).position, { epoch: 'e1', offset: 8 });
});
