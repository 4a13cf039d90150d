// Lhttp: a WebSocket client for lhttp servers. It keeps the original SDK's shape
// (`new Lhttp(url)`, `on_open` / `on_message` / `on_close` / `on_error` called
// with a Context, `client.context`) and adds promises acknowledged by the server
// (`id` header -> `ack` / `error` reply), an async iterator of messages, and
// automatic reconnect with backoff that restores the subscriptions.
import { Backoff } from './backoff.js';
import { channelList, decode, encodeMessage, init, isReady, toPairs } from './codec.js';
import { Context } from './context.js';
import { LhttpError } from './errors.js';
import { MessageQueue } from './queue.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Channels per restoring `subscribe` message, below the server's default limit of 64. */
const RESTORE_BATCH = 32;

/** A connection to an lhttp server. */
export class Lhttp {
  /** Called with a Context each time a connection opens (again after a reconnect). */
  on_open = () => {};
  /** Called with a Context for each received message (server `ack`/`error`/`connected` replies excepted). */
  on_message = () => {};
  /** Called with a Context (its `event` is the CloseEvent) each time a connection closes. */
  on_close = () => {};
  /** Called with a Context (its `error` is an LhttpError) for socket errors and unsolicited server errors. */
  on_error = () => {};

  /** The current WebSocket, or null before the first connection attempt. */
  conn = null;
  /** The id the server gave this connection (`connected` message), or null. */
  clientId = null;
  /** A Context with no received message, for sending (the original SDK's `client.context`). */
  context;

  #url;
  #options;
  #transport;
  #backoff;
  #channels = new Set();
  #pending = new Map();
  #outbox = [];
  #iterators = new Set();
  #openWaiters = [];
  #nextId = 1;
  #ready = false;
  #lostSockets = new WeakSet();
  #closed = false;
  #timer = undefined;

