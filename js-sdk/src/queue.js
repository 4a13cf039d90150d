// MessageQueue: one `for await (const msg of client)` iterator. A waiting consumer pulls from
// the session's buffer; what arrives while it is busy is kept in order, at most `limit` (then
// the oldest is dropped and `dropped(n)` told); `end()` finishes once drained.

/** An async queue implementing the async iterator protocol. */
export class MessageQueue {
  #items = [];
  #waiting = [];
  #done = false;
  #drops = 0;

  /**
   * @param {() => void} pull asks for messages while a consumer waits
   * @param {() => void} onReturn called once when the consumer stops or the queue ends
   * @param {number} [limit] the most messages kept
   * @param {(n: number) => void} [dropped] told how many were dropped (once per tick)
   */
  constructor(pull, onReturn, limit = Infinity, dropped = () => {}) {
    this.pull = pull;
    this.onReturn = onReturn;
    this.limit = limit;
    this.dropped = dropped;
  }

  /** Whether a consumer waits for a message. */
  get waiting() {
    return this.#waiting.length > 0;
  }

  /** Adds a message for the consumer. */
  push(item) {
    if (this.#done) return;
    const waiter = this.#waiting.shift();
    if (waiter) return waiter({ value: item, done: false });
    if (this.#items.length >= this.limit) {
      this.#items.shift();
      if (this.#drops++ === 0) queueMicrotask(() => this.dropped(this.#drops, (this.#drops = 0)));
    }
    this.#items.push(item);
  }

  /** Ends the iteration once the queued messages are consumed. */
  end() {
    if (this.#done) return;
    this.#done = true;
    for (const waiter of this.#waiting.splice(0)) waiter({ value: undefined, done: true });
    this.onReturn();
  }

  next() {
    if (this.#items.length) return Promise.resolve({ value: this.#items.shift(), done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    const next = new Promise((resolve) => this.#waiting.push(resolve));
    this.pull();
    return next;
  }

  return() {
    this.#items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
