// The Lhttp client against the real lhttpd, over Node's WebSocket (the same
// WHATWG API browsers have): acknowledged promises, server errors, the async
// iterator, the original callback API, multipart, and reconnect.
import test from 'node:test';
import assert from 'node:assert/strict';
import { wasmBytes } from './helpers/wasm.js';
import { startServer } from './helpers/server.js';
import { init, Lhttp, MultipartBuilder } from '../index.js';
import { httpPublish } from '../http.js';

await init(wasmBytes);
assert.equal(typeof WebSocket, 'function', 'run with node --experimental-websocket (Node 20) or Node 22+');

const quick = { initialBackoffMs: 20, maxBackoffMs: 200 };

/** The next message an iterator yields. */
async function next(iterator) {
  const { value, done } = await iterator.next();
  assert.equal(done, false, 'the iterator ended early');
  return value;
}

/** A promise of the next call of `client[name]`, resolving with its Context. */
function nextCall(client, name) {
  return new Promise((resolve) => {
    const previous = client[name];
    client[name] = (context) => {
      client[name] = previous;
      resolve(context);
    };
  });
}

test('subscribe and publish resolve on the server ack; subscribers receive the message', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const alice = new Lhttp(server.ws);
  const bob = new Lhttp(server.ws);
  t.after(() => (alice.close(), bob.close()));
  const inbox = alice[Symbol.asyncIterator]();

  await alice.subscribe('room', ['other']);
  assert.deepEqual(alice.channels.sort(), ['other', 'room']);
  const { deliveries } = await bob.publish('room', 'hi\r\n\r\nthere', { command: 'chat', headers: { from: 'bob:1' } });
  assert.equal(deliveries, 1);

  const msg = await next(inbox);
  assert.equal(msg.command, 'chat');
  assert.equal(msg.header('FROM'), 'bob:1');
  assert.equal(msg.text, 'hi\r\n\r\nthere');
  assert.deepEqual(msg.channels('publish'), ['room']);
  assert.match(alice.clientId ?? '', /\S/, 'the connected message gave an id');

  await alice.unsubscribe('room');
  assert.deepEqual(alice.channels, ['other']);
  assert.equal((await bob.publish('room', 'nobody')).deliveries, 0);
});

test('a request the server refuses rejects with the server error code', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws);
  t.after(() => client.close());
  await assert.rejects(client.request({ command: 'ack' }), (e) => {
    assert.equal(e.name, 'LhttpError');
    assert.equal(e.code, 'ReservedCommand');
    assert.match(e.id, /^\d+$/);
    return true;
  });
  // The connection stays usable.
  await client.subscribe('still-works');
});

test('the original callback API: on_open, context.subscribe/publish, on_message with a Context', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const reader = new Lhttp(server.ws);
  const writer = new Lhttp(server.ws);
  t.after(() => (reader.close(), writer.close()));

  const opened = nextCall(reader, 'on_open');
  const ctx = await opened;
  ctx.subscribe('chatroom', 'chat', null, '');
  // A request after the subscribe on the same connection: its ack means the subscribe took effect.
  await reader.request({ command: 'sync' });

  const received = nextCall(reader, 'on_message');
  await writer.whenOpen();
  writer.context.publish('chatroom', 'chat', { time: '5:30:48' }, 'a\r\n\r\nb');
  const c = await received;
  assert.equal(c.getCommand(), 'chat');
  assert.equal(c.getHeader('time'), '5:30:48');
  assert.equal(c.getBody(), 'a\r\n\r\nb');
});

