'use strict'
// Turns the friendly shapes JavaScript callers write (header objects, Maps, single
// channel names) into the plain shapes the native addon takes. No protocol rules
// live here: the Rust codec checks every value.

/**
 * Headers as ordered [name, value] pairs, from an array of pairs, a Map or a plain object.
 * @param {Array<[string, string]> | Map<string, string> | Record<string, string> | undefined | null} headers
 * @returns {Array<[string, string]> | undefined}
 */
function toPairs(headers) {
  if (headers == null) return undefined
  if (Array.isArray(headers)) return headers.map(([name, value]) => [String(name), String(value)])
  if (headers instanceof Map) return [...headers].map(([name, value]) => [String(name), String(value)])
  if (typeof headers === 'object') return Object.entries(headers).map(([name, value]) => [name, String(value)])
  throw new TypeError('headers must be an array of [name, value] pairs, a Map or an object')
}

/**
 * A message description for the addon: command, header pairs and body.
 * @param {{command: string, headers?: any, body?: string | Uint8Array}} msg
 */
function toInit(msg) {
  if (msg == null || typeof msg !== 'object') throw new TypeError('expected a message object {command, headers, body}')
  return { command: msg.command, headers: toPairs(msg.headers), body: msg.body ?? undefined }
}

/**
 * A multipart description for the addon: the message's fields and each part's.
 * @param {{command: string, headers?: any, parts: Array<{headers?: any, body?: string | Uint8Array}>}} msg
 */
function toMultipartInit(msg) {
  if (msg == null || typeof msg !== 'object') throw new TypeError('expected {command, headers, parts}')
  const parts = Array.isArray(msg.parts) ? msg.parts : []
  return {
    command: msg.command,
    headers: toPairs(msg.headers),
    parts: parts.map((p) => ({ headers: toPairs(p.headers), body: p.body ?? undefined })),
  }
}

/**
 * Channel names from `'a'`, `['a', 'b']` or `('a', ['b', 'c'])`, flattened.
 * @param {Array<string | string[]>} channels
 * @returns {string[]}
 */
function toChannels(channels) {
  return channels.flat().map(String)
}

/**
 * `options` itself when each of its keys is one of `known`; a TypeError naming the
 * first unknown one otherwise (a misspelt or unit-less option such as `timeout`
 * would else be ignored without a word).
 * @template T
 * @param {T | undefined | null} options
 * @param {readonly string[]} known
 * @param {string} what the call whose options these are, for the message
 * @returns {T | undefined}
 */
function checkOptions(options, known, what) {
  if (options == null) return undefined
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${what} options must be an object`)
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`unknown ${what} option '${key}' (known: ${known.join(', ')}; durations are in milliseconds)`)
    }
  }
  return options
}

/**
 * A position for the addon, as its `epoch:offset` text (read by core, which refuses a
 * malformed one with code `Position`): from that text, or from `{epoch, offset}` with the
 * offset a number or a bigint.
 * @param {{epoch: string, offset: number | bigint} | string | undefined | null} position
 * @param {string} what the option, for the message
 * @returns {string | undefined}
 */
function toPosition(position, what) {
  if (position == null) return undefined
  if (typeof position === 'string') return position
  if (
    typeof position === 'object' &&
    typeof position.epoch === 'string' &&
    (typeof position.offset === 'number' || typeof position.offset === 'bigint')
  ) {
    return `${position.epoch}:${position.offset}`
  }
  throw new TypeError(`${what} must be a position {epoch, offset} or its 'epoch:offset' string`)
}

module.exports = { toPairs, toInit, toMultipartInit, toChannels, checkOptions, toPosition }
