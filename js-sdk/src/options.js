// The options of `new Lhttp(url, options)`: the session's settings (times in
// milliseconds, defaults in lhttp-session's Config) and the driver's own
// (`protocols`, `WebSocket`, `wasm`). An unknown name or a setting of the wrong
// type is a TypeError at once, before the codec has loaded.

const SETTINGS = {
  reconnect: 'a boolean',
  requestTimeout: 'a number >= 0',
  connectTimeout: 'a number >= 0',
  backoffInitial: 'a number >= 0',
  backoffMax: 'a number >= 0',
  maxAttempts: 'a number >= 0 or null',
  maxBuffered: 'a number >= 0',
};
const NAMES = [...Object.keys(SETTINGS), 'protocols', 'WebSocket', 'wasm'];

/** Checks `options`; returns the settings for `new Session(config)`, with a random jitter seed. */
export function sessionConfig(options) {
  const config = { seed: Math.floor(Math.random() * 2 ** 32) };
  for (const [key, value] of Object.entries(options)) {
    if (!NAMES.includes(key)) throw new TypeError(`lhttp: unknown option "${key}" (options: ${NAMES.join(', ')})`);
    const kind = SETTINGS[key];
    if (!kind || value === undefined) continue;
    const ok = key === 'reconnect' ? typeof value === 'boolean' : (typeof value === 'number' && value >= 0) || (value === null && kind.endsWith('null'));
    if (!ok) throw new TypeError(`lhttp: option "${key}" must be ${kind}`);
    config[key] = value;
  }
  return config;
}
