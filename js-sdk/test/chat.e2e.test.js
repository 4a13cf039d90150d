// The chat demo end to end: the real lhttpd serves examples/chat and js-sdk, two
// headless Chromium pages join under two names, each shows both online, one sends and
// the other shows the message; a third page joining later shows what they said (the
// server keeps history, as scripts/chat starts it), and when it closes the others show it
// left. Then the server is killed, a fourth page closes while it is down, and lhttpd
// restarts on the same port: the pages reconnect (their subscriptions restored by the
// SDK), show who is really online, and the chat works again.
// Screenshots go to artifacts/ (gitignored).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startServer } from './helpers/server.js';

const artifacts = join(root, 'artifacts');
const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// As scripts/chat runs it (history and presence for the default namespace, the demo room's; the
// name a page joins with is its uid), with no presence grace: a page that closes leaves at once.
const serveDemo = [
  ...['--static', join(root, 'examples/chat'), '--mount', `/js-sdk=${join(root, 'js-sdk')}`, '--history-size', '50', '--history-ttl', '3600'],
  ...['--presence', '--join-leave', '--client-identity', '--presence-grace', '0'],
];

/** Opens the demo in a new page and records its uncaught errors. */
async function openChat(browser, url) {
  const page = await browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(url);
  return page;
}

const status = (page, text) => page.locator('#status', { hasText: new RegExp(`^${text}$`) }).waitFor();

/** Joins as `name`: the page connects with it as its uid. */
async function joinChat(page, name) {
  await page.fill('#name', name);
  await page.click('#join button');
  await page.locator('#say').waitFor(); // shown once the server acknowledged the subscribe
  await status(page, 'connected');
}

/** Waits until the page lists exactly `names` as online. */
const online = (page, names) => page.locator('#online', { hasText: new RegExp(`^online: ${names.join(', ')}$`) }).waitFor();

async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

const shows = (page, line) => page.locator('#log p', { hasText: line }).waitFor();

test('two pages chat through lhttpd and show who is online; one joining later shows what they said; all chat again after a restart', async (t) => {
  mkdirSync(artifacts, { recursive: true });
  let server = await startServer({ args: serveDemo });
  t.after(() => server.kill());
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  t.after(() => browser.close());

  const url = `${server.http}/`;
  const alice = await openChat(browser, url);
  const bob = await openChat(browser, url);
  await status(alice, 'not joined');
  await joinChat(alice, 'alice');
  await online(alice, ['alice']);
  await joinChat(bob, 'bob');
  await online(bob, ['alice', 'bob']); // from its presence() query
  await online(alice, ['alice', 'bob']); // from bob's join

  await say(alice, 'hello at 5:30:48');
  await shows(bob, 'alice: hello at 5:30:48');
  await shows(alice, 'alice: hello at 5:30:48');
  await bob.screenshot({ path: join(artifacts, 'chat.png') });
  await say(bob, 'hi alice');
  await shows(alice, 'bob: hi alice');

  // Opened after the messages were sent: joining shows them, from the room's history.
  const carol = await openChat(browser, url);
  await joinChat(carol, 'carol');
  await shows(carol, 'bob: hi alice');
  assert.deepEqual(await carol.locator('#log p').allTextContents(), ['alice: hello at 5:30:48', 'bob: hi alice']);
  for (const page of [alice, bob, carol]) await online(page, ['alice', 'bob', 'carol']);
  await say(carol, 'hello both');
  await shows(alice, 'carol: hello both');
  await shows(bob, 'carol: hello both');
  await carol.screenshot({ path: join(artifacts, 'chat-joined-later.png') });
  assert.deepEqual(carol.errors, []);
  // Its page closes: the others show it left.
  await carol.close();
  await online(alice, ['alice', 'bob']);
  await online(bob, ['alice', 'bob']);

  // dave is online when the server goes down, and gone (his page closed) when it comes back.
  const dave = await openChat(browser, url);
  await joinChat(dave, 'dave');
  for (const page of [alice, bob, dave]) await online(page, ['alice', 'bob', 'dave']);
  await server.kill();
  await status(alice, 'reconnecting…');
  await status(bob, 'reconnecting…');
  await status(dave, 'reconnecting…');
  assert.deepEqual(dave.errors, []);
  await dave.close();
  server = await startServer({ listen: server.addr, args: serveDemo });
  await status(alice, 'connected');
  await status(bob, 'connected');
  // No leave for dave can come (the new server never saw him): each page asked again on reconnecting.
  await online(alice, ['alice', 'bob']);
  await online(bob, ['alice', 'bob']);

  await say(bob, 'back again');
  await shows(alice, 'bob: back again');
  await alice.screenshot({ path: join(artifacts, 'chat-reconnected.png') });

  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);
  const said = ['alice: hello at 5:30:48', 'bob: hi alice', 'carol: hello both', 'bob: back again'];
  assert.deepEqual(await alice.locator('#log p').allTextContents(), said);
  assert.deepEqual(await bob.locator('#log p').allTextContents(), said);
});
