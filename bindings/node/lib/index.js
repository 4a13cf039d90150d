'use strict'
// The entry point of @lhttp/node: the Rust codec (parse, encode, encodeMultipart,
// encodeInto, encodeMultipartInto, Message, Part), the client (connect, Client) and
// HTTP publishing (httpPublish).
// The generated ../index.js loads the native addon for this platform; this file
// only adapts argument shapes.

const native = require('../index.js')
const { toInit, toMultipartInit, toPairs, toChannels, checkOptions } = require('./fields.js')
const { Client, connect } = require('./client.js')

/** The options `httpPublish()` takes. */
const HTTP_PUBLISH_OPTIONS = Object.freeze(['command', 'headers', 'token'])

/** Encodes `{command, headers, body}` as LHTTP bytes; throws an Error whose `code` is the core error name. */
function encode(msg) {
  return native.encode(toInit(msg))
}

/** Encodes `{command, headers, parts: [{headers, body}]}` as a multipart LHTTP message. */
function encodeMultipart(msg) {
  return native.encodeMultipart(toMultipartInit(msg))
}

/** Encodes a message into `out` and returns the bytes written; throws code `BufferTooSmall` when it does not fit. */
function encodeInto(msg, out) {
  return native.encodeInto(toInit(msg), out)
}

/** Encodes a multipart message into `out` and returns the bytes written. */
function encodeMultipartInto(msg, out) {
  return native.encodeMultipartInto(toMultipartInit(msg), out)
}

/**
 * Publishes through the server's HTTP endpoint (`POST {url}/publish`, `http://` or
 * `https://`) without a WebSocket; resolves with the number of deliveries.
 * `options.command` defaults to `chat`; `options.token` is sent as a bearer token.
 */
async function httpPublish(url, channels, body, options) {
  const { command, headers, token } = checkOptions(options, HTTP_PUBLISH_OPTIONS, 'httpPublish') ?? {}
  return native.httpPublish(url, toChannels([channels]), body ?? undefined, command, toPairs(headers), token)
}

module.exports = {
  parse: native.parse,
  channelList: native.channelList,
  errorNames: native.errorNames,
  serverErrorNames: native.serverErrorNames,
  encode,
  encodeMultipart,
  encodeInto,
  encodeMultipartInto,
  Message: native.Message,
  Part: native.Part,
  connect,
  Client,
  httpPublish,
}
