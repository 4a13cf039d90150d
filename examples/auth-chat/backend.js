// The authenticated chat's backend: serves the page (and the browser SDK) and signs
// connection tokens (HS256 JWTs, spec 14) with the secret lhttpd verifies them with.
// No dependency beyond Node itself.
//
//   LHTTP_TOKEN_SECRET_FILE=secret LHTTP_WS=ws://127.0.0.1:8081/ node backend.js 8080
//
// POST /token with a user name as the body answers `{ token, uid }`. A real backend signs
// only for the user its own login (a session cookie) established; this demo takes the name.
'use strict'
const { createHmac } = require('node:crypto')
const { readFileSync } = require('node:fs')
const http = require('node:http')
const { join, normalize } = require('node:path')

const secret = readFileSync(process.env.LHTTP_TOKEN_SECRET_FILE, 'utf8').replace(/\r?\n$/, '')
const ws = process.env.LHTTP_WS ?? 'ws://127.0.0.1:8081/'
const sdk = process.env.LHTTP_JS_SDK ?? join(__dirname, '../../js-sdk')
const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url')

/** A connection token for `uid`, valid for 10 minutes (the SDK refreshes it before then). */
function sign(uid) {
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: uid, exp: Math.floor(Date.now() / 1000) + 600 })}`
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' }
function file(res, path) {
  try {
    res.writeHead(200, { 'content-type': types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream' })
    res.end(readFileSync(path))
  } catch {
    res.writeHead(404).end()
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://backend')
  if (req.method === 'POST' && url.pathname === '/token') {
    let name = ''
    req.on('data', (d) => (name += d))
    req.on('end', () => {
      const uid = name.trim()
      if (!/^[\w.-]{1,32}$/.test(uid)) return res.writeHead(400).end('a user name: letters, digits, . _ -')
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify({ token: sign(uid), uid }))
    })
  } else if (url.pathname === '/config') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ws }))
  } else if (url.pathname.startsWith('/js-sdk/')) {
    const rel = normalize(url.pathname.slice('/js-sdk/'.length))
    if (rel.startsWith('..')) return res.writeHead(404).end()
    file(res, join(sdk, rel))
  } else if (url.pathname === '/') {
    file(res, join(__dirname, 'index.html'))
  } else {
    res.writeHead(404).end()
  }
})
server.listen(Number(process.argv[2] ?? 8080), '127.0.0.1', () => {
  console.log(`auth-chat backend on http://127.0.0.1:${server.address().port}/`)
})
