'use strict'
// The JavaScript face of a connection: a `Client` that is an EventEmitter
// ('message', 'error', 'close', 'recovered', 'unrecovered') and an async iterator of
// messages, over the native client's pull-based `recv()` and `recovery()`. Only one
// loop ever pulls messages from the native side; it fans each message out to listeners
// and to every open iterator. Recovery notices have a loop of their own, started by the
// first 'recovered' or 'unrecovered' listener.

const { EventEmitter } = require('node:events')
const native = require('../index.js')
const { toInit, toPairs, toChannels, checkOptions, toPosition } = require('./fields.js')

/** The options `connect()` takes; every duration is in milliseconds. */
const CONNECT_OPTIONS = Object.freeze([
  'reconnect',
  'pingIntervalMs',
  'connectTimeoutMs',
  'requestTimeoutMs',
  'initialBackoffMs',
  'maxBackoffMs',
  'maxAttempts',
  'maxBuffered',
  'caPem',
  'origin',
  'token',
  'getToken',
  'getSubscriptionToken',
])

/** The options `publish()` takes. */
const PUBLISH_OPTIONS = Object.freeze(['command', 'headers'])

/** The options `history()` takes. */
const HISTORY_OPTIONS = Object.freeze(['limit', 'since', 'reverse'])

/** The largest `limit` (the addon takes a u32). */
const MAX_LIMIT = 0xffff_ffff

/** A live connection to an lhttp server. Create it with `connect(url, options)`. */
class Client extends EventEmitter {
  /** @type {import('../index').NativeClient} */
  #native
  /** Whether the receive loop has started. */
  #pumping = false
  /** Whether the recovery loop has started. */
  #recovering = false
  /** Whether the connection has ended (after 'close' is emitted). */
  #closed = false
  /** The queues of the open async iterators. */
  #iterators = new Set()

