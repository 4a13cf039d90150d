'use strict'
// Real processes for the tests: a live lhttpd on a free port, the `lhttp` CLI and
// child node scripts. Binaries come from LHTTPD_BIN / LHTTP_CLI_BIN (set by
// scripts/test-node.sh), else from the cargo target directory.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const repo = path.resolve(__dirname, '../../../..')
const targetDir = process.env.CARGO_TARGET_DIR || path.join(repo, 'target')

/** The path of a built binary, or an error saying how to build it. */
function binary(envName, name, pkg) {
  const file = process.env[envName] || path.join(targetDir, 'debug', name)
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found: run \`cargo build -p ${pkg} --bin ${name}\` or set ${envName}`)
  }
  return file
}

/**
 * Starts lhttpd on 127.0.0.1 (a free port unless `listen` names one, e.g. to
 * restart a server where it was) and resolves once it listens.
 * @returns {Promise<{url: string, httpUrl: string, addr: string, stop: () => Promise<void>}>}
 */
function startServer(extraArgs = [], listen = '127.0.0.1:0') {
  const bin = binary('LHTTPD_BIN', 'lhttpd', 'lhttp-server')
  const child = spawn(bin, ['--listen', listen, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    const seen = []
    const onLine = (line) => {
      seen.push(line)
      const m = /lhttpd listening on (127\.0\.0\.1:\d+)/.exec(line)
      if (!m) return
      resolve({
        addr: m[1],
        url: `ws://${m[1]}/`,
        httpUrl: `http://${m[1]}`,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM')
          await exited
        },
      })
    }
    readline.createInterface({ input: child.stdout }).on('line', onLine)
    readline.createInterface({ input: child.stderr }).on('line', onLine)
    child.once('error', reject)
    exited.then((code) => reject(new Error(`lhttpd exited (${code}) before listening:\n${seen.join('\n')}`)))
  })
}

/**
 * Runs a command to its end.
 * @returns {Promise<{code: number | null, signal: string | null, stdout: string, stderr: string}>}
 */
function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.once('error', reject)
    // 'close' (unlike 'exit') waits for the pipes to drain.
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
  })
}

/** Starts the `lhttp` CLI with these arguments; the caller waits on the child. */
function startCli(args) {
  const bin = binary('LHTTP_CLI_BIN', 'lhttp', 'lhttp-client')
  return spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Resolves with a child's exit code once it has exited and its output is read. */
function exitOf(child) {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)))
}

module.exports = { repo, startServer, run, startCli, exitOf, binary }
