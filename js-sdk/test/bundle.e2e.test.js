// js-sdk from a bundler: Vite builds test/bundle (a page importing the SDK), the
// real lhttpd serves the output, and headless Chromium runs it: the bundled page
// loads the wasm codec as a bundler asset, subscribes, publishes to itself and
// shows what arrived.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { startServer } from './helpers/server.js';

const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

test('a Vite bundle of the SDK runs in Chromium against lhttpd', async (t) => {
  const outDir = join(mkdtempSync(join(tmpdir(), 'lhttp-bundle-')), 'dist');
  await build({
    root: fileURLToPath(new URL('./bundle/', import.meta.url)),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const server = await startServer({ args: ['--static', outDir] });
  t.after(() => server.kill());
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${server.http}/`);
  await page.locator('#out', { hasText: /hello|error/ }).waitFor();
  assert.equal(await page.textContent('#out'), 'hello from a bundle / check v');
  assert.deepEqual(errors, []);
});
