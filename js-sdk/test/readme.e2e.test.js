// js-sdk/README.md's code blocks, as written, as a new user runs them: in a new folder
// outside the repository the package is packed and installed, a Vite app is made of the
// README's files, and headless Chromium opens its page from Vite's dev server (proxying /ws
// to a live lhttpd) and from `vite build` served by lhttpd; the page subscribes, publishes,
// receives, and gets what the README's Node backend publishes over HTTP. The page without
// a bundler (the original API) runs from lhttpd's --mount of the checkout.
// Blocks come from scripts/snippets.py; its --addr (the live server's address in place of
// the README's 127.0.0.1:8081) is the only change made to them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { lhttpdBin, root, startServer } from './helpers/server.js';

const README = 'js-sdk/README.md';
const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
// What the README's shell blocks assume: $LHTTP is the checkout, `lhttpd` is on PATH (the
// README has users `cargo install` it; here it is the build under test). npm reuses its cache.
const env = {
  ...process.env,
  LHTTP: root.replace(/\/$/, ''),
  PATH: `${dirname(lhttpdBin)}:${process.env.PATH}`,
  npm_config_prefer_offline: 'true',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/** A new folder outside the repository. */
function freshDir(prefix) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  assert.ok(!dir.startsWith(root), `${dir} is outside ${root}`);
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes README block `name` to `dir/file`, the demo address replaced by `addr` when given. */
function write(name, dir, file = name, addr) {
  const args = [join(root, 'scripts/snippets.py'), 'write', README, name, join(dir, file)];
  execFileSync('python3', addr ? [...args, '--addr', addr] : args, { cwd: root, env });
}

// The shell blocks' files: kept out of the folders they run in, which they serve or build.
const blocks = freshDir('lhttp-readme-blocks-');

/** Runs README shell block `name` to its end in `dir`; resolves with its stdout. */
function runBlock(name, dir, addr) {
  write(name, blocks, name, addr);
  return new Promise((resolve, reject) =>
    execFile('bash', ['-euo', 'pipefail', join(blocks, name)], { cwd: dir, env, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${name} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/**
 * Starts README shell block `name` in `dir` (a server: it runs until killed) and resolves
 * with the first match of `ready` in its output (colour codes removed).
 */
function startBlock(t, name, dir, ready, addr) {
  write(name, blocks, name, addr);
  const proc = spawn('bash', ['-euo', 'pipefail', join(blocks, name)], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // The block's whole process group (npx and vite, or lhttpd): bash does not pass on signals.
  t.after(() => {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {}
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const seen = (d) => {
      out += d;
      const m = out.replace(/\x1b\[[0-9;]*m/g, '').match(ready);
      if (m) resolve(m[1]);
    };
    proc.stdout.on('data', seen);
    proc.stderr.on('data', seen);
    proc.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${out}`)));
  });
}

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
test.after(() => browser.close());

/** Opens `url`; returns the page, its uncaught errors (and the first, when it comes) and every .wasm response it got. */
async function open(t, url) {
  const page = await browser.newPage();
  t.after(() => page.close());
  const errors = [];
  const wasm = [];
  page.on('pageerror', (e) => errors.push(e));
  const firstError = new Promise((resolve) => page.once('pageerror', resolve));
  page.on('response', (r) => r.url().endsWith('.wasm') && wasm.push({ status: r.status(), type: r.headers()['content-type'] }));
  await page.goto(url);
  return { page, errors, wasm, firstError };
}

/** The README's page lists what main.js showed; waits for `lines` (in order), returns the list. */
async function shows(page, selector, lines) {
  const last = lines[lines.length - 1];
  await page.locator(selector, { hasText: last }).first().waitFor({ timeout: 60_000 });
  return page.locator(selector).allTextContents();
}

// The app of the README's install and Vite sections, made once for both of its servers.
const app = freshDir('lhttp-readme-app-');
await runBlock('install.sh', app);
await runBlock('vite.sh', app);
write('index.html', app);
write('main.js', app);
const pageLines = ['subscribed to room', 'delivered to 1', 'chat me: hi'];
const backendLine = 'chat backend: hi from a backend';

/** The README's Node backend publishing to `addr` over HTTP; returns what it printed. */
async function publishFromNode(addr, token) {
  write('publish.mjs', app, 'publish.mjs', addr);
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, ['publish.mjs'], { cwd: app, env: { ...env, LHTTPD_PUBLISH_TOKEN: token ?? '' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`node publish.mjs failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  return out;
}

test("the README's page from Vite's dev server: the .wasm loads, and /ws reaches lhttpd through the proxy", async (t) => {
  // A token, so that the backend's Authorization header is checked too.
  const server = await startServer({ args: ['--publish-token', 'readme-token'] });
  t.after(() => server.kill());
  write('vite.config.js', app, 'vite.config.js', server.addr);
  const url = await startBlock(t, 'dev.sh', app, /Local:\s+(http:\/\/\S+)/);
  const { page, errors, wasm } = await open(t, url);
  assert.deepEqual(await shows(page, '#log li', pageLines), pageLines);
  assert.deepEqual(wasm, [{ status: 200, type: 'application/wasm' }], 'the dev server served the codec');
  // One subscriber, the page: its connection went through the dev server to this lhttpd.
  assert.equal(await publishFromNode(server.addr, 'readme-token'), 'delivered to 1\n');
  assert.deepEqual(await shows(page, '#log li', [backendLine]), [...pageLines, backendLine]);
  assert.deepEqual(errors, []);
});

test('without the README\'s optimizeDeps.exclude, the dev server pre-bundles the package and the error says to add it', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  // The README's app with Vite's defaults (pre-bundling on) and only the proxy.
  const vite = await createServer({
    root: app,
    configFile: false,
    logLevel: 'silent',
    optimizeDeps: { force: true },
    server: { port: 0, strictPort: false, proxy: { '/ws': { target: `ws://${server.addr}`, ws: true } } },
  });
  t.after(() => vite.close());
  await vite.listen();
  const { page, firstError } = await open(t, vite.resolvedUrls.local[0]);
  const error = await firstError; // main.js's first await rejects: a top-level error of the page
  assert.match(error.message, /^Wasm: cannot load the wasm codec: .*optimizeDeps: \{ exclude: \['@lhttp\/browser'\] \}/);
  assert.deepEqual(await page.locator('#log li').allTextContents(), []);
});

test("the README's page from `vite build`, served by lhttpd as the README starts it", async (t) => {
  const addr = await startBlock(t, 'build.sh', app, /lhttpd listening on (\S+)/, '127.0.0.1:0');
  const { page, errors, wasm } = await open(t, `http://${addr}/`);
  assert.deepEqual(await shows(page, '#log li', pageLines), pageLines);
  assert.deepEqual(wasm, [{ status: 200, type: 'application/wasm' }]);
  // lhttpd on loopback takes an unauthenticated POST /publish: the README's backend with no token.
  assert.equal(await publishFromNode(addr), 'delivered to 1\n');
  assert.deepEqual(await shows(page, '#log li', [backendLine]), [...pageLines, backendLine]);
  assert.deepEqual(errors, []);
});

test("the README's page without a bundler (the original API), from lhttpd's --mount of the checkout", async (t) => {
  const site = freshDir('lhttp-readme-page-');
  write('original.html', site, 'index.html');
  const addr = await startBlock(t, 'original.sh', site, /lhttpd listening on (\S+)/, '127.0.0.1:0');
  const { page, errors } = await open(t, `http://${addr}/`);
  await page.locator('#log', { hasText: 'me: hello' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.textContent('#log'), 'me: hello\n');
  assert.deepEqual(errors, []);
});

test("the README's history.mjs, in Node from the installed package, against lhttpd with history", async (t) => {
  const server = await startServer({ args: ['--history-size', '100', '--history-ttl', '300'] });
  t.after(() => server.kill());
  write('history.mjs', app, 'history.mjs', server.addr);
  const flags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : []; // as the README says
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [...flags, 'history.mjs'], { cwd: app, env }, (err, stdout, stderr) =>
      err ? reject(new Error(`node history.mjs failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  assert.equal(out, '3: item 3\n2: item 2\nat 3, as the client saw: true\n');
});

test("the README's presence.mjs, in Node from the installed package, against lhttpd with presence", async (t) => {
  const server = await startServer({ args: ['--presence', '--join-leave', '--client-identity'] });
  t.after(() => server.kill());
  write('presence.mjs', app, 'presence.mjs', server.addr);
  const flags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : [];
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [...flags, 'presence.mjs'], { cwd: app, env }, (err, stdout, stderr) =>
      err ? reject(new Error(`node presence.mjs failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  assert.equal(out, 'ann joined\nbob joined\n2 connections, 2 users: ann, bob\nbob left: disconnect\n');
});
