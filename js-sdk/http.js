// @lhttp/browser/http: httpPublish, a publish through lhttpd's `POST /publish` (spec/HTTP-API.md),
// the same call as every other SDK's; the message is written by the wasm codec.
// A module of its own (`@lhttp/browser/http`), so a page that only chats does not load it.
import { encodeMessage, init, isReady, toPairs } from './src/codec.js';
import { LhttpError } from './src/errors.js';
import { channelList } from './wasm/lhttp_wasm.js';

/**
 * Publishes `body` to `channels` without a WebSocket; resolves with the delivery count.
 * `url` is the server (`http://host:port`, a `ws://` URL works too). Rejects with an
 * LhttpError: `Channel` for a bad name, the server's error name (`Unauthorized`, `NoChannel`...).
 */
export async function httpPublish(url, channels, body, { command = 'chat', headers, token, wasm, ...other } = {}) {
  const unknown = Object.keys(other)[0];
  if (unknown) throw new TypeError(`lhttp: unknown option "${unknown}" (options: command, headers, token, wasm)`);
  if (!isReady()) await init(wasm ?? (await nodeWasm()));
  let message;
  try {
    const list = channelList([channels].flat(Infinity).map(String));
    message = encodeMessage({ command, headers: [['publish', list], ...toPairs(headers)], body });
  } catch (e) {
    throw new LhttpError(e.code ?? 'Internal', e.message, { cause: e });
  }
  const target = new URL('/publish', String(url).replace(/^ws/, 'http'));
  const auth = token ? { Authorization: `Bearer ${token}` } : {};
  const answer = await fetch(target, { method: 'POST', body: message, headers: auth });
  const json = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new LhttpError(json.error ?? `Http${answer.status}`, json.detail ?? '', { status: answer.status });
  return json.deliveries;
}

// The glue's default source is `fetch(new URL('lhttp_wasm_bg.wasm', import.meta.url))`, which
// Node's fetch cannot do for a file: URL; a backend in Node reads the file instead. The
// specifier and the path are variables so that bundlers leave this branch alone.
const NODE_FS = 'node:fs/promises';
const WASM_FILE = './wasm/lhttp_wasm_bg.wasm';

async function nodeWasm() {
  if (!globalThis.process?.versions?.node || !import.meta.url.startsWith('file:')) return undefined;
  const { readFile } = await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_FS);
  return readFile(new URL(WASM_FILE, import.meta.url)).catch(() => undefined);
}
