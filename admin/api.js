// The admin API as the page calls it (spec/HTTP-API.md "Admin API"): JSON calls with the
// session cookie, the login, and the overview's event stream. Nothing here keeps the token.

/** An answer that is not 2xx: its status and JSON body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(`${status} ${body?.error ?? ''}${body?.detail ? `: ${body.detail}` : ''}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, body) {
  const resp = await fetch(`/admin/${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, json);
  return json;
}

/** Logs in: the server sets the session cookie. A wrong token throws an ApiError (401, retry_after_ms). */
export const login = (token) => call('POST', 'login', { token });
/** A read call: `get('channels', {search: 'chat:'})`. */
export const get = (name, params = {}) => call('GET', `api/${name}?${new URLSearchParams(params)}`);
/** An action (publish, disconnect, unsubscribe): 403 in read-only mode. */
export const act = (name, body) => call('POST', `api/${name}`, body);

/**
 * Follows the overview stream: `onOverview(json)` each second, `onState('live' | 'reconnecting' | 'closed')`.
 * EventSource reconnects by itself; it gives up (closed) when the server refuses (e.g. the session expired).
 */
export function stream(onOverview, onState) {
  const source = new EventSource('/admin/api/stream');
  source.addEventListener('overview', (e) => {
    onState('live');
    onOverview(JSON.parse(e.data));
  });
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return source;
}
