// A codec that cannot load: `init()`, the client and httpPublish reject with code `Wasm`,
// as index.d.ts promises. A file of its own, because node:test runs each file in its own
// process and the codec, once loaded, stays loaded for the process.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, isReady, Lhttp, LhttpError } from '../index.js';
import { httpPublish } from '../http.js';

const notWasm = new Uint8Array([0x3c, 0x21, 0x64, 0x6f]); // "<!do": what a server's HTML fallback page starts with

test('init() rejects with an LhttpError whose code is Wasm', async () => {
  await assert.rejects(init(notWasm), (e) => e instanceof LhttpError && e.code === 'Wasm' && e.cause instanceof Error);
  assert.equal(isReady(), false);
  await assert.rejects(init(new URL('./no-such.wasm', import.meta.url)), (e) => e.code === 'Wasm');
  // Node's fetch cannot read the default source, a file: URL beside the glue.
  await assert.rejects(init(), (e) => e.code === 'Wasm');
});

test('a client whose codec cannot load ends: its requests, whenOpen and on_error get Wasm, iterators end', async () => {
  // Port 1 is never dialled: the client connects only once its codec has loaded.
  const client = new Lhttp('ws://127.0.0.1:1/', { wasm: notWasm });
  const reported = new Promise((resolve) => (client.on_error = (context) => resolve(context.error)));
  await assert.rejects(client.subscribe('room'), (e) => e.code === 'Wasm');
  await assert.rejects(client.whenOpen(), (e) => e.code === 'Wasm');
  assert.equal((await reported).code, 'Wasm');
  const next = await client[Symbol.asyncIterator]().next();
  assert.equal(next.done, true);
});

test('httpPublish rejects with Wasm before any request when the codec cannot load', async () => {
  await assert.rejects(httpPublish('http://127.0.0.1:1', 'room', 'x', { wasm: notWasm }), (e) => e.code === 'Wasm');
});

// Last: once loaded, the codec stays loaded in this process.
test('a failed load is forgotten: init() with the real module then loads it', async () => {
  await init(readFileSync(new URL('../wasm/lhttp_wasm_bg.wasm', import.meta.url)));
  assert.equal(isReady(), true);
});
