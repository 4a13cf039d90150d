// Tokens (spec 14) through the browser SDK's driver against the real lhttpd with an HMAC
// secret: `token`, `getToken` (on connect, on reconnect, before expiry: refresh) and
// `getSubscriptionToken` for a namespace whose subscribe rule is `token`. The driver is the
// one a browser runs (Node's WebSocket), the session decides when to ask.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './helpers/server.js';
import { hs256, nowSecs } from './helpers/jwt.js';
import { wasmBytes } from './helpers/wasm.js';
import { init, Lhttp } from '../index.js';

await init(wasmBytes);
const SECRET = 'browser-test-secret';
const dir = mkdtempSync(join(tmpdir(), 'lhttp-tokens-'));
const configFile = join(dir, 'lhttpd.toml');
writeFileSync(configFile, '[namespaces.priv]\nsubscribe = "token"\n');
const args = ['--token-hmac-secret', SECRET, '--token-grace', '0', '--config', configFile];

/** A client closed after the test. */
function client(t, server, options) {
  const c = new Lhttp(server.ws, { initialBackoffMs: 50, maxBackoffMs: 200, ...options });
  t.after(() => c.close());
  return c;
}

/** Resolves once `predicate()` holds, checked on each of `client`'s callbacks and every 20 ms. */
function until(predicate, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > 20_000) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 20);
    };
    check();
  });
}

test('a token option authenticates the connection under --require-token; a refused one ends the client, the token never shown', async (t) => {
  const server = await startServer({ args: [...args, '--require-token'] });
  t.after(() => server.kill());
  const good = client(t, server, { token: hs256(SECRET, { sub: 'ann', exp: nowSecs() + 600 }) });
  await good.subscribe('room');
  assert.deepEqual(await good.publish('room', 'hi'), { deliveries: 1 });

  const bad = hs256('another-secret', { sub: 'eve' });
  const refused = client(t, server, { token: bad });
  const errors = [];
  refused.on_error = ({ error }) => errors.push(error);
  const err = await refused.whenOpen().then(() => null, (e) => e);
  assert.equal(err?.code, 'Unauthorized');
  assert.ok(errors.length > 0);
  for (const e of [err, ...errors]) assert.ok(!`${e.message} ${e.detail}`.includes(bad), 'no error shows the token');
  assert.throws(() => new Lhttp(server.ws, { token: 42 }), (e) => e instanceof TypeError && !/42/.test(e.message));
});

test('getToken is called on connect and again before expiry (refresh): the connection outlives a fixed token of the same lifetime', async (t) => {
  const server = await startServer({ args });
  t.after(() => server.kill());
  const lifetime = () => ({ sub: 'ann', exp: nowSecs() + 3 });
  // The control: the same lifetime as a fixed token, so the server closes it with 4004.
  const fixed = client(t, server, { token: hs256(SECRET, lifetime()), reconnect: false });
  const fixedCloses = [];
  fixed.on_close = ({ event }) => fixedCloses.push(event.code);
  let calls = 0;
  const refreshing = client(t, server, {
    getToken: async () => {
      calls++;
      return hs256(SECRET, lifetime());
    },
  });
  let opens = 0;
  const closes = [];
  refreshing.on_open = () => opens++;
  refreshing.on_close = ({ event }) => closes.push(event.code);
  await Promise.all([fixed.whenOpen(), refreshing.whenOpen()]);
  assert.equal(calls, 1, 'asked once on connect');
  await until(() => fixedCloses.length > 0, 'the fixed token to expire');
  assert.deepEqual(fixedCloses, [4004]);
  await until(() => calls >= 3, 'two refreshes');
  assert.equal(opens, 1, 'the refreshed connection never reconnected');
  assert.deepEqual(closes, []);
  await refreshing.subscribe('room');
  assert.deepEqual(await refreshing.publish('room', 'still here'), { deliveries: 1 });
});

test('getSubscriptionToken opens a token-rule channel and is asked again on reconnect; without it the channel is Forbidden', async (t) => {
  let server = await startServer({ args });
  t.after(() => server.kill());
  const asked = [];
  let tokens = 0;
  const ann = client(t, server, {
    getToken: async () => {
      tokens++;
      return hs256(SECRET, { sub: 'ann', exp: nowSecs() + 600 });
    },
    getSubscriptionToken: async (channel) => {
      asked.push(channel);
      return channel.startsWith('priv:') ? hs256(SECRET, { sub: 'ann', channel, exp: nowSecs() + 600 }) : null;
    },
  });
  let opens = 0;
  ann.on_open = () => opens++;
  await ann.subscribe('priv:x', 'room');
  assert.deepEqual([...asked].sort(), ['priv:x', 'room']);
  assert.deepEqual(await ann.publish('priv:x', 'secret'), { deliveries: 1 });

  const anonymous = client(t, server);
  const err = await anonymous.subscribe('priv:x').then(() => null, (e) => e);
  assert.equal(err?.code, 'Forbidden');
  assert.deepEqual(anonymous.channels, []);

  await server.kill();
  server = await startServer({ listen: server.addr, args });
  await until(() => opens === 2 && ann.isOpen, 'the reconnect');
  // The connection token is still good (it expires in 10 minutes): the session reconnects with it.
  assert.equal(tokens, 1, 'a still-good connection token is used again');
  assert.deepEqual(asked.filter((c) => c === 'priv:x').length, 2, 'a new subscription token on reconnect');
  assert.deepEqual(await ann.publish('priv:x', 'again'), { deliveries: 1 }, 'priv:x was restored');
});

test('a getToken that throws fails the attempt with Io (retried), its answer later opens the connection', async (t) => {
  const server = await startServer({ args });
  t.after(() => server.kill());
  let calls = 0;
  const c = client(t, server, {
    getToken: async () => {
      if (++calls === 1) throw new Error('backend down');
      return hs256(SECRET, { sub: 'ann' });
    },
  });
  const errors = [];
  c.on_error = ({ error }) => errors.push(error.code);
  await c.whenOpen();
  assert.equal(calls, 2);
  assert.deepEqual(errors, ['Io']);
});
