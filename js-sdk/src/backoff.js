// Backoff: the delays between reconnect attempts, growing exponentially up to a
// ceiling, with jitter so many clients of a restarted server do not return at once.

/** Reconnect delays in milliseconds. */
export class Backoff {
  #attempt = 0;

  /**
   * @param {{ initialDelay?: number, maxDelay?: number, factor?: number, random?: () => number }} [options]
   */
  constructor({ initialDelay = 250, maxDelay = 10_000, factor = 2, random = Math.random } = {}) {
    this.initialDelay = initialDelay;
    this.maxDelay = maxDelay;
    this.factor = factor;
    this.random = random;
  }

  /** The delay before the next attempt: half fixed, half random, of the current step. */
  next() {
    const step = Math.min(this.maxDelay, this.initialDelay * this.factor ** this.#attempt);
    this.#attempt += 1;
    return step / 2 + (this.random() * step) / 2;
  }

  /** Starts over after a connection succeeded. */
  reset() {
    this.#attempt = 0;
  }
}
