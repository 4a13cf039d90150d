// The options of `new Lhttp(url, options)`: the session's settings, named and
// measured as in the Node SDK (times in milliseconds, `Ms` in the name; defaults
// in lhttp-session's Config), and the driver's own (`protocols`, `WebSocket`,
// `wasm`). An unknown name or a setting of the wrong type is a TypeError at once,
// before the codec has loaded.

/** Option name -> [the wasm Session's config key, what it must be]. */
const SETTINGS = {
  reconnect: ['reconnect', 'a boolean'],
  requestTimeoutMs: ['requestTimeout', 'a number >= 0'],
  // The original SDK's name for the request timeout, kept working.
  timeout: ['requestTimeout', 'a number >= 0'],
  connectTimeoutMs: ['connectTimeout', 'a number >= 0'],
  initialBackoffMs: ['backoffInitial', 'a number >= 0'],
  maxBackoffMs: ['backoffMax', 'a number >= 0'],
  maxAttempts: ['maxAttempts', 'a number >= 0 or null'],
  maxBuffered: ['maxBuffered', 'a number >= 0'],
};
const NAMES = [...Object.keys(SETTINGS), 'protocols', 'WebSocket', 'wasm'];

/** Checks `options`; returns the settings for `new Session(config)`, with a random jitter seed. */
export function sessionConfig(options) {
  const config = { seed: Math.floor(Math.random() * 2 ** 32) };
  for (const [name, value] of Object.entries(options)) {
    if (!NAMES.includes(name)) throw new TypeError(`lhttp: unknown option "${name}" (options: ${NAMES.join(', ')})`);
    const [key, kind] = SETTINGS[name] ?? [];
    if (!key || value === undefined) continue;
    const ok = key === 'reconnect' ? typeof value === 'boolean' : (typeof value === 'number' && value >= 0) || (value === null && kind.endsWith('null'));
    if (!ok) throw new TypeError(`lhttp: option "${name}" must be ${kind}`);
    config[key] = value;
  }
  return config;
}
