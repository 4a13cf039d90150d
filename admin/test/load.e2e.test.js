// The dashboard under load, for a person to look at: 200 connections on 20 channels and a
// publisher at about 300 messages a second (bounded: at most 40 s); the page must show the
// connections and a rate of over 100 messages in per second, then screenshots are saved to
// the artifacts directory ($LHTTP_ARTIFACTS or artifacts/admin/).
import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TOKEN, artifacts, launchBrowser, openDashboard, shows, startServer, wsClient } from './helpers.js';

const CONNECTIONS = 200;
const CHANNELS = 20;

test('under load (200 connections, ~300 msgs/s) the dashboard shows the rates and charts them', async (t) => {
  const server = await startServer({ args: ['--admin-token', TOKEN, '--client-identity'] });
  t.after(() => server.kill());
  const clients = [];
  t.after(() => clients.forEach((c) => c.close()));
  for (let i = 0; i < CONNECTIONS; i++) {
    const c = await wsClient(server, { uid: `user-${i % 150}` });
    clients.push(c);
    await c.subscribe(`load:${i % CHANNELS}`);
  }
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await openDashboard(browser, server, { viewport: { width: 1280, height: 1000 } });
  await shows(page, 't-connections', String(CONNECTIONS));
  await shows(page, 't-uids', '150');
  await shows(page, 't-channels', String(CHANNELS));

  const publisher = clients[0];
  let sent = 0;
  const until = Date.now() + 40_000;
  const timer = setInterval(() => {
    for (let k = 0; k < 3 && Date.now() < until; k++) {
      publisher.send(`LHTTP/1.0 chat\r\npublish:load:${sent % CHANNELS}\r\n\r\nload message ${sent}`);
      sent++;
    }
  }, 10);
  t.after(() => clearInterval(timer));
  // The page computes the rate from the stream's counters: wait for it to pass 100/s.
  await page.waitForFunction(() => Number(document.getElementById('t-in').textContent.replace(/,/g, '')) > 100, null, { timeout: 15_000 });
  assert.equal(await page.locator('#chart-rates .u-over').count(), 1, 'the rates chart is drawn');
  // Fifteen seconds of points on the chart (one a second, from the stream: waited for, not slept).
  await page.waitForFunction(() => Number(document.getElementById('chart-rates').dataset.points) >= 15, null, { timeout: 30_000 });
  await page.waitForFunction(() => Number(document.getElementById('t-out').textContent.replace(/,/g, '')) > 1000, null, { timeout: 15_000 });
  await page.screenshot({ path: join(artifacts, 'dashboard-load.png') });
  await page.screenshot({ path: join(artifacts, 'dashboard-load-full.png'), fullPage: true });
  clearInterval(timer);
  assert.ok(sent > 300, `published ${sent}`);
  assert.deepEqual(page.errors, []);
});
