// examples/auth-chat end to end: lhttpd verifying tokens with an HMAC secret from a file and
// a `chat` namespace for signed-in users only, the example's Node backend serving the page
// and signing tokens, two headless Chromium pages signing in as ann and bob: each sees the
// other's messages with their uids; an anonymous connection is refused subscribing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startServer } from './helpers/server.js';
import { wasmBytes } from './helpers/wasm.js';
import { init, Lhttp } from '../index.js';

await init(wasmBytes);
const example = join(root, 'examples/auth-chat');
const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A port free right now, for the backend (lhttpd must know its origin before it starts). */
async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function backend(t, port, ws, secretFile) {
  const proc = spawn(process.execPath, [join(example, 'backend.js'), String(port)], {
    env: { ...process.env, LHTTP_TOKEN_SECRET_FILE: secretFile, LHTTP_WS: ws },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => proc.kill());
  let out = '';
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => (out += d) && out.includes('backend on') && resolve());
    proc.once('exit', (code) => reject(new Error(`backend exited ${code}`)));
  });
}

test('two users sign in through the backend and see each other with their uids; an anonymous connection is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lhttp-auth-chat-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'auth-chat-test-secret\n');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer({
    args: ['--config', join(example, 'lhttpd.toml'), '--token-hmac-secret-file', secretFile, '--allowed-origin', origin],
  });
  t.after(() => server.kill());
  await backend(t, port, server.ws, secretFile);

  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  t.after(() => browser.close());
  const open = async (name) => {
    const page = await browser.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e));
    await page.goto(`${origin}/`);
    await page.fill('#name', name);
    await page.click('#join button');
    await page.locator('#say').waitFor(); // shown once the subscribe was acknowledged
    await page.locator('#status', { hasText: `signed in as ${name}` }).waitFor();
    return page;
  };
  const say = async (page, text) => {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  };
  const shows = (page, line) => page.locator('#log p', { hasText: line }).waitFor();

  const ann = await open('ann');
  const bob = await open('bob');
  await say(ann, 'hello bob');
  await shows(bob, 'ann: hello bob');
  await say(bob, 'hi ann');
  await shows(ann, 'bob: hi ann');
  assert.deepEqual(await ann.locator('#log p').allTextContents(), ['ann: hello bob', 'bob: hi ann']);

  const anonymous = new Lhttp(server.ws, { reconnect: false });
  t.after(() => anonymous.close());
  const refused = await anonymous.subscribe('chat:room').then(() => null, (e) => e);
  assert.equal(refused?.code, 'Forbidden');
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});
