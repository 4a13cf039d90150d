// One binary: lhttpd copied outside the repository, run from there, serves the whole
// dashboard (page, modules and the uPlot charts) from what it carries.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN, launchBrowser, lhttpdBin, openDashboard, shows, startServer } from './helpers.js';

test('a copy of lhttpd outside the repository serves the dashboard with its charts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lhttpd-copy-'));
  const bin = join(dir, 'lhttpd');
  copyFileSync(lhttpdBin, bin);
  const { chmodSync } = await import('node:fs');
  chmodSync(bin, 0o755);
  const server = await startServer({ bin, cwd: dir, args: ['--admin-token', TOKEN] });
  t.after(() => server.kill());
  const uplot = await fetch(`${server.http}/admin/vendor/uPlot.esm.js`);
  assert.equal(uplot.status, 200, 'uPlot is built in: scripts/build-admin.sh ran before cargo build');
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await openDashboard(browser, server);
  await shows(page, 't-nodes', '1');
  await page.locator('#chart-rates .uplot').waitFor();
  assert.equal(await page.locator('#charts-missing').isVisible(), false);
  assert.deepEqual(page.errors, []);
});
