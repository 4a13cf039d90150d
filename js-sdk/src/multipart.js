// MultipartBuilder: assembles a multipart message (`multipart:<offsets>` plus
// parts of `<headers>\r\n<body>`). The offsets and the bytes are computed by the
// wasm codec's `encodeMultipart`; the builder only collects the pieces.
import { encodeParts, toPairs } from './codec.js';

/** Collects the command, headers and parts of a multipart message. */
export class MultipartBuilder {
  #command;
  #headers = [];
  #parts = [];

  /** @param {string} command the message's command, e.g. `upload` */
  constructor(command) {
    this.#command = command;
  }

  /** Adds a message header (before the `multipart` header). Returns the builder. */
  header(name, value) {
    this.#headers.push([String(name), String(value)]);
    return this;
  }

  /** Adds a part: its headers (pairs, `Map` or object) and body (string or bytes). Returns the builder. */
  part(headers, body) {
    this.#parts.push({ headers: toPairs(headers), body: body ?? '' });
    return this;
  }

  /** How many parts have been added. */
  get size() {
    return this.#parts.length;
  }

  /**
   * The encoded message; `extra` headers are written after the builder's own.
   * Throws an `Error` whose `code` is the core error name (`PartOffset` for no parts).
   */
  encode(extra = []) {
    return encodeParts(this.#command, [...this.#headers, ...extra], this.#parts);
  }
}
