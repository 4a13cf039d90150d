// Presence (spec section 15) in the browser SDK: first the wasm glue alone (the session's
// readers of a presence answer and of join/leave, as plain objects), then in headless
// Chromium against the real lhttpd: `presence()` and `presenceStats()` answers, join,
// publication and leave in the order they happened, a reconnect within the grace that
// nobody sees, a capped list, and `NoPresence` from a server that keeps none.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startServer } from './helpers/server.js';
import { parse, readPresence, readPresenceStats } from './helpers/wasm.js';
import { Context, LhttpError } from '../index.js';

const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const site = mkdtempSync(join(tmpdir(), 'lhttp-page-'));
writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>lhttp</title>');
const serve = ['--static', site, '--mount', `/js-sdk=${join(root, 'js-sdk')}`];
// The default namespace with members and events, self-declared uids, leaves at once.
const presence = [...serve, '--presence', '--join-leave', '--client-identity', '--presence-grace', '0'];

const reply = (head, body = '') => parse(`LHTTP/1.0 ack\r\nid:3\r\n${head}\r\n${body}`);

test('readPresence and readPresenceStats: the session reads the ack into plain objects', () => {
  const members = '[{"client":"n-1","uid":"ann","info":{"name":"Ann"}},{"client":"n-2","uid":"","info":{}}]';
  assert.deepEqual(readPresence(reply('connections:3\r\nusers:1\r\ncapped:true\r\n', members)), {
    members: [
      { client: 'n-1', uid: 'ann', info: { name: 'Ann' } },
      { client: 'n-2', uid: '', info: {} },
    ],
    stats: { connections: 3, users: 1 },
    capped: true,
  });
  assert.deepEqual(readPresence(reply('connections:0\r\nusers:0\r\n')), { members: [], stats: { connections: 0, users: 0 }, capped: false });
  assert.deepEqual(readPresenceStats(reply('connections:7\r\nusers:2\r\n')), { connections: 7, users: 2 });
  assert.throws(() => readPresenceStats(reply('')), { code: 'Internal' });
  assert.throws(() => readPresence(reply('connections:1\r\nusers:1\r\n', '{oops')), { code: 'Internal' });
});

test('presenceEvent(): a join or leave as an object, null for anything else, Internal for a malformed one', () => {
  const joined = parse('LHTTP/1.0 join\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\n\r\n{"name":"Ann","__proto__":"x"}');
  const event = joined.presenceEvent();
  assert.deepEqual(event, { kind: 'join', channel: 'room', client: 'n-1', uid: 'ann', info: { name: 'Ann', ['__proto__']: 'x' } });
  assert.equal(Object.getPrototypeOf(event.info), Object.prototype, 'an info key is a key, never the prototype');
  assert.ok(Object.hasOwn(event.info, '__proto__'));
  const left = parse('LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-2\r\nreason:disconnect\r\n\r\n');
  assert.deepEqual(left.presenceEvent(), { kind: 'leave', channel: 'room', client: 'n-2', uid: '', info: {}, reason: 'disconnect' });
  assert.equal(parse('LHTTP/1.0 chat\r\nchannel:room\r\n\r\nhi').presenceEvent(), null);
  const broken = parse('LHTTP/1.0 join\r\nchannel:room\r\n\r\n');
  assert.throws(() => broken.presenceEvent(), { code: 'Internal' });

  // The Context of on_message: the same, and its error an LhttpError.
  const transport = { send() {} };
  assert.deepEqual(new Context(transport, left).presenceEvent(), left.presenceEvent());
  assert.equal(new Context(transport, parse('LHTTP/1.0 chat\r\n\r\nhi')).presenceEvent(), null);
  assert.equal(new Context(transport, null).presenceEvent(), null);
  assert.throws(() => new Context(transport, broken).presenceEvent(), (e) => e instanceof LhttpError && e.code === 'Internal');
});

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
test.after(() => browser.close());

/** A new page of `server`, its uncaught errors collected, `window.lhttp` the SDK and `window.connect(query)` a client. */
async function openPage(t, server) {
  const page = await browser.newPage();
  t.after(() => page.close());
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(`${server.http}/`);
  await page.evaluate(async () => {
    window.lhttp = await import('/js-sdk/index.js');
    /** A client of this page's server, `?query` on its URL; every one is closed by `closeAll()`. */
    window.clients = [];
    window.connect = (query = '', options = {}) => {
      const client = new window.lhttp.Lhttp(`ws://${location.host}/${query}`, { initialBackoffMs: 20, maxBackoffMs: 200, ...options });
      window.clients.push(client);
      return client;
    };
    window.closeAll = () => window.clients.forEach((c) => c.close());
    /** Records in `window[name]` what `client`'s on_message gets: presence events as read, publications as `{ text }`. */
    window.record = (client, name) => {
      window[name] = [];
      client.on_message = (c) => window[name].push(c.presenceEvent() ?? { text: c.getBody() });
    };
  });
  t.after(() => page.evaluate(() => window.closeAll()).catch(() => {}));
  return page;
}

