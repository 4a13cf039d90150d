// Starts the real lhttpd binary for tests: `lhttpd --listen 127.0.0.1:0 ...`,
// reading the port from its `lhttpd listening on 127.0.0.1:PORT` line.
// The binary is $LHTTPD_BIN, else target/debug/lhttpd (scripts/test-js.sh builds it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the lhttpd binary is looked for. */
export const lhttpdBin = process.env.LHTTPD_BIN ?? join(root, 'target/debug/lhttpd');

/**
 * Starts lhttpd (`bin`, default {@link lhttpdBin}). `listen` defaults to port 0 (any free
 * port); `args` are extra flags. It runs in `cwd`, by default a new empty directory, so it
 * serves only what `args` name and the binary carries. The admin dashboard's tests share it.
 */
export async function startServer({ listen = '127.0.0.1:0', args = [], bin = lhttpdBin, cwd } = {}) {
  if (!existsSync(bin)) {
    throw new Error(`lhttpd not found at ${bin}: build it (cargo build -p lhttp-server --bin lhttpd) or set LHTTPD_BIN`);
  }
  cwd ??= mkdtempSync(join(tmpdir(), 'lhttpd-js-'));
  const proc = spawn(bin, ['--listen', listen, '--log', 'warn', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const addr = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/lhttpd listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`lhttpd exited (${code}) before listening: ${stderr}`)));
  });
  const exited = once(proc, 'exit');
  return {
    addr,
    port: Number(addr.slice(addr.lastIndexOf(':') + 1)),
    ws: `ws://${addr}/`,
    http: `http://${addr}`,
    /** Stops the server (SIGKILL: like a crash, no close frames) and waits for it to exit. */
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
    stderr: () => stderr,
  };
}
