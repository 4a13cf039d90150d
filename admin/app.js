// The /admin dashboard: logs in, follows the overview stream (one event a second) to show
// the nodes, totals, rates and their chart, and reads and acts through the admin API.
// Read-only servers (--admin-readonly) get no action buttons; the server refuses them anyway.
import { ApiError, act, get, login, stream } from './api.js';
import { chart } from './charts.js';
import { $, duration, el, fill, num } from './view.js';

let charts = null;
/** Each node's last counters, for its rates: id -> {t, messages_in, messages_out}. */
const last = new Map();

function show(loggedIn) {
  $('login').hidden = loggedIn;
  $('dash').hidden = !loggedIn;
  if (!loggedIn) $('token').focus();
}

function setReadonly(ro) {
  document.body.classList.toggle('readonly', ro);
  $('mode').hidden = !ro;
}

/** Per second rates of a node since its last event (0 the first time or after a restart). */
function rates(node, t) {
  const prev = last.get(node.id);
  last.set(node.id, { t, messages_in: node.messages_in, messages_out: node.messages_out });
  if (!prev || t <= prev.t || node.messages_in < prev.messages_in) return { in: 0, out: 0 };
  const dt = t - prev.t;
  return { in: (node.messages_in - prev.messages_in) / dt, out: (node.messages_out - prev.messages_out) / dt };
}

function sumErrors(errors) {
  return Object.values(errors ?? {}).reduce((a, b) => a + b, 0);
}

function overview(o) {
  const t = Date.now() / 1000;
  setReadonly(o.readonly);
  $('node').textContent = `node ${o.node}`;
  let rin = 0;
  let rout = 0;
  const rows = o.nodes.map((n) => {
    const r = rates(n, t);
    rin += r.in;
    rout += r.out;
    return [n.id, num(n.connections), num(n.uids ?? 0), num(n.channels), num(n.subscriptions), num(r.in), num(r.out), num(n.drops), num(sumErrors(n.errors)), duration(n.uptime_secs)];
  });
  fill($('nodes'), rows);
  const tot = o.totals;
  $('t-nodes').textContent = num(tot.nodes);
  $('t-connections').textContent = num(tot.connections ?? 0);
  $('t-uids').textContent = num(tot.uids ?? 0);
  $('t-channels').textContent = num(tot.channels ?? 0);
  $('t-subscriptions').textContent = num(tot.subscriptions ?? 0);
  $('t-in').textContent = num(rin);
  $('t-out').textContent = num(rout);
  $('t-drops').textContent = num(tot.drops ?? 0);
  $('t-slow').textContent = num(tot.slow_consumers ?? 0);
  fill($('errors'), Object.entries(tot.errors ?? {}).map(([k, v]) => [k, num(v)]), 'no error replies');
  fill($('drops'), Object.entries(tot.drops_by_namespace ?? {}).map(([k, v]) => [k === '' ? '(default)' : k, num(v)]));
  charts?.rates.push(t, [rin, rout]);
  charts?.counts.push(t, [tot.connections ?? 0, tot.subscriptions ?? 0]);
}

async function channels() {
  try {
    const c = await get('channels', { search: $('search').value });
    $('channels-total').textContent = `${c.total} matching`;
    fill(
      $('channels'),
      c.channels.map((ch) => [el('a', ch.name, { href: '#', onclick: (e) => (e.preventDefault(), channel(ch.name)) }), num(ch.subscribers)]),
      'no channel',
    );
  } catch (e) {
    failed(e);
  }
}

async function channel(name) {
  const c = await get('channel', { name }).catch(failed);
  if (!c) return;
  $('channel').hidden = false;
  $('channel-name').textContent = c.name;
  $('channel-subscribers').textContent = num(c.subscribers);
  $('channel-presence').replaceChildren(
    ...(c.presence
      ? [el('h3', `Presence: ${c.presence.connections} connections, ${c.presence.users} users`),
         el('ul', c.presence.members.map((m) => el('li', `${m.client} ${m.uid ?? ''} ${JSON.stringify(m.info ?? {})}`)))]
      : [el('p', 'no presence in this namespace', { class: 'hint' })]),
  );
  const h = c.history;
  $('channel-history').replaceChildren(
    ...(h
      ? [el('h3', `History at ${h.position ?? '?'}`),
         el('ul', (h.publications ?? []).map((p) => el('li', `${p.offset}: ${p.command} ${p.body ?? '(bytes)'}`)))]
      : [el('p', 'no history in this namespace', { class: 'hint' })]),
  );
}

