// MessageQueue: the buffer behind `for await (const msg of client)`. Messages
// pushed while nobody awaits are kept in order; `end()` finishes the iteration.

/** An unbounded async queue implementing the async iterator protocol. */
export class MessageQueue {
  #items = [];
  #waiting = [];
  #done = false;
  #onReturn;

  /** @param {() => void} onReturn called once when the consumer stops or the queue ends */
  constructor(onReturn) {
    this.#onReturn = onReturn;
  }

  /** Adds a message for the consumer. */
  push(item) {
    if (this.#done) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter({ value: item, done: false });
    else this.#items.push(item);
  }

  /** Ends the iteration once the buffered messages are consumed. */
  end() {
    if (this.#done) return;
    this.#done = true;
    for (const waiter of this.#waiting.splice(0)) waiter({ value: undefined, done: true });
    this.#onReturn();
  }

  next() {
    if (this.#items.length) return Promise.resolve({ value: this.#items.shift(), done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
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