test('presence() lists the members with their uid and info, presenceStats() counts them', async (t) => {
  const server = await startServer({ args: presence });
  t.after(() => server.kill());
  const page = await openPage(t, server);
  const answers = await page.evaluate(async () => {
    const ann = window.connect(`?uid=ann&info=${encodeURIComponent('{"name":"Ann","team":"red"}')}`);
    const bob = window.connect('?uid=bob');
    const anon = window.connect();
    const annAgain = window.connect('?uid=ann'); // a second tab of the same user
    await Promise.all([ann, bob, anon, annAgain].map((c) => c.subscribe('room')));
    const asker = window.connect(); // not subscribed: the default namespace lets anyone ask
    const ids = { ann: ann.clientId, bob: bob.clientId, anon: anon.clientId, annAgain: annAgain.clientId };
    return { ids, who: await asker.presence('room'), stats: await asker.presenceStats('room'), empty: await asker.presence('nobody-here') };
  });
  const { ids, who, stats, empty } = answers;
  const expected = [
    { client: ids.ann, uid: 'ann', info: { name: 'Ann', team: 'red' } },
    { client: ids.bob, uid: 'bob', info: {} },
    { client: ids.anon, uid: '', info: {} },
    { client: ids.annAgain, uid: 'ann', info: {} },
  ].sort((a, b) => (a.client < b.client ? -1 : 1));
  assert.deepEqual(who, { members: expected, stats: { connections: 4, users: 2 }, capped: false });
  assert.deepEqual(stats, { connections: 4, users: 2 });
  assert.deepEqual(empty, { members: [], stats: { connections: 0, users: 0 }, capped: false });
  assert.deepEqual(page.errors, []);
});

test('join, publication and leave reach a subscriber in the order they happened, each read with presenceEvent()', async (t) => {
  const server = await startServer({ args: presence });
  t.after(() => server.kill());
  const page = await openPage(t, server);
  const ids = await page.evaluate(async () => {
    const ann = window.connect(`?uid=ann&info=${encodeURIComponent('{"name":"Ann"}')}`);
    window.record(ann, 'seen');
    await ann.subscribe('room');
    const bob = window.connect('?uid=bob');
    await bob.subscribe('room');
    await bob.publish('room', 'hi from bob');
    await bob.unsubscribe('room');
    const anon = window.connect();
    await anon.subscribe('room');
    await anon.publish('room', 'bye from anon');
    const anonId = anon.clientId;
    anon.close(); // with no uid it leaves at once (and so would any, with grace 0)
    return { ann: ann.clientId, bob: bob.clientId, anon: anonId };
  });
  await page.waitForFunction(() => window.seen.length >= 7);
  const seen = await page.evaluate(() => window.seen);
  assert.deepEqual(seen, [
    { kind: 'join', channel: 'room', client: ids.ann, uid: 'ann', info: { name: 'Ann' } },
    { kind: 'join', channel: 'room', client: ids.bob, uid: 'bob', info: {} },
    { text: 'hi from bob' },
    { kind: 'leave', channel: 'room', client: ids.bob, uid: 'bob', info: {}, reason: 'unsubscribe' },
    { kind: 'join', channel: 'room', client: ids.anon, uid: '', info: {} },
    { text: 'bye from anon' },
    { kind: 'leave', channel: 'room', client: ids.anon, uid: '', info: {}, reason: 'disconnect' },
  ]);
  // The iterator gets the same messages: presenceEvent() is the Message's own.
  const iterated = await page.evaluate(async () => {
    const cat = window.connect('?uid=cat');
    const inbox = cat[Symbol.asyncIterator]();
    await cat.subscribe('room');
    const { value } = await inbox.next();
    return value.presenceEvent()?.uid;
  });
  assert.equal(iterated, 'cat');
  assert.deepEqual(await page.evaluate(async () => (await window.clients[0].presenceStats('room'))), { connections: 2, users: 2 });
  assert.deepEqual(page.errors, []);
});

