// `new Lhttp(url, options)`: the session's settings, named as in the Node SDK
// (times in ms), and the driver's own. Unknown names and wrong types throw at once.

/** Option name -> the wasm Session's config key. */
const SETTINGS = {
  reconnect: 'reconnect',
  requestTimeoutMs: 'requestTimeout',
  timeout: 'requestTimeout', // the original SDK's name
  connectTimeoutMs: 'connectTimeout',
  initialBackoffMs: 'backoffInitial',
  maxBackoffMs: 'backoffMax',
  maxAttempts: 'maxAttempts',
  maxBuffered: 'maxBuffered',
};
/** The token options (spec 14): the session's config says which the driver answers. */
const TOKENS = ['token', 'getToken', 'getSubscriptionToken'];
const NAMES = [...Object.keys(SETTINGS), ...TOKENS, 'protocols', 'WebSocket', 'wasm'];

/** Checks `options`; returns the Session's config, with a random jitter seed. */
export function sessionConfig(options) {
  const config = { seed: Math.floor(Math.random() * 2 ** 32) };
  for (const [name, value] of Object.entries(options)) {
    if (!NAMES.includes(name)) throw new TypeError(`lhttp: unknown option "${name}" (options: ${NAMES.join(', ')})`);
    if (TOKENS.includes(name) && value !== undefined && value !== null) {
      const fixed = name === 'token';
      // The token itself is never part of an error message.
      if (typeof value !== (fixed ? 'string' : 'function')) throw new TypeError(`lhttp: option "${name}" must be a ${fixed ? 'string' : 'function'}`);
      if (fixed) config.token = value;
      else config[name === 'getToken' ? 'tokenCallback' : 'subscriptionTokenCallback'] = true;
      continue;
    }
    const key = SETTINGS[name];
    if (!key || value === undefined) continue;
    const flag = key === 'reconnect';
    const nullable = key === 'maxAttempts';
    const ok = flag ? typeof value === 'boolean' : (typeof value === 'number' && value >= 0) || (nullable && value === null);
    if (!ok) throw new TypeError(`lhttp: option "${name}" must be ${flag ? 'a boolean' : `a number >= 0${nullable ? ' or null' : ''}`}`);
    config[key] = value;
  }
  return config;
}
