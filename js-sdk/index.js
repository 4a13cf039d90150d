// @lhttp/browser: LHTTP for browsers. The codec is lhttp-core compiled to
// WebAssembly (bindings/wasm), and so is the client session (lhttp-session) that
// Lhttp drives over the browser's WebSocket (README.md shows its use).
export { init, isReady } from './src/codec.js';
export { Lhttp } from './src/client.js';
export { Context } from './src/context.js';
export { LhttpError } from './src/errors.js';
export { MultipartBuilder } from './src/multipart.js';
export {
  parse,
  encode,
  encodeInto,
  encodeMultipart,
  encodeMultipartInto,
  channelList,
  errorNames,
  serverErrorNames,
  Message,
  Part,
  Upstream,
  Session,
} from './wasm/lhttp_wasm.js';