  /**
   * @param {string | URL} url the server's WebSocket URL, e.g. `ws://localhost:8081/`
   * @param {object} [options]
   * @param {boolean | object} [options.reconnect=true] reconnect after a lost connection; an object sets
   *   the Backoff (`initialDelay`, `maxDelay`, `factor` in ms)
   * @param {number} [options.timeout=10000] ms to wait for a request's `ack`
   * @param {string | string[]} [options.protocols] WebSocket subprotocols
   * @param {typeof WebSocket} [options.WebSocket] the WebSocket class (default: the global one)
   * @param {*} [options.wasm] what `init()` loads the codec from (default: next to the glue)
   */
  constructor(url, options = {}) {
    this.#url = url;
    this.#options = { reconnect: true, timeout: 10_000, ...options };
    const reconnect = this.#options.reconnect;
    this.#backoff = reconnect ? new Backoff(typeof reconnect === 'object' ? reconnect : {}) : null;
    const client = this;
    this.#transport = {
      send: (bytes) => this.#transmit(bytes),
      get conn() {
        return client.conn;
      },
    };
    this.context = new Context(this.#transport, null);
    this.#loaded().then(
      () => this.#connect(),
      (cause) => this.#report(new LhttpError('Wasm', 'cannot load the wasm codec', { cause })),
    );
  }

  /** Whether a connection is open and its subscriptions restored. */
  get isOpen() {
    return this.#ready;
  }

  /** The channels this client is subscribed to (restored after a reconnect). */
  get channels() {
    return [...this.#channels];
  }

  /** Resolves when a connection is open and restored (at once if one is). Rejects with `Closed` after `close()`. */
  whenOpen() {
    if (this.#ready) return Promise.resolve();
    if (this.#closed) return Promise.reject(new LhttpError('Closed', 'the client is closed'));
    return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
  }

  /**
   * Sends a message without waiting for the server: `{ command, headers, body }`
   * (headers as pairs, Map or object) or a `MultipartBuilder`. Queued until open.
   * Throws an `Error` whose `code` is the core error name for an invalid field
   * (reported to `on_error` instead when called before the codec has loaded).
   */
  send(message) {
    if (isReady()) {
      this.#transmit(encodeMessage(message));
      return;
    }
    this.#loaded().then(() => {
      try {
        this.#transmit(encodeMessage(message));
      } catch (e) {
        this.#report(e instanceof LhttpError ? e : new LhttpError(e.code ?? 'Internal', e.message, { cause: e }));
      }
    }, () => {}); // a codec that cannot load is reported once, by the constructor
  }

  /**
   * Sends a message with an `id` header and resolves with the server's `ack`
   * message; rejects with an LhttpError whose `code` is the server's error code,
   * `Closed` if the connection is lost first, or `Timeout`; an invalid field
   * rejects with the core error name as `code`.
   */
  async request(message) {
    await this.#loaded();
    return this.#ask(message, (bytes, id) => this.#transmit(bytes, id));
  }

  /** Subscribes to channels (names or arrays of names); resolves once the server has added them. */
  async subscribe(...channels) {
    await this.#loaded();
    const list = channelList(channels);
    const added = this.#channelsOf(list).filter((c) => !this.#channels.has(c));
    try {
      await this.request({ command: 'subscribe', headers: [['subscribe', list]] });
    } catch (e) {
      // Refused by the server: do not restore what it never added.
      if (e.code !== 'Closed' && e.code !== 'Timeout') for (const c of added) this.#channels.delete(c);
      throw e;
    }
  }

  /** Unsubscribes from channels; resolves once the server has removed them. */
  async unsubscribe(...channels) {
    await this.request({ command: 'unsubscribe', headers: [['unsubscribe', channelList(channels)]] });
  }

  /**
   * Publishes `body` to `channels`; resolves with `{ deliveries }`, the number of
   * subscribers the server delivered it to. `options.command` (default `publish`)
   * and `options.headers` shape the published message.
   */
  async publish(channels, body, { command = 'publish', headers } = {}) {
    const ack = await this.request({
      command,
      headers: [['publish', channelList(channels)], ...toPairs(headers)],
      body,
    });
    return { deliveries: Number(ack.header('deliveries') ?? 0) };
  }

  /** Closes the connection for good: no reconnect, iterators end, pending requests reject with `Closed`. */
  close(code = 1000, reason = '') {
    this.#closed = true;
    this.#ready = false;
    clearTimeout(this.#timer);
    this.#rejectPending(() => true);
    for (const w of this.#openWaiters.splice(0)) w.reject(new LhttpError('Closed', 'the client is closed'));
    for (const q of [...this.#iterators]) q.end();
    this.#outbox.length = 0;
    if (this.conn && this.conn.readyState < 2) this.conn.close(code, reason);
  }

  /** `for await (const msg of client)`: every received message (wasm `Message`) until `close()`. */
  [Symbol.asyncIterator]() {
    const queue = new MessageQueue(() => this.#iterators.delete(queue));
    if (this.#closed) queue.end();
    else this.#iterators.add(queue);
    return queue;
  }

  /** Resolves once the wasm codec is loaded (the constructor started loading it). */
  #loaded() {
    return init(this.#options.wasm);
  }

  /** Sends `message` with a fresh `id` header through `send` and awaits its `ack` or `error`. */
  #ask(message, send) {
    const id = `r${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      const bytes = encodeMessage(message, [['id', id]]);
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new LhttpError('Timeout', `no ack for request ${id}`, { id }));
      }, this.#options.timeout);
      const settle = (fn) => (value) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        fn(value);
      };
      this.#pending.set(id, { resolve: settle(resolve), reject: settle(reject), sent: false });
      send(bytes, id);
    });
  }

  #connect() {
    if (this.#closed) return;
    const WS = this.#options.WebSocket ?? globalThis.WebSocket;
    let ws;
    try {
      ws = new WS(this.#url, this.#options.protocols);
    } catch (cause) {
      this.#report(new LhttpError('Socket', String(cause?.message ?? cause), { cause }));
      this.#scheduleReconnect();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.conn = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#opened(ws).catch((cause) => this.#report(new LhttpError('Internal', String(cause), { cause })));
    };
    ws.onmessage = (event) => this.#received(event.data);
    ws.onerror = (event) => {
      this.#report(new LhttpError('Socket', 'WebSocket error'), event);
      // A failed connection attempt is lost at once: some WebSocket implementations
      // (Node 20's) never fire `close` for it. #lost ignores a later `close`.
      if (!opened) this.#lost(ws, event);
    };
    ws.onclose = (event) => this.#lost(ws, event);
  }

  /**
   * A connection opened: first the subscriptions are restored (and acknowledged),
   * then queued messages go out, then `whenOpen()` resolves and `on_open` runs.
   */
  async #opened(ws) {
    if (ws !== this.conn) return;
    this.#backoff?.reset();
    const channels = [...this.#channels];
    const restores = [];
    for (let i = 0; i < channels.length; i += RESTORE_BATCH) {
      const list = channels.slice(i, i + RESTORE_BATCH).join(' ');
      const message = { command: 'subscribe', headers: [['subscribe', list]] };
      restores.push(this.#ask(message, (bytes, id) => this.#write(bytes, id)));
    }
    const results = await Promise.allSettled(restores);
    // Lost (or replaced) while restoring: the next connection starts over.
    if (ws !== this.conn || this.#closed || this.#lostSockets.has(ws)) return;
    for (const result of results) {
      if (result.status === 'rejected') this.#report(result.reason);
    }
    this.#ready = true;
    for (const { bytes, id } of this.#outbox.splice(0)) this.#write(bytes, id);
    for (const w of this.#openWaiters.splice(0)) w.resolve();
    this.#call('on_open', new Context(this.#transport, null));
  }

  #received(data) {
    let msg;
    try {
      msg = decode(data);
    } catch (cause) {
      this.#report(new LhttpError('Protocol', `unreadable message (${cause.code ?? cause})`, { cause }));
      return;
    }
    switch (msg.command) {
      case 'connected':
        this.clientId = msg.header('client-id') ?? null;
        return;
      case 'ack':
        this.#pending.get(msg.header('id'))?.resolve(msg);
        return;
      case 'error': {
        const error = LhttpError.fromReply(msg);
        const pending = this.#pending.get(error.id);
        if (pending) pending.reject(error);
        else this.#report(error, undefined, msg);
        return;
      }
      default:
        for (const q of this.#iterators) q.push(msg);
        this.#call('on_message', new Context(this.#transport, msg));
    }
  }

  #lost(ws, event) {
    if (ws !== this.conn || this.#lostSockets.has(ws)) return;
    this.#lostSockets.add(ws);
    this.#ready = false;
    this.#rejectPending((p) => p.sent);
    const context = new Context(this.#transport, null);
    context.event = event;
    this.#call('on_close', context);
    if (this.#closed) return;
    // 1008: the server refused this client; 4001: a newer connection with the
    // same key took over. Reconnecting would only fight it, so stop.
    const final = event && (event.code === 1008 || event.code === 4001);
    if (this.#backoff && !final) this.#scheduleReconnect();
    else this.close();
  }

  #scheduleReconnect() {
    if (this.#closed || !this.#backoff) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#connect(), this.#backoff.next());
  }

  /** Every outgoing message passes here: subscriptions are tracked, then it is written or queued. */
  #transmit(bytes, id) {
    if (this.#closed) throw new LhttpError('Closed', 'the client is closed');
    this.#track(bytes);
    if (this.#ready) this.#write(bytes, id);
    else this.#outbox.push({ bytes, id });
  }

  #write(bytes, id) {
    let text = null;
    try {
      text = UTF8.decode(bytes);
    } catch {
      // Not UTF-8: sent as a binary frame.
    }
    this.conn.send(text ?? bytes);
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (pending) pending.sent = true;
  }

  /** Reads the channels an outgoing message subscribes or unsubscribes (core's channel rules). */
  #track(bytes) {
    const msg = decode(bytes);
    try {
      for (const c of msg.channels('subscribe')) this.#channels.add(c);
      for (const c of msg.channels('unsubscribe')) this.#channels.delete(c);
    } finally {
      msg.free();
    }
  }

  /** The channels of a channel-list header value, split by core. */
  #channelsOf(list) {
    const msg = decode(encodeMessage({ command: 'subscribe', headers: [['subscribe', list]] }));
    try {
      return msg.channels('subscribe');
    } finally {
      msg.free();
    }
  }

  #rejectPending(which) {
    for (const [id, p] of [...this.#pending]) {
      if (which(p)) p.reject(new LhttpError('Closed', 'the connection closed before the ack', { id }));
    }
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