test('a multipart message survives the server and splits into its parts', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws);
  t.after(() => client.close());
  const inbox = client[Symbol.asyncIterator]();
  await client.subscribe('files');
  const upload = new MultipartBuilder('upload')
    .header('publish', 'files')
    .part({ 'content-type': 'text/plain' }, 'hello')
    .part({ name: 'bin' }, new Uint8Array([0xff, 0x00, 0x0d, 0x0a]));
  await client.request(upload);
  const parts = (await next(inbox)).parts();
  assert.deepEqual(parts.map((p) => p.headers), [[['content-type', 'text/plain']], [['name', 'bin']]]);
  assert.equal(parts[0].text, 'hello');
  assert.deepEqual(parts[1].body, new Uint8Array([0xff, 0x00, 0x0d, 0x0a]));
});

test('after the server restarts, the client reconnects and its subscriptions are restored', async (t) => {
  let server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws, quick);
  t.after(() => client.close());
  const inbox = client[Symbol.asyncIterator]();
  await client.subscribe('room');

  const closed = nextCall(client, 'on_close');
  await server.kill();
  await closed;
  const reopened = nextCall(client, 'on_open');
  server = await startServer({ listen: server.addr });
  await reopened;
  assert.deepEqual(client.channels, ['room']);

  const other = new Lhttp(server.ws);
  t.after(() => other.close());
  // The restore subscribe was written before anything else on the new connection.
  await client.request({ command: 'sync' });
  assert.equal((await other.publish('room', 'back')).deliveries, 1);
  assert.equal((await next(inbox)).text, 'back');
});

test('close() ends iterators and rejects what is waiting', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws);
  await client.whenOpen();
  const inbox = client[Symbol.asyncIterator]();
  const waiting = inbox.next();
  client.close();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  await assert.rejects(client.whenOpen(), (e) => e.code === 'Closed');
  assert.throws(() => client.send({ command: 'x' }), (e) => e.code === 'Closed');
});

test('a fresh page can call the promise API right after the constructor, before the codec loads', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  // A new process, so the SDK module has not loaded the codec yet.
  const script = `
    import { readFileSync } from 'node:fs';
    import { Lhttp, isReady } from ${JSON.stringify(new URL('../index.js', import.meta.url).href)};
    const wasm = readFileSync(new URL(${JSON.stringify(new URL('../wasm/lhttp_wasm_bg.wasm', import.meta.url).href)}));
    const client = new Lhttp(${JSON.stringify(server.ws)}, { wasm });
    const loadedAtStart = isReady();
    await client.subscribe('early');
    const { deliveries } = await client.publish('early', 'x');
    client.close();
    console.log(JSON.stringify({ loadedAtStart, deliveries }));
  `;
  const { execFile } = await import('node:child_process');
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [...process.execArgv, '--no-warnings', '--input-type=module', '-e', script], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  assert.deepEqual(JSON.parse(out), { loadedAtStart: false, deliveries: 1 });
});

test('messages wait in the buffer for a consumer; past maxBuffered the oldest go, reported as Lagged', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws, { maxBuffered: 2 });
  const other = new Lhttp(server.ws);
  t.after(() => (client.close(), other.close()));
  const errors = [];
  client.on_error = ({ error }) => errors.push(error);
  await client.subscribe('room');
  for (const body of ['1', '2', '3', '4', '5']) await other.publish('room', body);
  await client.request({ command: 'sync' }); // every delivery to it came before this ack
  // The first drop is told at once, the rest of the run when the application reads.
  assert.ok(errors.length > 0 && errors.every((e) => e.code === 'Lagged'), `${errors}`);
  const inbox = client[Symbol.asyncIterator]();
  assert.deepEqual([(await next(inbox)).text, (await next(inbox)).text], ['4', '5']);
  assert.ok(errors.every((e) => e.code === 'Lagged'), `${errors}`);
  assert.equal(errors.reduce((n, e) => n + parseInt(e.detail, 10), 0), 3, 'three dropped in all');
  // With on_message set, messages flow to it and to the iterators alike.
  const seen = [];
  client.on_message = (context) => seen.push(context.getBody());
  await other.publish('room', '6');
  assert.equal((await next(inbox)).text, '6');
  assert.deepEqual(seen, ['6']);
});

