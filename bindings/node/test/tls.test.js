'use strict'
// wss:// from the Node SDK to a live lhttpd with a certificate: trusted through `caPem`,
// the connection works both ways; without the CA it is a Connect error. The certificates
// are made here by openssl: a CA, and a server certificate for 127.0.0.1 that it signed.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const lhttp = require('../lib')
const { startServer } = require('./support/processes')

let dir
let server
let openssl = true

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lhttp-tls-'))
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  try {
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lhttp test CA')
  } catch {
    openssl = false
    return
  }
  run('req', ...ec, '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1')
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n')
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext.cnf')
  server = await startServer(['--tls-cert', path.join(dir, 'cert.pem'), '--tls-key', path.join(dir, 'key.pem')])
})

after(async () => {
  await server?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
})

test('wss:// with the server\'s CA subscribes and receives', async (t) => {
  if (!openssl) return t.skip('needs the openssl command')
  const client = await lhttp.connect(server.url.replace('ws://', 'wss://'), { caPem: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8') })
  t.after(() => client.close())
  await client.subscribe('room')
  assert.equal(await client.publish('room', 'over tls'), 1)
  for await (const msg of client) {
    assert.equal(msg.text, 'over tls')
    break
  }
})

test('wss:// without the CA, or ws:// to the TLS port, is a Connect error', async (t) => {
  if (!openssl) return t.skip('needs the openssl command')
  await assert.rejects(lhttp.connect(server.url.replace('ws://', 'wss://')), { code: 'Connect' })
  await assert.rejects(lhttp.connect(server.url), { code: 'Connect' })
})
