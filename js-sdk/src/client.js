// Lhttp: the browser's WebSocket driving lhttp-session (the wasm `Session`), which decides
// everything (request ids, restore, backoff, close codes, the buffer). This file opens the
// sockets it asks for, keeps one timer at its next deadline, settles a promise per request,
// and hands events and messages to the original SDK's callbacks and to async iterators.
import { encodeMessage, init, toPairs } from './codec.js';
import { Context } from './context.js';
import { LhttpError, fromSession } from './errors.js';
import { sessionConfig } from './options.js';
import { MessageQueue } from './queue.js';
import { Session, readHistory, readPresence, readPresenceStats } from '../wasm/lhttp_wasm.js';

const noop = () => {};
const now = () => performance.now();
/** Why a socket failed before opening: all a browser tells. */
const UNOPENED =
  'the WebSocket failed before it opened (close 1006); the browser hides the HTTP status, so a refused ' +
  'handshake (such as 403 OriginNotAllowed for a page of another origin) looks like an unreachable server';

/** A connection to an lhttp server. */
export class Lhttp {
  /** Called with a Context each time a connection opens (again after a reconnect). */
  on_open = noop;
  /** Called with a Context (its `event` the CloseEvent, or `{ code, reason }`) each time a connection closes. */
  on_close = noop;
  /** Called with a Context (its `error` an LhttpError): connect failures, server errors, refused restores, drops. */
  on_error = noop;
  /** Called with a Context (its `channel` set) for each channel a reconnect recovered: its missed messages came first. */
  on_recovered = noop;
  /** Called with a Context (its `channel` set) for each channel a reconnect could not recover (`on_error` gets `Unrecovered` too). */
  on_unrecovered = noop;
  /** The current (or last) WebSocket, or null before the first connection attempt. */
  conn = null;
  /** A Context with no received message, for sending (the original SDK's `client.context`). */
  context;

  #url;
  #options;
  #session = null;
  #loading;
  #onMessage = noop;
  #transport;
  #pending = new Map(); // request id -> { resolve, reject, map }
  #iterators = new Set();
  #openWaiters = [];
  #timer;
  #closeEvent;
  #ended = null; // the error whenOpen() rejects with once the session ended
  #finished = false;
  #closeFirst = null;
  #driving = false;
  #again = false;