test('a client that gives up rejects whenOpen, ends its iterators and tells on_error', async (t) => {
  const server = await startServer();
  const client = new Lhttp(server.ws, { reconnect: false });
  t.after(() => client.close());
  await client.whenOpen();
  const errors = [];
  client.on_error = ({ error }) => errors.push(error.code);
  const inbox = client[Symbol.asyncIterator]();
  const waiting = inbox.next();
  await server.kill();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  await assert.rejects(client.whenOpen(), (e) => e.code === 'Closed');
  assert.ok(errors.includes('Closed'), `on_error got the final error: ${errors}`);
  await assert.rejects(client.subscribe('x'), (e) => e.code === 'Closed');
});

test('no server: each failed attempt is a Connect error, and maxAttempts ends it', async (t) => {
  const server = await startServer();
  await server.kill(); // a port nobody listens on now
  const client = new Lhttp(server.ws, { maxAttempts: 2, initialBackoffMs: 10 });
  t.after(() => client.close());
  const errors = [];
  client.on_error = ({ error }) => errors.push(error.code);
  const request = client.subscribe('x');
  await assert.rejects(client.whenOpen(), (e) => e.code === 'Connect');
  await assert.rejects(request, (e) => e.code === 'Connect');
  assert.deepEqual(errors, ['Connect', 'Connect', 'Connect']);
});

test('options: an unknown name or a wrong type is a TypeError at once', () => {
  assert.throws(() => new Lhttp('ws://127.0.0.1:1/', { timeoutMs: 5 }), (e) => e instanceof TypeError && /"timeoutMs"/.test(e.message));
  new Lhttp('ws://127.0.0.1:1/', { timeout: 5, reconnect: false }).close(); // the original SDK's name still works
  assert.throws(() => new Lhttp('ws://127.0.0.1:1/', { reconnect: {} }), (e) => e instanceof TypeError && /reconnect/.test(e.message));
  assert.throws(() => new Lhttp('ws://127.0.0.1:1/', { requestTimeoutMs: '5s' }), TypeError);
  new Lhttp('ws://127.0.0.1:1/', { maxAttempts: null, reconnect: false }).close();
});

test('publish uses the command chat unless told otherwise', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws);
  t.after(() => client.close());
  const inbox = client[Symbol.asyncIterator]();
  await client.subscribe('room');
  await client.publish('room', 'a');
  await client.publish('room', 'b', { command: 'note' });
  assert.deepEqual([(await next(inbox)).command, (await next(inbox)).command], ['chat', 'note']);
});

test('channels a restarted server will not take back reach on_error as RestoreRefused, the others stay', async (t) => {
  let server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws, quick);
  t.after(() => client.close());
  await client.subscribe('a', 'b', 'c', 'd', 'e');
  const errors = [];
  client.on_error = ({ error }) => errors.push(error);
  const closed = nextCall(client, 'on_close');
  await server.kill();
  await closed;
  const reopened = nextCall(client, 'on_open');
  server = await startServer({ listen: server.addr, args: ['--max-subscriptions', '3'] });
  await reopened;
  const refused = errors.filter((e) => e.code === 'RestoreRefused');
  assert.deepEqual(refused.map((e) => e.channel), ['d', 'e']);
  assert.match(refused[0].detail, /TooManySubscriptions/);
  assert.deepEqual(client.channels, ['a', 'b', 'c']);
});

test('httpPublish: a backend publishes over HTTP like every SDK, with the same errors', async (t) => {
  const server = await startServer({ args: ['--publish-token', 'secret'] });
  t.after(() => server.kill());
  const client = new Lhttp(server.ws, quick);
  t.after(() => client.close());
  const inbox = client[Symbol.asyncIterator]();
  await client.subscribe('room');
  const deliveries = await httpPublish(server.http, 'room', 'from a backend', { token: 'secret', headers: { from: 'api' } });
  assert.equal(deliveries, 1);
  const msg = await next(inbox);
  assert.deepEqual([msg.command, msg.header('from'), msg.text], ['chat', 'api', 'from a backend']);
  await assert.rejects(httpPublish(server.ws, 'room', 'x', { token: 'wrong' }), (e) => e.code === 'Unauthorized' && e.status === 401);
  await assert.rejects(httpPublish(server.http, 'a b', 'x', { token: 'secret' }), (e) => e.code === 'Channel');
  await assert.rejects(httpPublish(server.http, 'room', 'x', { tokn: 'secret' }), TypeError);
});