  /** @param {import('../index').NativeClient} nativeClient */
  constructor(nativeClient) {
    super()
    this.#native = nativeClient
    // Messages wait in the native queue until someone listens or iterates, so
    // nothing is lost between `connect()` and attaching a listener.
    this.on('newListener', (event) => {
      if (event === 'message') queueMicrotask(() => this.#pump())
      if (event === 'recovered' || event === 'unrecovered') queueMicrotask(() => this.#recoveries())
    })
  }

  /** The id the server gave this connection, or null. */
  get clientId() {
    return this.#native.clientId ?? null
  }

  /** Whether the connection has ended. */
  get closed() {
    return this.#closed
  }

  /** Sends a message `{command, headers, body}`. */
  send(msg) {
    return this.#native.send(toInit(msg))
  }

  /** Sends already-encoded LHTTP bytes unchanged. */
  sendRaw(bytes) {
    return this.#native.sendRaw(bytes)
  }

  /** Subscribes to channels (`subscribe('a', 'b')` or `subscribe(['a', 'b'])`); resolves on the server's ack. */
  subscribe(...channels) {
    return this.#native.subscribe(toChannels(channels))
  }

  /** Unsubscribes from channels; resolves on the server's ack. */
  unsubscribe(...channels) {
    return this.#native.unsubscribe(toChannels(channels))
  }

  /**
   * Publishes `body` to one channel or several as a message with `command`
   * (default `chat`); resolves with the number of deliveries the server reported
   * in its ack.
   * @param {string | string[]} channels
   * @param {string | Uint8Array} [body]
   * @param {{command?: string, headers?: any}} [options]
   */
  async publish(channels, body, options) {
    const { command, headers } = checkOptions(options, PUBLISH_OPTIONS, 'publish') ?? {}
    return this.#native.publish(toChannels([channels]), body ?? undefined, command, toPairs(headers))
  }

  /**
   * The last position seen of a subscribed channel with history, `{epoch, offset}`
   * (where a reconnect recovers from), or null for a channel without history or not
   * subscribed.
   * @param {string} channel
   */
  position(channel) {
    return this.#native.position(String(channel)) ?? null
  }

  /**
   * Reads the recent publications of a channel with history: at most `limit` (the
   * server's cap without), only those after `since` (a position or its `epoch:offset`
   * string), newest first with `reverse`. Resolves with `{channel, position,
   * publications}`; a channel without history rejects with code `NoHistory`.
   * @param {string} channel
   * @param {{limit?: number, since?: {epoch: string, offset: number | bigint} | string, reverse?: boolean}} [options]
   */
  async history(channel, options) {
    const { limit, since, reverse } = checkOptions(options, HISTORY_OPTIONS, 'history') ?? {}
    if (limit != null && !(Number.isInteger(limit) && limit >= 0 && limit <= MAX_LIMIT)) {
      throw new TypeError(`history option 'limit' must be an integer from 0 to ${MAX_LIMIT}`)
    }
    if (reverse != null && typeof reverse !== 'boolean') {
      throw new TypeError("history option 'reverse' must be a boolean")
    }
    const found = await this.#native.history(
      String(channel),
      limit ?? undefined,
      toPosition(since, "history option 'since'"),
      reverse ?? undefined,
    )
    return { channel: found.channel, position: found.position, publications: found.publications }
  }

  /**
   * Asks who is in a channel with presence (spec section 15). Resolves with `{members,
   * stats, capped}`: the members `{client, uid, info}` ordered by client id, the complete
   * counts `{connections, users}`, and whether the server listed fewer members than there
   * are. A channel whose namespace has no presence rejects with code `NoPresence`.
   * @param {string} channel
   */
  async presence(channel) {
    return this.#native.presence(String(channel))
  }

  /**
   * Asks only for a channel's counts: resolves with `{connections, users}`. Rejects like
   * `presence()`.
   * @param {string} channel
   */
  async presenceStats(channel) {
    return this.#native.presenceStats(String(channel))
  }

  /** Closes the connection; the 'close' event follows and iterators end. */
  async close() {
    await this.#native.close()
    if (!this.#pumping) this.#finish()
  }

  /** Messages as they arrive, until the connection closes. */
  [Symbol.asyncIterator]() {
    const queue = { items: [], waiting: [] }
    if (this.#closed) queue.done = true
    else this.#iterators.add(queue)
    this.#pump()
    const stop = () => {
      this.#iterators.delete(queue)
      queue.done = true
      for (const w of queue.waiting.splice(0)) w.resolve({ value: undefined, done: true })
    }
    return {
      next: () => {
        const item = queue.items.shift()
        if (item) return item.error ? Promise.reject(item.error) : Promise.resolve({ value: item.message, done: false })
        if (queue.done) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve, reject) => queue.waiting.push({ resolve, reject }))
      },
      return: () => {
        stop()
        return Promise.resolve({ value: undefined, done: true })
      },
      [Symbol.asyncIterator]() {
        return this
      },
    }
  }

  /** The one receive loop: pulls until the native side reports the end. */
  async #pump() {
    if (this.#pumping || this.#closed) return
    this.#pumping = true
    for (;;) {
      let message
      try {
        message = await this.#native.recv()
      } catch (error) {
        this.#deliver({ error })
        continue
      }
      if (message === null) break
      this.#deliver({ message })
    }
    this.#finish()
  }

  /**
   * The recovery loop: emits 'recovered' or 'unrecovered' with the channel for each
   * notice, until the native side reports the end. (An unrecovered channel is also an
   * 'error' with code `Unrecovered`, from the receive loop.)
   */
  async #recoveries() {
    if (this.#recovering) return
    this.#recovering = true
    for (let r; (r = await this.#native.recovery()) !== null; ) {
      this.emit(r.recovered ? 'recovered' : 'unrecovered', r.channel)
    }
  }

  /** Hands one message or error to the listeners and the iterators. */
  #deliver(item) {
    for (const queue of this.#iterators) {
      const waiter = queue.waiting.shift()
      if (!waiter) queue.items.push(item)
      else if (item.error) waiter.reject(item.error)
      else waiter.resolve({ value: item.message, done: false })
    }
    if (item.error) {
      // An unheard 'error' would throw out of the loop; iterators still see it.
      if (this.listenerCount('error') > 0) this.emit('error', item.error)
    } else {
      this.emit('message', item.message)
    }
  }

  /** Marks the end once: ends every iterator and emits 'close'. */
  #finish() {
    if (this.#closed) return
    this.#closed = true
    for (const queue of this.#iterators) {
      queue.done = true
      for (const w of queue.waiting.splice(0)) w.resolve({ value: undefined, done: true })
    }
    this.#iterators.clear()
    this.emit('close')
  }
}

/**
 * Connects to an lhttp server and resolves once the server has greeted the connection.
 * An option not in `CONNECT_OPTIONS` is a TypeError naming it.
 * @param {string} url `ws://host:port/path` or `wss://...`
 * @param {import('../index').ConnectOptions} [options] durations in milliseconds
 * @returns {Promise<Client>}
 */
async function connect(url, options) {
  const { getToken, getSubscriptionToken, ...rest } = checkOptions(options, CONNECT_OPTIONS, 'connect') ?? {}
  for (const [name, fn] of [['getToken', getToken], ['getSubscriptionToken', getSubscriptionToken]]) {
    if (fn != null && typeof fn !== 'function') throw new TypeError(`connect option '${name}' must be a function`)
  }
  if (rest.token != null && typeof rest.token !== 'string') throw new TypeError("connect option 'token' must be a string")
  if (getToken == null && getSubscriptionToken == null) return new Client(await native.connect(url, rest))
  const requests = new native.TokenRequests(getToken != null, getSubscriptionToken != null)
  answerTokens(requests, getToken, getSubscriptionToken)
  return new Client(await native.connectWithTokens(url, rest, requests))
}

/**
 * The token loop: answers each request of the native client's token callbacks (the
 * session asks: on connect, on reconnect, before expiry, before a subscribe) with the
 * application's `getToken()` or `getSubscriptionToken(channel)`, until the client is gone.
 * A callback that throws or rejects fails that request with `Io` (its message, never a token).
 */
async function answerTokens(requests, getToken, getSubscriptionToken) {
  for (let r; (r = await requests.next()) !== null; ) {
    const channel = r.channel
    Promise.resolve()
      .then(() => (channel == null ? getToken() : getSubscriptionToken(channel)))
      .then(
        (token) => {
          if (typeof token === 'string' || (channel != null && token == null)) r.resolve(token ?? null)
          else r.reject('the token callback gave no string')
        },
        (e) => r.reject(`the token callback failed: ${e?.message ?? e}`),
      )
  }
}

module.exports = { Client, connect, CONNECT_OPTIONS, PUBLISH_OPTIONS, HISTORY_OPTIONS }
