'use strict'
// A Node client and a Python client (the Python SDK's chat bot example) chat
// through a live lhttpd: Node asks, the Python bot answers on the channel.
// Needs the Python SDK installed in .venv (scripts/test-python.sh, which
// scripts/test runs before the Node stage).

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const readline = require('node:readline')
const lhttp = require('../lib')
const { repo, startServer, exitOf } = require('./support/processes')

const python = process.env.LHTTP_PYTHON || path.join(repo, '.venv', 'bin', 'python')
let server

before(async () => {
  server = await startServer()
})

after(async () => {
  await server?.stop()
})

test('a Node client chats with the Python chat bot', { skip: !fs.existsSync(python) && 'needs the Python SDK in .venv: run scripts/test-python.sh' }, async () => {
  const bot = spawn(python, [path.join(repo, 'examples', 'python', 'chat_bot.py'), server.url, '--channel', 'py-node', '--name', 'pybot'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    // The bot prints one line once it has joined the channel.
    const joined = await new Promise((resolve, reject) => {
      readline.createInterface({ input: bot.stdout }).once('line', resolve)
      bot.once('exit', (code) => reject(new Error(`the bot exited early with ${code}`)))
    })
    assert.match(joined, /pybot: joined py-node/)

    const node = await lhttp.connect(server.url)
    await node.subscribe('py-node')
    const replies = []
    const answered = new Promise((resolve) => {
      node.on('message', (msg) => {
        if (msg.header('from') === 'pybot') {
          replies.push(msg.text)
          if (replies.length === 2) resolve()
        }
      })
    })
    await node.publish(['py-node'], '!ping', { command: 'chat' })
    await node.publish(['py-node'], '!echo hello from node', { command: 'chat' })
    await answered
    assert.deepEqual(replies, ['pong', 'hello from node'])
    await node.close()
  } finally {
    bot.kill('SIGINT')
    await exitOf(bot)
  }
})