  /**
   * @param {string | URL} url the server's WebSocket URL, e.g. `ws://127.0.0.1:8081/`
   * @param {import('../index.js').LhttpOptions} [options] the session's settings (times in ms) and
   *   `protocols`, `WebSocket`, `wasm`; an unknown name throws a TypeError
   */
  constructor(url, options = {}) {
    const config = sessionConfig(options);
    this.#url = url;
    this.#options = options;
    const client = this;
    this.#transport = { send: (bytes) => this.#sendSoon(() => bytes), get conn() { return client.conn; } };
    this.context = new Context(this.#transport, null);
    this.#loading = init(options.wasm).then(() => {
      this.#session = new Session(config);
      const [code, reason] = this.#closeFirst ?? [];
      this.#input((s, t) => (this.#closeFirst ? s.close(t, code, reason) : s.start(t)));
    });
    this.#loading.catch((error) => {
      this.#ended = error;
      this.#report(error);
      this.#finish();
    });
  }

  /** Called with a Context for each received message. While none is set and no iterator waits, they stay buffered. */
  get on_message() {
    return this.#onMessage;
  }
  set on_message(fn) {
    this.#onMessage = fn ?? noop;
    if (this.#session) this.#drive();
  }

  /** Whether a connection is open and its subscriptions restored. */
  get isOpen() {
    return this.#session?.state === 'open';
  }

  /** The channels this client is subscribed to (restored after a reconnect). */
  get channels() {
    return this.#session?.subscriptions ?? [];
  }

  /** The id the server gave the current (or last) connection, or null. */
  get clientId() {
    return this.#session?.clientId ?? null;
  }

  /** Resolves when a connection is open and restored; rejects with `Closed` after `close()`, or what ended the client. */
  whenOpen() {
    if (this.isOpen) return Promise.resolve();
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
  }

  /**
   * Sends a message without waiting for the server: `{ command, headers, body }` or a
   * `MultipartBuilder`; queued until open. Throws an LhttpError: the core error name for
   * an invalid field, `Closed` after `close()` (reported to `on_error` before the codec loads).
   */
  send(message) {
    this.#sendSoon(() => encodeMessage(message));
  }

  /** Sends a message with an `id` header; resolves with the server's `ack`, rejects with an LhttpError. */
  request(message) {
    return this.#ask((s, t) => s.request(t, encodeMessage(message)), (acked) => acked.reply);
  }

  /** Subscribes to channels (names or arrays of names); resolves once the server has added them all. */
  subscribe(...channels) {
    return this.#ask((s, t) => s.subscribe(t, names(channels)), noop);
  }

  /** Unsubscribes from channels; resolves once the server has removed them. */
  unsubscribe(...channels) {
    return this.#ask((s, t) => s.unsubscribe(t, names(channels)), noop);
  }

  /** Publishes `body` to `channels`; resolves with `{ deliveries }`, the subscribers it was queued to. */
  publish(channels, body, { command = 'chat', headers } = {}) {
    const publish = (s, t) => s.publish(t, names([channels]), command, toPairs(headers), body);
    return this.#ask(publish, (acked) => ({ deliveries: acked.deliveries ?? 0 }));
  }

  /** Resolves with `{ channel, position, publications }`: the channel's recent publications (13.5). */
  async history(channel, { limit, since, reverse } = {}) {
    const reply = await this.#ask((s, t) => s.history(t, channel, limit, since, reverse), (acked) => acked.reply);
    return this.#input(() => readHistory(reply));
  }

  /**
   * Resolves with `{ members, stats: { connections, users }, capped }`: who is subscribed to `channel` (15.2), each
   * member `{ client, uid, info }`. Rejects with `NoPresence` for a channel without presence.
   */
  async presence(channel) {
    const reply = await this.#ask((s, t) => s.presence(t, channel), (acked) => acked.reply);
    return this.#input(() => readPresence(reply));
  }

  /** Resolves with `{ connections, users }`: the counts of `channel`'s members (15.2), without the list. */
  async presenceStats(channel) {
    const reply = await this.#ask((s, t) => s.presenceStats(t, channel), (acked) => acked.reply);
    return this.#input(() => readPresenceStats(reply));
  }

  /** The last `{ epoch, offset }` seen of a subscribed channel with history (read by the session), or undefined. */
  position(channel) {
    try {
      return this.#session?.position(channel);
    } catch (e) {
      throw fromSession(e); // Position: an offset past 2^53 - 1
    }
  }

  /** Closes for good: no reconnect, pending requests reject with `Closed`, iterators end once drained. */
  close(code = 1000, reason = '') {
    if (this.#session) this.#input((s, t) => s.close(t, code, reason));
    else this.#closeFirst = [code, reason];
  }

  /** `for await (const msg of client)`: every received message (wasm `Message`), buffered ones first. */
  [Symbol.asyncIterator]() {
    const forget = () => this.#iterators.delete(queue);
    const pull = () => this.#session && this.#drive();
    const queue = new MessageQueue(pull, forget, this.#options.maxBuffered, (n) => this.#lagged(n));
    this.#iterators.add(queue);
    if (this.#finished) this.#finish();
    return queue;
  }

  // ---- the driver ----

  /** Feeds the session one input or call, `fn(session, now)`, then carries out what it asks. */
  #input(fn) {
    try {
      return fn(this.#session, now());
    } catch (e) {
      throw e.code === undefined ? e : fromSession(e);
    } finally {
      this.#drive();
    }
  }

  /** Transmits, events and messages until the session has none left, then the timer. Re-entrant calls loop here. */
  #drive() {
    if (this.#driving) return void (this.#again = true);
    const s = this.#session;
    this.#driving = true;
    try {
      do {
        this.#again = false;
        for (let t = s.pollTransmit(); t; t = s.pollTransmit()) this.#transmit(t);
        for (let e = s.pollEvent(); e; e = s.pollEvent()) this.#event(e);
        this.#deliver();
        if (s.state === 'ended' && !this.#finished) this.#finish();
      } while (this.#again);
    } finally {
      this.#driving = false;
    }
    clearTimeout(this.#timer);
    const at = s.nextDeadline();
    if (at !== undefined) this.#timer = setTimeout(() => this.#input((s, t) => s.tick(t)), Math.ceil(at - now()));
  }

  #transmit(t) {
    if (t.type === 'connect') this.#connect();
    else if (t.type === 'frame') this.conn.send(t.text ?? t.data);
    else if (t.type === 'close') this.#drop(this.conn, t.code, t.reason);
    // 'ping': a browser's WebSocket cannot send one (it answers the server's).
  }

  #connect() {
    const failed = (reason) => this.#input((s, t) => s.connectFailed(t, { name: 'Connect', reason }));
    let ws;
    try {
      ws = new (this.#options.WebSocket ?? globalThis.WebSocket)(this.#url, this.#options.protocols);
    } catch (e) {
      return failed(String(e?.message ?? e));
    }
    ws.binaryType = 'arraybuffer';
    this.conn = ws;
    let open = false;
    ws.onopen = () => {
      open = true;
      this.#input((s, t) => s.socketOpened(t));
    };
    ws.onmessage = (event) => this.#input((s, t) => s.received(t, event.data));
    ws.onerror = (event) => {
      if (open) return this.#report(new LhttpError('Socket', 'WebSocket error'), event); // its close follows
      this.#drop(ws); // some WebSockets (Node 20's) never fire `close` for a failed attempt
      failed(UNOPENED);
    };
    ws.onclose = (event) => {
      this.#drop(ws);
      if (!open) return failed(UNOPENED);
      this.#closeEvent = event;
      // 1005 and 1006 are how a WebSocket says "no close frame".
      const code = event.code === 1005 || event.code === 1006 ? null : event.code;
      this.#input((s, t) => s.socketClosed(t, code, event.reason));
    };
  }

  /** Stops listening to `ws`, closing it with `code` when given: the session counts it as gone. */
  #drop(ws, code, reason) {
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    if (code === undefined || ws.readyState > 1) return;
    try {
      ws.close(code, reason);
    } catch {
      ws.close(); // a code a browser will not send (it allows 1000 and 3000-4999)
    }
  }

  #event(e) {
    switch (e.type) {
      case 'opened':
        for (const w of this.#openWaiters.splice(0)) w.resolve();
        return this.#call('on_open', new Context(this.#transport, null));
      case 'acked':
        return this.#settle(e.id, (p) => p.resolve(p.map(e)));
      case 'failed':
        return this.#settle(e.id, (p) => p.reject(fromSession(e.error, { id: e.error.id ?? String(e.id) })));
      case 'closed': {
        const context = new Context(this.#transport, null);
        context.event = this.#closeEvent ?? { type: 'close', code: e.code, reason: e.reason };
        this.#closeEvent = undefined;
        return this.#call('on_close', context);
      }
      case 'connect_failed':
        return this.#report(fromSession(e.error));
      case 'gave_up':
        this.#ended = fromSession(e.asError);
        return this.#report(this.#ended);
      case 'recovered':
      case 'unrecovered': {
        // The channel's missed messages go first to whoever takes messages now.
        this.#deliver();
        if (e.asError) this.#report(fromSession(e.asError, { channel: e.channel }));
        const context = new Context(this.#transport, null);
        context.channel = e.channel;
        return this.#call(`on_${e.type}`, context);
      }
      case 'token_needed':
        return this.#getToken(this.#options.getToken, [], (s, t, token) => s.setToken(t, token), (s, t, e) => s.tokenFailed(t, e));
      case 'subscription_token_needed': {
        const { channel } = e;
        const set = (s, t, token) => s.setSubscriptionToken(t, channel, token ?? null);
        return this.#getToken(this.#options.getSubscriptionToken, [channel], set, (s, t, e) => s.subscriptionTokenFailed(t, channel, e));
      }
      default:
        // server_error, restore_refused, refresh_failed, unsubscribed, lagged, unreadable: the error every SDK shows for them.
        // ('reconnecting' has none: the session's deadline brings the next attempt.)
        if (e.asError) this.#report(fromSession(e.asError, { channel: e.channel }), undefined, e.reply);
    }
  }

  /**
   * Runs the application's token callback `get(...args)` (the session asked: on connect, on
   * reconnect, before expiry, or for a channel's subscribe) and hands its answer to the session:
   * `set(session, now, token)`, or `failed(session, now, { name: 'Io', reason })` when it throws,
   * rejects or gives no string. When to ask is the session's decision.
   */
  async #getToken(get, args, set, failed) {
    let token;
    try {
      token = await get(...args);
    } catch (e) {
      return this.#input((s, t) => failed(s, t, { name: 'Io', reason: `the token callback failed: ${e?.message ?? e}` }));
    }
    const subscription = args.length > 0;
    if (typeof token !== 'string' && !(subscription && (token === null || token === undefined))) {
      return this.#input((s, t) => failed(s, t, { name: 'Io', reason: 'the token callback gave no string' }));
    }
    this.#input((s, t) => set(s, t, token));
  }

  #settle(id, fn) {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (pending) fn(pending);
  }

  /** Hands buffered messages to `on_message` and every iterator while one of them takes them. */
  #deliver() {
    const takes = () => this.#onMessage !== noop || [...this.#iterators].some((q) => q.waiting);
    for (let msg; takes() && (msg = this.#session.pollMessage()); ) {
      for (const q of this.#iterators) q.push(msg);
      this.#call('on_message', new Context(this.#transport, msg));
    }
  }

  /** The session ended: whenOpen() rejects, iterators get what is still buffered, then end. */
  #finish() {
    this.#finished = true;
    this.#ended ??= new LhttpError('Closed', 'the client is closed');
    for (const w of this.#openWaiters.splice(0)) w.reject(this.#ended);
    for (let msg; this.#iterators.size && (msg = this.#session?.pollMessage()); ) {
      for (const q of this.#iterators) q.push(msg);
    }
    for (const q of [...this.#iterators]) q.end();
  }

  /** Makes a request of the session (`call(session, now)` returns its id); resolves with `map(acked event)`. */
  async #ask(call, map) {
    await this.#loading;
    return new Promise((resolve, reject) => this.#input((s, t) => this.#pending.set(call(s, t), { resolve, reject, map })));
  }

  /** Sends the message `bytes()` gives once the session exists (errors then go to `on_error`). */
  #sendSoon(bytes) {
    if (this.#session) return void this.#input((s, t) => s.send(t, bytes()));
    const later = () => {
      try {
        this.#input((s, t) => s.send(t, bytes()));
      } catch (e) {
        this.#report(e instanceof LhttpError ? e : new LhttpError(e.code ?? 'Internal', e.message, { cause: e }));
      }
    };
    this.#loading.then(later, noop); // a codec that cannot load is reported once, by the constructor
  }

  /** An iterator that was not read dropped its oldest messages (as the session does past maxBuffered). */
  #lagged(dropped) {
    this.#report(new LhttpError('Lagged', `${dropped} received messages were dropped unread by an iterator (it holds maxBuffered)`));
  }

  #report(error, event, msg = null) {
    const context = new Context(this.#transport, msg);
    context.error = error;
    context.event = event;
    this.#call('on_error', context);
  }

  #call(name, context) {
    try {
      this[name](context);
    } catch (e) {
      // A throwing callback must not break the connection; surface it asynchronously.
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

/** Channel names from names and (nested) arrays of names; each string is one name. */
function names(channels) {
  return channels.flat(Infinity).map(String);
}
