// The chat demo end to end: the real lhttpd serves examples/chat and js-sdk, two
// headless Chromium pages join, one sends and the other shows the message; then
// the server is killed and restarted on the same port, both pages reconnect (with
// their subscriptions restored by the SDK) and the chat works again. The server keeps
// history, as scripts/chat starts it: a page that joins later shows the room's last messages.
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
// As scripts/chat runs it (history for the default namespace, the demo room's).
const serveDemo = ['--static', join(root, 'examples/chat'), '--mount', `/js-sdk=${join(root, 'js-sdk')}`, '--history-size', '50', '--history-ttl', '3600'];

/** Opens the demo in a new page and records its uncaught errors. */
async function openChat(browser, url) {
  const page = await browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(url);
  return page;
}

const status = (page, text) => page.locator('#status', { hasText: new RegExp(`^${text}$`) }).waitFor();

async function joinChat(page, name) {
  await page.fill('#name', name);
  await page.click('#join button');
  await page.locator('#say').waitFor(); // shown once the server acknowledged the subscribe
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

const shows = (page, line) => page.locator('#log p', { hasText: line }).waitFor();

test('two pages chat through lhttpd, a third one joining later shows what they said, and all chat again after the server restarts', async (t) => {
  mkdirSync(artifacts, { recursive: true });
  let server = await startServer({ args: serveDemo });
  t.after(() => server.kill());
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  t.after(() => browser.close());

  const url = `${server.http}/`;
  const alice = await openChat(browser, url);
  const bob = await openChat(browser, url);
  await status(alice, 'connected');
  await status(bob, 'connected');
  await joinChat(alice, 'alice');
  await joinChat(bob, 'bob');

  await say(alice, 'hello at 5:30:48');
  await shows(bob, 'alice: hello at 5:30:48');
  await shows(alice, 'alice: hello at 5:30:48');
  await bob.screenshot({ path: join(artifacts, 'chat.png') });
  await say(bob, 'hi alice');
  await shows(alice, 'bob: hi alice');

  // Opened after the messages were sent: joining shows them, from the room's history.
  const carol = await openChat(browser, url);
  await status(carol, 'connected');
  await joinChat(carol, 'carol');
  await shows(carol, 'bob: hi alice');
  assert.deepEqual(await carol.locator('#log p').allTextContents(), ['alice: hello at 5:30:48', 'bob: hi alice']);
  await say(carol, 'hello both');
  await shows(alice, 'carol: hello both');
  await shows(bob, 'carol: hello both');
  await carol.screenshot({ path: join(artifacts, 'chat-joined-later.png') });

  await server.kill();
  await status(alice, 'reconnecting…');
  await status(bob, 'reconnecting…');
  await status(carol, 'reconnecting…');
  server = await startServer({ listen: server.addr, args: serveDemo });
  await status(alice, 'connected');
  await status(bob, 'connected');
  await status(carol, 'connected');

  await say(bob, 'back again');
  await shows(alice, 'bob: back again');
  await shows(carol, 'bob: back again');
  await alice.screenshot({ path: join(artifacts, 'chat-reconnected.png') });

  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);
  assert.deepEqual(carol.errors, []);
  const said = ['alice: hello at 5:30:48', 'bob: hi alice', 'carol: hello both', 'bob: back again'];
  assert.deepEqual(await alice.locator('#log p').allTextContents(), said);
  assert.deepEqual(await carol.locator('#log p').allTextContents(), said);
});
