'use strict'
// A Node client and the native `lhttp` CLI (another client of the same server)
// chat through a live lhttpd, in both directions, and over HTTP publish.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const readline = require('node:readline')
const lhttp = require('../lib')
const { startServer, startCli, run, binary, exitOf } = require('./support/processes')

let server

before(async () => {
  server = await startServer()
})

after(async () => {
  await server?.stop()
})

/** The first 'message' event on `client`. */
function nextMessage(client) {
  return new Promise((resolve) => client.once('message', resolve))
}

test('the CLI publishes, the Node client receives', async () => {
  const node = await lhttp.connect(server.url)
  await node.subscribe('cli-to-node')
  const arrived = nextMessage(node)
  const cli = await run(binary('LHTTP_CLI_BIN', 'lhttp', 'lhttp-client'), [
    'pub',
    server.url,
    'cli-to-node',
    'hello from the CLI',
    '--command',
    'chat',
    '-H',
    'from:cli',
  ])
  assert.equal(cli.code, 0, cli.stderr)
  assert.match(cli.stdout, /delivered to 1 subscriber/)
  const msg = await arrived
  assert.equal(msg.command, 'chat')
  assert.equal(msg.header('from'), 'cli')
  assert.equal(msg.text, 'hello from the CLI')
  await node.close()
})

test('the Node client publishes, the CLI receives', async () => {
  const cli = startCli(['sub', server.url, 'node-to-cli', '--count', '1', '--body-only'])
  const exited = exitOf(cli)
  let stdout = ''
  cli.stdout.on('data', (d) => (stdout += d))
  // The CLI says on stderr once the server has acknowledged its subscription.
  const stderr = []
  await new Promise((resolve, reject) => {
    readline.createInterface({ input: cli.stderr }).on('line', (line) => {
      stderr.push(line)
      if (line.includes('subscribed to node-to-cli')) resolve()
    })
    exited.then((code) => reject(new Error(`lhttp sub exited (${code}): ${stderr.join('\n')}`)))
  })
  const node = await lhttp.connect(server.url)
  assert.equal(await node.publish('node-to-cli', 'hello from node', { command: 'chat' }), 1)
  assert.equal(await exited, 0, stderr.join('\n'))
  assert.equal(stdout, 'hello from node\n')
  await node.close()
})

test('an HTTP publish by the CLI reaches the Node client', async () => {
  const node = await lhttp.connect(server.url)
  await node.subscribe('http-to-node')
  const arrived = nextMessage(node)
  const cli = await run(binary('LHTTP_CLI_BIN', 'lhttp', 'lhttp-client'), [
    'pub',
    server.httpUrl,
    'http-to-node',
    'over http',
    '--command',
    'notice',
  ])
  assert.equal(cli.code, 0, cli.stderr)
  const msg = await arrived
  assert.equal(msg.command, 'notice')
  assert.equal(msg.text, 'over http')
  await node.close()
})
