// Who gets in: a wrong token is refused with 401 and each failure in a row waits longer
// (retry_after_ms grows, Retry-After is set), shown on the login form; without an admin
// token /admin is 404 (page and API); in read-only mode the page shows no action and a POST
// from the page's own context, with its session cookie, is refused with 403.
import test from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN, launchBrowser, openDashboard, shows, startServer, wsClient } from './helpers.js';

/** A login from the page's context: its status, Retry-After and body. */
const loginFromPage = (page, token) =>
  page.evaluate(async (token) => {
    const r = await fetch('/admin/login', { method: 'POST', body: JSON.stringify({ token }) });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() };
  }, token);

test('a wrong token is refused, each failure waits longer, and the right one still logs in', async (t) => {
  const server = await startServer({ args: ['--admin-token', TOKEN] });
  t.after(() => server.kill());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${server.http}/admin`);
  await page.locator('#login').waitFor();
  assert.equal(await page.locator('#dash').isVisible(), false);

  // Through the form: the page says it was refused and how long to wait.
  await page.fill('#token', 'not-the-token');
  await page.click('#login button');
  await shows(page, 'login-error', /^Wrong token: try again in \d+ ms$/);
  const first = Number((await page.locator('#login-error').textContent()).match(/(\d+) ms/)[1]);
  const second = await loginFromPage(page, 'still-wrong');
  const third = await loginFromPage(page, 'wrong-again');
  for (const a of [second, third]) {
    assert.equal(a.status, 401);
    assert.equal(a.body.error, 'Unauthorized');
    assert.ok(Number(a.retryAfter) >= 1, `Retry-After: ${a.retryAfter}`);
  }
  assert.ok(second.body.retry_after_ms > first, `${second.body.retry_after_ms} after ${first}`);
  assert.ok(third.body.retry_after_ms > second.body.retry_after_ms, `${third.body.retry_after_ms} after ${second.body.retry_after_ms}`);
  // No cookie came with the refusals: the API still refuses the page.
  const api = await page.evaluate(async () => (await fetch('/admin/api/overview')).status);
  assert.equal(api, 401);

  // The right token logs in (the form's button is enabled again once the wait is over).
  await page.locator('#login button:enabled').waitFor();
  await page.fill('#token', TOKEN);
  await page.click('#login button');
  await page.locator('#live', { hasText: /^live$/ }).waitFor();
  await shows(page, 't-nodes', '1');
});

test('without an admin token /admin is 404, the page and the API', async (t) => {
  const server = await startServer();
  t.after(() => server.kill());
  for (const path of ['/admin', '/admin/', '/admin/app.js', '/admin/api/overview']) {
    const r = await fetch(`${server.http}${path}`);
    assert.equal(r.status, 404, path);
    assert.equal((await r.json()).error, 'NotFound', path);
  }
  const login = await fetch(`${server.http}/admin/login`, { method: 'POST', body: JSON.stringify({ token: TOKEN }) });
  assert.equal(login.status, 404);
});

test('read-only mode hides every action and the server refuses one posted with the page cookie', async (t) => {
  const server = await startServer({ args: ['--admin-token', TOKEN, '--admin-readonly', '--client-identity'] });
  t.after(() => server.kill());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const client = await wsClient(server, { uid: 'carol' });
  t.after(() => client.close());
  await client.subscribe('room');
  const page = await openDashboard(browser, server);
  await page.locator('#mode', { hasText: 'read-only' }).waitFor();
  await shows(page, 't-connections', '1');
  assert.equal(await page.locator('#publish').isVisible(), false);
  // A lookup still works, without its buttons.
  await page.selectOption('#lookup-kind', 'uid');
  await page.fill('#lookup-value', 'carol');
  await page.click('#lookup button');
  await page.locator('#clients .client', { hasText: client.id }).waitFor();
  for (const selector of [`#clients button[data-client="${client.id}"]`, '#clients button[data-channel="room"]', '#disconnect-uid']) {
    assert.equal(await page.locator(selector).count(), 1, `${selector} is on the page`);
    assert.equal(await page.locator(selector).isVisible(), false, `${selector} is hidden`);
  }
  // The page's own context, with its session cookie: the server refuses every action.
  const statuses = await page.evaluate(async (id) => {
    const post = (name, body) => fetch(`/admin/api/${name}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.status);
    return [await post('publish', { channel: 'room', body: 'x' }), await post('disconnect', { client: id }), await post('unsubscribe', { client: id, channel: 'room' }), (await fetch('/admin/api/overview')).status];
  }, client.id);
  assert.deepEqual(statuses, [403, 403, 403, 200]);
  assert.equal(client.messages.some((m) => m.includes('\r\n\r\nx')), false);
});