async function lookup(kind, value) {
  const r = await get('client', { [kind]: value }).catch(failed);
  if (!r) return;
  $('disconnect-uid').hidden = kind !== 'uid' || r.clients.length === 0;
  $('disconnect-uid').onclick = () => action('disconnect', { uid: value }, () => lookup(kind, value));
  $('clients').replaceChildren(
    ...(r.clients.length
      ? r.clients.map((c) =>
          el('div', [
            el('h3', [el('code', c.id), ` on ${c.node}`, c.uid ? `, uid ${c.uid}` : '']),
            el('p', `info ${JSON.stringify(c.info ?? {})}`),
            el('button', 'Disconnect', { class: 'action danger', 'data-client': c.id, onclick: () => action('disconnect', { client: c.id }, () => lookup(kind, value)) }),
            el('ul', c.channels.map((ch) =>
              el('li', [ch, ' ', el('button', 'Unsubscribe', { class: 'action', 'data-channel': ch, onclick: () => action('unsubscribe', { client: c.id, channel: ch }, () => lookup(kind, value)) })]))),
          ], { class: 'client' }))
      : [el('p', 'not online', { class: 'hint' })]),
  );
}

async function action(name, body, then) {
  try {
    const r = await act(name, body);
    $('action-result').textContent = `${name}: ${JSON.stringify(r)}`;
    then?.();
  } catch (e) {
    failed(e);
  }
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) show(false);
  $('action-result').textContent = String(e.message ?? e);
}

let source = null;
function start() {
  show(true);
  source?.close();
  source = stream(overview, (state) => {
    $('live').textContent = state === 'live' ? 'live' : state === 'closed' ? 'disconnected' : 'reconnecting…';
    $('live').className = state;
    // A stream the server refused (e.g. the session expired): back to the login form.
    if (state === 'closed') get('overview').catch(failed);
  });
  channels();
}

async function main() {
  const missing = () => {
    $('charts-missing').hidden = false;
    $('charts-missing').textContent = 'Charts are not built into this lhttpd: run scripts/build-admin.sh, then build lhttpd again.';
  };
  const [rates, counts] = await Promise.all([
    chart($('chart-rates'), 'messages per second', ['in/s', 'out/s'], missing),
    chart($('chart-counts'), 'connections and subscriptions', ['connections', 'subscriptions'], missing),
  ]);
  charts = { rates, counts };

  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('login').querySelector('button');
    try {
      const r = await login($('token').value);
      $('token').value = '';
      $('login-error').textContent = '';
      setReadonly(r.readonly);
      start();
    } catch (err) {
      const wait = err.body?.retry_after_ms ?? 0;
      $('login-error').textContent = err.status === 401 ? `Wrong token: try again in ${wait} ms` : String(err.message);
      button.disabled = true;
      setTimeout(() => (button.disabled = false), wait);
    }
  });
  let searching;
  $('search').addEventListener('input', () => {
    clearTimeout(searching);
    searching = setTimeout(channels, 200);
  });
  $('lookup').addEventListener('submit', (e) => {
    e.preventDefault();
    lookup($('lookup-kind').value, $('lookup-value').value.trim());
  });
  $('publish').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await act('publish', { channel: $('publish-channel').value, command: $('publish-command').value || 'chat', body: $('publish-body').value });
      $('publish-result').textContent = `delivered to ${r.deliveries}${r.position ? ` at ${r.position}` : ''}`;
    } catch (err) {
      failed(err);
      $('publish-result').textContent = String(err.message);
    }
  });
  // Logged in already (the cookie is HttpOnly: only a call can tell)?
  try {
    const o = await get('overview');
    setReadonly(o.readonly);
    start();
    overview(o);
  } catch {
    show(false);
  }
  // The channel list is not in the stream: refreshed every few seconds while shown.
  setInterval(() => !$('dash').hidden && channels(), 3000);
}

main();