const history = ['--history-size', '100', '--history-ttl', '300'];

test('history: the newest publications, reverse and after a position; position follows what arrives', async (t) => {
  const server = await startServer({ args: history });
  t.after(() => server.kill());
  const client = new Lhttp(server.ws);
  t.after(() => client.close());
  const inbox = client[Symbol.asyncIterator]();
  assert.equal(client.position('news'), undefined);
  await client.subscribe('news');
  const start = client.position('news');
  assert.match(start.epoch, /^[A-Za-z0-9_-]{1,32}$/);
  assert.equal(start.offset, 0);
  for (const n of [1, 2, 3]) await client.publish('news', `item ${n}`, { headers: { from: 'me' } });
  for (const n of [1, 2, 3]) assert.equal((await next(inbox)).text, `item ${n}`);
  assert.deepEqual(client.position('news'), { epoch: start.epoch, offset: 3 });

  const all = await client.history('news');
  assert.equal(all.channel, 'news');
  assert.deepEqual(all.position, { epoch: start.epoch, offset: 3 });
  assert.deepEqual(all.publications.map((m) => m.text), ['item 1', 'item 2', 'item 3']);
  const first = all.publications[0];
  assert.equal(first.command, 'chat');
  assert.equal(first.header('from'), 'me');
  assert.deepEqual([first.header('channel'), first.header('offset'), first.header('epoch')], ['news', '1', start.epoch]);

  const newest = await client.history('news', { limit: 2, reverse: true });
  assert.deepEqual(newest.publications.map((m) => m.header('offset')), ['3', '2']);
  const after = await client.history('news', { since: { epoch: start.epoch, offset: 1 } });
  assert.deepEqual(after.publications.map((m) => m.text), ['item 2', 'item 3']);
  const none = await client.history('news', { limit: 0 });
  assert.deepEqual([none.publications, none.position.offset], [[], 3]);
  // A channel need not be subscribed to be read.
  assert.deepEqual((await client.history('elsewhere')).publications, []);
});

test('history: a channel without history is NoHistory; a bad since is Position, before anything is sent', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  const client = new Lhttp(server.ws);
  t.after(() => client.close());
  await assert.rejects(client.history('news'), { name: 'LhttpError', code: 'NoHistory' });
  await client.subscribe('news');
  assert.equal(client.position('news'), undefined);
  await assert.rejects(client.history('news', { since: { epoch: 'e', offset: 'x' } }), { code: 'Position' });
  await assert.rejects(client.history('a b'), { code: 'Channel' });
});

test('after a restart (a new epoch), on_error gets Unrecovered with the channel, and the new stream flows', async (t) => {
  let server = await startServer({ args: history });
  t.after(() => server.kill());
  const client = new Lhttp(server.ws, quick);
  t.after(() => client.close());
  const inbox = client[Symbol.asyncIterator]();
  await client.subscribe('news');
  await client.publish('news', 'before');
  assert.equal((await next(inbox)).text, 'before');
  const before = client.position('news');
  const errors = [];
  client.on_error = ({ error }) => errors.push(error);

  const closed = nextCall(client, 'on_close');
  await server.kill();
  await closed;
  const reopened = nextCall(client, 'on_open');
  server = await startServer({ listen: server.addr, args: history });
  await reopened;
  // Attempts while the server was down are Connect errors (how many depends on how fast it restarts).
  const reported = errors.filter((e) => e.code !== 'Connect');
  assert.deepEqual(reported.map((e) => [e.code, e.channel]), [['Unrecovered', 'news']]);
  const after = client.position('news');
  assert.notEqual(after.epoch, before.epoch);
  assert.equal(after.offset, 0);

  await client.publish('news', 'after');
  const msg = await next(inbox);
  assert.deepEqual([msg.text, msg.header('offset')], ['after', '1']);
});

