// The bridge to the wasm codec: every byte the SDK reads or writes goes through lhttp-core
// compiled to WebAssembly; this file loads it and turns SDK arguments into its inputs.
import initWasm, { encode, encodeMultipart } from '../wasm/lhttp_wasm.js';
import { LhttpError } from './errors.js';

let loading;
let loaded = false;

/**
 * Loads the codec once: in a browser with no argument (the .wasm next to the glue), else from
 * bytes, a `WebAssembly.Module`, a URL or a `Response`. A failure rejects with code `Wasm`
 * and is forgotten, so a later call tries again.
 */
export function init(source) {
  loading ??= initWasm(source === undefined ? undefined : { module_or_path: source }).then(
    () => void (loaded = true),
    (cause) => {
      loading = undefined;
      // Vite's dev server pre-bundles dependencies into .vite/deps, without the .wasm.
      const vite = /\/\.vite\/deps\//.test(import.meta.url) ? "; Vite: optimizeDeps: { exclude: ['@lhttp/browser'] }" : '';
      throw new LhttpError('Wasm', `cannot load the wasm codec: ${cause?.message ?? cause}${vite}`, { cause });
    },
  );
  return loading;
}

/** Whether `init()` has finished. */
export function isReady() {
  return loaded;
}

function ready() {
  if (!loaded) throw new Error('lhttp: the wasm codec is not loaded yet; await init() first');
}

/**
 * Headers in any of the accepted shapes as `[name, value]` pairs in order: an
 * array of pairs, a `Map`, or a plain object (the original SDK's `{ name: value }`).
 */
export function toPairs(headers) {
  if (headers == null) return [];
  if (Array.isArray(headers)) return headers.map(([name, value]) => [String(name), String(value)]);
  const entries = headers instanceof Map ? headers.entries() : Object.entries(headers);
  return Array.from(entries, ([name, value]) => [String(name), String(value)]);
}

/** A channel list as one header value: an array is joined with spaces. */
export function channelList(channels) {
  return Array.isArray(channels) ? channels.flat(Infinity).join(' ') : String(channels);
}

/** Encodes an outgoing message: `{ command, headers, body }` or anything with an `encode()` method (a `MultipartBuilder`). */
export function encodeMessage(message) {
  ready();
  if (typeof message.encode === 'function') return message.encode();
  return encode(message.command, toPairs(message.headers), message.body ?? '');
}

/** Encodes a multipart message (used by `MultipartBuilder`). */
export function encodeParts(command, headers, parts) {
  ready();
  return encodeMultipart(command, headers, parts);
}
