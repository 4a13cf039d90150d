// The SDK as a browser runs it, in headless Chromium against the real lhttpd (which
// serves the page and js-sdk): what the client session promises, end to end. 150
// subscriptions come back after lhttpd restarts; a channel name with a space is
// refused with nothing subscribed; a page of another origin refused by lhttpd sees a Connect error, not a Timeout.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startServer } from './helpers/server.js';
import { wasmBytes } from './helpers/wasm.js';
import { init, Lhttp } from '../index.js';

await init(wasmBytes);
const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const site = mkdtempSync(join(tmpdir(), 'lhttp-page-'));
writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>lhttp</title>');
const serve = ['--static', site, '--mount', `/js-sdk=${join(root, 'js-sdk')}`];

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
test.after(() => browser.close());

/** A new page of `server`, its uncaught errors collected, `window.lhttp` the SDK. */
async function openPage(server) {
  const page = await browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(`${server.http}/`);
  await page.evaluate(async () => (window.lhttp = await import('/js-sdk/index.js')));
  return page;
}

/** A Node client of `server`, closed after the test. */
function nodeClient(t, server) {
  const client = new Lhttp(server.ws);
  t.after(() => client.close());
  return client;
}

test('150 subscriptions come back after lhttpd restarts on the same port, and a publish on each arrives', async (t) => {
  let server = await startServer({ args: serve });
  t.after(() => server.kill());
  const page = await openPage(server);
  const channels = Array.from({ length: 150 }, (_, i) => `ch-${i}`);
  await page.evaluate(async (channels) => {
    const client = new window.lhttp.Lhttp(`ws://${location.host}/`, { initialBackoffMs: 50, maxBackoffMs: 500 });
    window.client = client;
    window.opens = 0;
    window.got = new Set();
    client.on_open = () => window.opens++;
    client.on_message = (context) => window.got.add(context.getBody());
    await client.subscribe(channels);
  }, channels);
  assert.equal(await page.evaluate(() => window.client.channels.length), 150);

  await server.kill();
  server = await startServer({ listen: server.addr, args: serve });
  await page.waitForFunction(() => window.opens >= 2 && window.client.isOpen, null, { timeout: 20_000 });
  assert.deepEqual((await page.evaluate(() => window.client.channels)).sort(), [...channels].sort());

  const publisher = nodeClient(t, server);
  const acks = await Promise.all(channels.map((c) => publisher.publish(c, c)));
  assert.deepEqual(acks.map((a) => a.deliveries), channels.map(() => 1), 'every channel was restored on the server');
  await page.waitForFunction(() => window.got.size === 150, null, { timeout: 10_000 });
  assert.deepEqual([...(await page.evaluate(() => [...window.got]))].sort(), [...channels].sort());
  await page.evaluate(() => window.client.close());
  assert.deepEqual(page.errors, []);
});

test('a channel name with a space is refused with Channel and nothing is subscribed', async (t) => {
  const server = await startServer({ args: serve });
  t.after(() => server.kill());
  const page = await openPage(server);
  const outcome = await page.evaluate(async () => {
    const client = new window.lhttp.Lhttp(`ws://${location.host}/`);
    const code = await client.subscribe('fine', 'bad name').then(() => 'subscribed', (e) => e.code);
    const channels = client.channels;
    await client.whenOpen();
    await client.request({ command: 'sync' }); // after this ack, anything sent before took effect
    window.client = client;
    return { code, channels };
  });
  assert.deepEqual(outcome, { code: 'Channel', channels: [] });
  const publisher = nodeClient(t, server);
  for (const channel of ['fine', 'bad', 'name']) {
    assert.equal((await publisher.publish(channel, 'x')).deliveries, 0, `nobody on ${channel}`);
  }
  await page.evaluate(() => window.client.close());
  assert.deepEqual(page.errors, []);
});

test('a page of another origin that lhttpd refuses gets a Connect error at once, and its request no Timeout', async (t) => {
  const pages = await startServer({ args: serve });
  t.after(() => pages.kill());
  const refusing = await startServer();
  t.after(() => refusing.kill());
  const allowing = await startServer({ args: ['--allowed-origin', pages.http] });
  t.after(() => allowing.kill());
  const page = await openPage(pages);
  const run = (url) =>
    page.evaluate(async (url) => {
      const client = new window.lhttp.Lhttp(url, { requestTimeoutMs: 3000 });
      const errors = [];
      const started = performance.now();
      client.on_error = ({ error }) => errors.push({ code: error.code, detail: error.detail, at: performance.now() - started });
      const outcome = await client.subscribe('room').then(() => 'subscribed', (e) => e.code);
      client.close();
      return { outcome, errors };
    }, url);

  const refused = await run(refusing.ws);
  assert.equal(refused.outcome, 'Connect', 'the waiting request fails with why');
  assert.ok(refused.errors.length >= 1, 'on_error was told');
  assert.ok(refused.errors.every((e) => e.code === 'Connect'), JSON.stringify(refused.errors));
  assert.match(refused.errors[0].detail, /hides the HTTP status/);
  assert.ok(refused.errors[0].at < 2000, `reported at once, not after a timeout (${refused.errors[0].at} ms)`);
  // The same page is let in by a server that lists its origin.
  assert.deepEqual(await run(allowing.ws), { outcome: 'subscribed', errors: [] });
  assert.deepEqual(page.errors, []);
});