/**
 * A client whose reconnects are held back while `gate.open` is false (they go to a port
 * nobody listens on), so what is published meanwhile is missed for sure; `away()` drops
 * its socket from the client side and resolves once it is closed.
 */
function gated(url, options = {}) {
  const gate = { open: true };
  const Real = globalThis.WebSocket;
  class Gated extends Real {
    constructor(target, protocols) {
      super(gate.open ? target : 'ws://127.0.0.1:1/', protocols);
    }
  }
  const client = new Lhttp(url, { ...quick, ...options, WebSocket: Gated });
  gate.away = async () => {
    gate.open = false;
    const closed = nextCall(client, 'on_close');
    client.conn.close();
    await closed;
  };
  return { client, gate };
}

test('after a reconnect, on_recovered names each channel with history, after the messages it missed', async (t) => {
  const server = await startServer({ args: ['--history-size', '50', '--history-ttl', '60'] });
  t.after(() => server.kill());
  const { client, gate } = gated(server.ws);
  const publisher = new Lhttp(server.ws);
  t.after(() => (client.close(), publisher.close()));
  const seen = [];
  client.on_message = ({ message }) => seen.push(message.text);
  client.on_recovered = ({ channel }) => seen.push(`recovered ${channel}`);
  client.on_unrecovered = ({ channel }) => seen.push(`unrecovered ${channel}`);
  await client.subscribe('news', 'sport');
  await publisher.publish('news', 'before');

  await gate.away();
  for (const n of [1, 2, 3]) await publisher.publish('news', `missed ${n}`);
  const reopened = nextCall(client, 'on_open');
  gate.open = true;
  await reopened;
  assert.deepEqual(seen, ['before', 'missed 1', 'missed 2', 'missed 3', 'recovered news', 'recovered sport']);
  assert.deepEqual(client.position('news').offset, 4);
});

test('a history trimmed while away: on_unrecovered names the channel and on_error gets Unrecovered', async (t) => {
  const server = await startServer({ args: ['--history-size', '2', '--history-ttl', '60'] });
  t.after(() => server.kill());
  const { client, gate } = gated(server.ws);
  const publisher = new Lhttp(server.ws);
  t.after(() => (client.close(), publisher.close()));
  const seen = [];
  client.on_message = ({ message }) => seen.push(message.text);
  client.on_recovered = ({ channel }) => seen.push(`recovered ${channel}`);
  client.on_unrecovered = ({ channel }) => seen.push(`unrecovered ${channel}`);
  client.on_error = ({ error }) => seen.push(`${error.code} ${error.channel}`);
  await client.subscribe('news');
  const received = nextCall(client, 'on_message');
  await publisher.publish('news', 'before');
  seen.push((await received).message.text); // the position is 1 before it goes away

  await gate.away();
  for (const n of [1, 2, 3, 4]) await publisher.publish('news', `missed ${n}`); // 2 kept: 1 and 2 are gone
  const reopened = nextCall(client, 'on_open');
  gate.open = true;
  await reopened;
  assert.deepEqual(
    seen.filter((s) => !s.startsWith('Connect')),
    ['before', 'Unrecovered news', 'unrecovered news'],
  );
  assert.equal(client.position('news').offset, 5, 'it goes on from the stream position');
  const live = new Promise((resolve) => (client.on_message = ({ message }) => resolve(message.text)));
  await publisher.publish('news', 'live');
  assert.equal(await live, 'live', 'none of the old ones, then the live one');
});
