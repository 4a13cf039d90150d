// Context: the original lhttp-javascript-sdk's per-event object, kept method for
// method so old code runs unchanged, without the old bugs:
// - header values holding ':' and bodies holding "\r\n\r\n" are read whole (the
//   wasm codec parses, the old SDK split strings);
// - headers added for one send do not leak into the next (each send starts fresh);
// - getHeader(name) returns that header (the old one returned every header).
import { channelList, encodeMessage, encodeParts, toPairs } from './codec.js';
import { fromSession } from './errors.js';

const utf8 = new TextDecoder();

/** The received message (if any) and the message being built for sending. */
export class Context {
  #transport;
  #req;
  #command = '';
  #headers = [];
  #parts = [];

  /**
   * @param {{ send(bytes: Uint8Array): void, readonly conn?: WebSocket | null }} transport where `send` writes
   * @param {import('../wasm/lhttp_wasm.js').Message | null} message the received message, or null
   */
  constructor(transport, message = null) {
    this.#transport = transport;
    this.#req = message;
    /** The WebSocket event behind an `on_close` / `on_error` call, if any. */
    this.event = undefined;
    /** The error behind an `on_error` call, if any (an `LhttpError`). */
    this.error = undefined;
    /** The channel of an `on_recovered` / `on_unrecovered` call, if any. */
    this.channel = undefined;
  }

  /** The current WebSocket, as in the original SDK. */
  get conn() {
    return this.#transport.conn ?? null;
  }

  /** The received message (a wasm `Message`), or null. */
  get message() {
    return this.#req;
  }

  /** Sets the command of the next message sent from this context. */
  setCommand(command) {
    this.#command = String(command);
  }

  /** The received message's command, or '' without one. */
  getCommand() {
    return this.#req?.command ?? '';
  }

  /** The received message's first header called `name` (case-insensitive), or undefined. */
  getHeader(name) {
    return this.#req?.header(String(name));
  }

  /** Every received header as `[name, value]` pairs in order. */
  getHeaders() {
    return this.#req?.headers ?? [];
  }

  /**
   * The received `join` or `leave` (spec 15.3) as `{ kind, channel, client, uid, info }`, with
   * `reason` for a leave; null for any other message (a publication) or without one. Throws an
   * LhttpError `Internal` for a malformed event.
   */
  presenceEvent() {
    try {
      return this.#req?.presenceEvent() ?? null;
    } catch (e) {
      throw fromSession(e);
    }
  }

  /** Adds a header to the next message sent from this context. */
  addHeader(name, value) {
    this.#headers.push([String(name), String(value)]);
  }

  /** The received body as text (invalid UTF-8 is replaced), or '' without a message. */
  getBody() {
    if (!this.#req) return '';
    return this.#req.text ?? utf8.decode(this.#req.body);
  }

  /** The received body as bytes. */
  getBodyBytes() {
    return this.#req?.body ?? new Uint8Array();
  }

  /** The parts of a received multipart message (wasm `Part`s: `headers`, `header(name)`, `body`, `text`). */
  getMultipart() {
    return this.#req?.parts() ?? [];
  }

  /** Adds a part to the next message, which is then sent as multipart (the original's TODO). */
  appendPart(headers, body) {
    this.#parts.push({ headers: toPairs(headers), body: body ?? '' });
  }

  /**
   * Sends a message: the command set with `setCommand` (else the received one),
   * the headers added since the last send, and `body`. With parts appended, the
   * parts are sent and a non-empty `body` becomes a last part without headers.
   * Throws an `Error` whose `code` is the core error name for an invalid field.
   */
  send(body) {
    const command = this.#command || this.getCommand();
    const headers = this.#headers;
    const parts = this.#parts;
    this.#command = '';
    this.#headers = [];
    this.#parts = [];
    let bytes;
    if (parts.length) {
      if (body != null && body !== '') parts.push({ headers: [], body });
      bytes = encodeParts(command, headers, parts);
    } else {
      bytes = encodeMessage({ command, headers, body });
    }
    this.#transport.send(bytes);
  }

  /** Publishes `body` to `channels` (a name, space-separated names or an array). */
  publish(channels, command, headers, body) {
    this.#assemble('publish', channels, command, headers, body);
  }

  /** Subscribes to `channels`; the client re-subscribes them after a reconnect. */
  subscribe(channels, command, headers, body) {
    this.#assemble('subscribe', channels, command, headers, body);
  }

  /** Unsubscribes from `channels`. */
  unsubscribe(channels, command, headers, body) {
    this.#assemble('unsubscribe', channels, command, headers, body);
  }

  #assemble(kind, channels, command, headers, body) {
    if (command) this.setCommand(command);
    else if (!this.#command) this.setCommand(kind);
    this.addHeader(kind, channelList(channels));
    for (const [name, value] of toPairs(headers)) this.addHeader(name, value);
    this.send(body);
  }
}
