// The dashboard against a real lhttpd in headless Chromium: after logging in, its figures
// follow clients as they connect and subscribe (from the overview stream, no reload); a
// publish from the page reaches the Rust CLI `lhttp sub`; a client looked up by id is
// disconnected and by uid every connection of it; an unsubscribe from the page takes effect;
// an error reply shows by name; the channel view shows presence and history.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { TOKEN, artifacts, launchBrowser, lhttpBin, openDashboard, shows, startServer, wsClient } from './helpers.js';

const args = ['--admin-token', TOKEN, '--client-identity', '--presence', '--history-size', '20', '--history-ttl', '600'];

test('the dashboard follows clients live, publishes to them, disconnects and unsubscribes them', async (t) => {
  const server = await startServer({ args });
  t.after(() => server.kill());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await openDashboard(browser, server);
  await shows(page, 't-connections', '0');
  await shows(page, 't-nodes', '1');

  // Counts change as clients come: from the stream, the page is never reloaded.
  const ann = await wsClient(server, { uid: 'ann' });
  const ann2 = await wsClient(server, { uid: 'ann' });
  const bob = await wsClient(server, { uid: 'bob' });
  t.after(() => [ann, ann2, bob].forEach((c) => c.close()));
  await shows(page, 't-connections', '3');
  await shows(page, 't-uids', '2');
  await ann.subscribe('room', 'news');
  await bob.subscribe('room');
  await shows(page, 't-channels', '2');
  await shows(page, 't-subscriptions', '3');
  // The per-node table has the same figures.
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#nodes tbody tr:first-child td')].map((td) => td.textContent);
    return cells.slice(1, 5).join(' ') === '3 2 2 3'; // connections, uids, channels, subscriptions
  });

  // An error reply (a reserved command) shows by name.
  bob.send('LHTTP/1.0 ack\r\n\r\n');
  await page.locator('#errors tbody tr', { hasText: /^ReservedCommand\s*1$/ }).waitFor();

  // The channel list and its search; a channel's presence and history.
  await page.locator('#channels tbody tr', { hasText: /^room\s*2$/ }).waitFor();
  await page.fill('#search', 'ne');
  await page.locator('#channels-total', { hasText: /^1 matching$/ }).waitFor();
  await page.locator('#channels tbody tr', { hasText: /^news\s*1$/ }).waitFor();
  await page.fill('#search', '');
  await page.locator('#channels-total', { hasText: /^2 matching$/ }).waitFor();

  // A publish from the page reaches the Rust CLI subscribed to the channel.
  assert.ok(existsSync(lhttpBin), `${lhttpBin} missing: cargo build -p lhttp-client --features cli`);
  const sub = spawn(lhttpBin, ['sub', server.ws, 'room', '--body-only', '--count', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(sub, 'exit'); // taken now: it may exit before the page shows the result
  t.after(() => sub.exitCode === null && sub.kill());
  let out = '';
  sub.stdout.on('data', (d) => (out += d));
  await shows(page, 't-subscriptions', '4'); // the CLI has subscribed
  await page.fill('#publish-channel', 'room');
  await page.fill('#publish-body', 'hello from the dashboard');
  await page.click('#publish button');
  await shows(page, 'publish-result', /^delivered to 3 at /);
  const [code] = await exited;
  assert.equal(code, 0);
  assert.equal(out.trim(), 'hello from the dashboard');
  await bob.next((m) => m.includes('hello from the dashboard'));

  await page.locator('#channels a', { hasText: /^room$/ }).click();
  await page.locator('#channel-presence h3', { hasText: 'Presence: 2 connections, 2 users' }).waitFor();
  await page.locator('#channel-history li', { hasText: 'chat hello from the dashboard' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

  // Unsubscribe bob from room: its subscription goes.
  await page.selectOption('#lookup-kind', 'id');
  await page.fill('#lookup-value', bob.id);
  await page.click('#lookup button');
  await page.locator(`#clients .client h3`, { hasText: `${bob.id} on ` }).waitFor();
  await page.click('#clients button[data-channel="room"]');
  await shows(page, 't-subscriptions', '2');
  await page.locator('#clients .client', { hasText: bob.id }).waitFor();
  assert.equal(await page.locator('#clients button[data-channel="room"]').count(), 0);

  // Disconnect bob by id: bob sees the close.
  await page.click(`#clients button[data-client="${bob.id}"]`);
  const close = await bob.closed;
  assert.equal(close.code, 1000);
  await shows(page, 't-connections', '2');

  // Every connection of uid ann at once.
  await page.selectOption('#lookup-kind', 'uid');
  await page.fill('#lookup-value', 'ann');
  await page.click('#lookup button');
  await page.locator('#clients .client').nth(1).waitFor();
  await page.click('#disconnect-uid');
  assert.equal((await ann.closed).code, 1000);
  assert.equal((await ann2.closed).code, 1000);
  await shows(page, 't-connections', '0');
  await shows(page, 't-uids', '0');
  assert.deepEqual(page.errors, []);
});
