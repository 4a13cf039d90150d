'use strict'
// The entry point of @lhttp/node: the Rust codec (parse, encode, encodeMultipart,
// Message, Part) and the client (connect, Client). The generated ../index.js loads
// the native addon for this platform; this file only adapts argument shapes.

const native = require('../index.js')
const { toInit, toMultipartInit } = require('./fields.js')
const { Client, connect } = require('./client.js')

/** Encodes `{command, headers, body}` as LHTTP bytes; throws an Error whose `code` is the core error name. */
function encode(msg) {
  return native.encode(toInit(msg))
}

/** Encodes `{command, headers, parts: [{headers, body}]}` as a multipart LHTTP message. */
function encodeMultipart(msg) {
  return native.encodeMultipart(toMultipartInit(msg))
}

module.exports = {
  parse: native.parse,
  encode,
  encodeMultipart,
  Message: native.Message,
  Part: native.Part,
  connect,
  Client,
}
