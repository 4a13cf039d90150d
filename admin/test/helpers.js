// What the dashboard's end-to-end tests share: the real lhttpd (started from $LHTTPD_BIN, or a
// copy of it), headless Chromium through playwright-core, raw WebSocket clients speaking
// LHTTP/1.0 (spec/PROTOCOL.md) from Node, and where screenshots go.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer as startSdkServer } from '../../js-sdk/test/helpers/server.js';

/** The repository root. */
export const root = fileURLToPath(new URL('../../', import.meta.url));
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
/** The lhttpd binary (scripts/test-admin.sh builds it). */
export const lhttpdBin = process.env.LHTTPD_BIN ?? join(target, 'debug/lhttpd');
/** The Rust client's CLI, `lhttp` (cargo build -p lhttp-client --features cli). */
export const lhttpBin = process.env.LHTTP_BIN ?? join(target, 'debug/lhttp');
/** Where screenshots go: $LHTTP_ARTIFACTS, else artifacts/admin/ (gitignored). */
export const artifacts = process.env.LHTTP_ARTIFACTS ?? join(root, 'artifacts/admin');
mkdirSync(artifacts, { recursive: true });

/** The admin token the tests' servers use. */
export const TOKEN = 'dashboard-test-token-7';

/**
 * Starts lhttpd on a free port with `args`, in `cwd` (default: a new empty directory, so it
 * serves only what the binary carries): js-sdk's test server, with this suite's binary.
 */
export function startServer(options = {}) {
  return startSdkServer({ bin: lhttpdBin, ...options });
}

/** Headless Chromium, as the js-sdk tests launch it. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens /admin in a new page, logs in with `token`, waits for the first live overview. */
export async function openDashboard(browser, server, { token = TOKEN, viewport } = {}) {
  const page = await browser.newPage(viewport ? { viewport } : {});
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(`${server.http}/admin`);
  await page.locator('#token').fill(token);
  await page.locator('#login button').click();
  await page.locator('#live', { hasText: /^live$/ }).waitFor();
  return page;
}

/** Waits until the element `id` of the page reads exactly `text` (a string or a RegExp). */
export const shows = (page, id, text) =>
  page.locator(`#${id}`, { hasText: text instanceof RegExp ? text : new RegExp(`^${text}$`) }).waitFor();

/**
 * A raw LHTTP/1.0 WebSocket client (Node's WebSocket): resolves once greeted, with its
 * client id, every message it got, `closed` (a promise of the close event) and
 * `subscribe`/`send`.
 */
export async function wsClient(server, { uid } = {}) {
  const url = uid ? `${server.ws}?uid=${encodeURIComponent(uid)}` : server.ws;
  const ws = new WebSocket(url);
  const messages = [];
  const waiters = [];
  ws.onmessage = (e) => {
    messages.push(e.data);
    for (const w of waiters.splice(0)) w();
  };
  const closed = new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
  const next = (pred) =>
    new Promise((resolve) => {
      const look = () => {
        const m = messages.find(pred);
        if (m) resolve(m);
        else waiters.push(look);
      };
      look();
    });
  const greeting = await next((m) => m.startsWith('LHTTP/1.0 connected'));
  const id = greeting.match(/client-id:(\S+)/)[1];
  let n = 0;
  return {
    id,
    ws,
    messages,
    closed,
    next,
    send: (text) => ws.send(text),
    /** Subscribes to `channels` and waits for the server's ack. */
    async subscribe(...channels) {
      const tag = `s${++n}`;
      ws.send(`LHTTP/1.0 subscribe\r\nsubscribe:${channels.join(' ')}\r\nid:${tag}\r\n\r\n`);
      await next((m) => m.startsWith('LHTTP/1.0 ack') && m.includes(`id:${tag}\r\n`));
    },
    close: () => ws.close(),
  };
}
