// Loads the wasm-bindgen build of bindings/wasm (js-sdk/wasm/, made by
// scripts/build-wasm.sh) synchronously from disk, for tests running in Node.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initSync } from '../../wasm/lhttp_wasm.js';

/** Path of the built .wasm module. */
export const wasmPath = fileURLToPath(new URL('../../wasm/lhttp_wasm_bg.wasm', import.meta.url));

/** The module's bytes, read once; pass them to the SDK's `init()` in Node. */
export const wasmBytes = readFileSync(wasmPath);

initSync({ module: wasmBytes });

export * from '../../wasm/lhttp_wasm.js';
