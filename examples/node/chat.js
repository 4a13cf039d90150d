#!/usr/bin/env node
'use strict'
// A terminal chat client on @lhttp/node: every line typed (or piped) on stdin is
// published to the room, and every message of the room is printed as it arrives.
//
//   node examples/node/chat.js ws://127.0.0.1:8081/ room [name]
//
// Ctrl-D (end of input) or Ctrl-C leaves the room and exits.

const readline = require('node:readline')
const lhttp = loadLhttp()

/** The published package when installed, else the one in this repository. */
function loadLhttp() {
  try {
    return require('@lhttp/node')
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes('@lhttp/node')) throw err
    return require('../../bindings/node/lib')
  }
}

async function main() {
  const [url, room, name] = process.argv.slice(2)
  if (!url || !room) {
    console.error('usage: node examples/node/chat.js <ws://host:port/> <room> [name]')
    process.exitCode = 2
    return
  }
  const client = await lhttp.connect(url, { reconnect: true })
  const me = name || client.clientId || 'node'

  client.on('message', (msg) => {
    if (msg.command === 'error') {
      console.error(`! ${msg.header('code')}: ${msg.header('detail')}`)
    } else {
      console.log(`${msg.header('from') ?? '?'}: ${msg.text ?? `<${msg.body.length} bytes>`}`)
    }
  })
  client.on('error', (err) => console.error(`! ${err.code}: ${err.message}`))
  await client.subscribe(room)
  const id = client.clientId && client.clientId !== me ? ` (client ${client.clientId})` : ''
  console.error(`joined ${room} as ${me}${id}; type a line to send it, Ctrl-D to leave`)

  // Lines are published one after another, so they arrive in the order typed and
  // all of them are acknowledged before the client closes.
  let sending = Promise.resolve()
  const input = readline.createInterface({ input: process.stdin })
  input.on('line', (line) => {
    if (line.trim() === '') return
    sending = sending.then(() =>
      client.publish(room, line, { command: 'chat', headers: { from: me } }).catch((err) => {
        console.error(`! not sent (${err.code}): ${err.message}`)
      }),
    )
  })
  let leaving
  const leave = () =>
    (leaving ??= (async () => {
      input.close()
      await sending
      await client.close()
    })())
  process.once('SIGINT', leave)
  input.once('close', () => {
    process.off('SIGINT', leave)
    leave()
  })
}

main().catch((err) => {
  console.error(`chat: ${err.code ? `${err.code}: ` : ''}${err.message}`)
  process.exitCode = 1
})