test("a reconnect within the grace is no leave and no join: the member's new connection takes its place", async (t) => {
  const server = await startServer({ args: [...serve, '--presence', '--join-leave', '--client-identity', '--presence-grace', '5'] });
  t.after(() => server.kill());
  const page = await openPage(t, server);
  const before = await page.evaluate(async () => {
    const ann = window.connect('?uid=ann');
    window.record(ann, 'seen');
    await ann.subscribe('room');
    const bob = window.connect('?uid=bob');
    await bob.subscribe('room');
    const first = bob.clientId;
    // bob's socket drops (not a close): the SDK reconnects and subscribes again.
    const reopened = new Promise((resolve) => (bob.on_open = resolve));
    bob.conn.close();
    await reopened;
    await bob.publish('room', 'back');
    return { first, second: bob.clientId, ann: ann.clientId, members: (await ann.presence('room')).members.map((m) => [m.client, m.uid]) };
  });
  assert.notEqual(before.first, before.second, 'a new connection');
  assert.deepEqual(before.members.sort(), [[before.ann, 'ann'], [before.second, 'bob']].sort());
  await page.waitForFunction(() => window.seen.some((m) => m.text === 'back'));
  assert.deepEqual(
    (await page.evaluate(() => window.seen)).map((m) => m.text ?? `${m.kind} ${m.uid}`),
    ['join ann', 'join bob', 'back'],
    'no leave or join for the reconnect',
  );
  // Closed for good, it leaves once the grace is over, under its new client id.
  await page.evaluate(() => window.clients[1].close());
  await page.waitForFunction(() => window.seen.length >= 4, null, { timeout: 30_000 });
  const leave = (await page.evaluate(() => window.seen))[3];
  assert.deepEqual(leave, { kind: 'leave', channel: 'room', client: before.second, uid: 'bob', info: {}, reason: 'disconnect' });
  assert.deepEqual(page.errors, []);
});

test('a list past --presence-max-members is capped, its counts whole; presence without --join-leave sends no events', async (t) => {
  const server = await startServer({ args: [...serve, '--presence', '--client-identity', '--presence-max-members', '1'] });
  t.after(() => server.kill());
  const page = await openPage(t, server);
  const out = await page.evaluate(async () => {
    const ann = window.connect('?uid=ann');
    window.record(ann, 'seen');
    const bob = window.connect('?uid=bob');
    await ann.subscribe('room');
    await bob.subscribe('room');
    await bob.publish('room', 'hi');
    const who = await ann.presence('room');
    return { who, ids: [ann.clientId, bob.clientId] };
  });
  assert.deepEqual([out.who.stats.connections, out.who.stats.users, out.who.capped], [2, 2, true]);
  assert.equal(out.who.members.length, 1);
  assert.ok(out.ids.includes(out.who.members[0].client), JSON.stringify(out));
  await page.waitForFunction(() => window.seen.length >= 1);
  assert.deepEqual(await page.evaluate(() => window.seen), [{ text: 'hi' }], 'the publication alone: no join before it');
  assert.deepEqual(page.errors, []);
});

test('a server without presence answers NoPresence; a bad channel name is Channel, before anything is sent', async (t) => {
  const server = await startServer({ args: serve });
  t.after(() => server.kill());
  const page = await openPage(t, server);
  const codes = await page.evaluate(async () => {
    const client = window.connect('?uid=ann'); // without --client-identity the uid is ignored
    await client.subscribe('room');
    const code = (p) => p.then(() => 'resolved', (e) => `${e.name} ${e.code}`);
    return [await code(client.presence('room')), await code(client.presenceStats('room')), await code(client.presence('a b'))];
  });
  assert.deepEqual(codes, ['LhttpError NoPresence', 'LhttpError NoPresence', 'LhttpError Channel']);
  assert.deepEqual(page.errors, []);
});

test('in a channel with history, join and leave carry no offset and are not kept (15.3)', async (t) => {
  const server = await startServer({ args: [...presence, '--history-size', '50', '--history-ttl', '60'] });
  t.after(() => server.kill());
  const page = await openPage(t, server);
  const out = await page.evaluate(async () => {
    const ann = window.connect('?uid=ann');
    window.raw = [];
    ann.on_message = (c) => window.raw.push([c.getCommand(), c.getHeader('offset') ?? null]);
    await ann.subscribe('room');
    const bob = window.connect('?uid=bob');
    await bob.subscribe('room');
    const { deliveries } = await bob.publish('room', 'hi');
    await bob.unsubscribe('room');
    await ann.request({ command: 'sync' }); // after its ack, everything before it has arrived
    const { publications } = await ann.history('room');
    return { deliveries, history: publications.map((m) => [m.command, m.header('offset')]), position: ann.position('room') };
  });
  assert.equal(out.deliveries, 2, 'the publication went to ann and bob');
  assert.deepEqual(out.history, [['chat', '1']], 'only the publication is kept');
  assert.equal(out.position.offset, 1);
  assert.deepEqual(await page.evaluate(() => window.raw), [['join', null], ['join', null], ['chat', '1'], ['leave', null]]);
  assert.deepEqual(page.errors, []);
});
