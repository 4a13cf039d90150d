// index.d.ts and the generated wasm/lhttp_wasm.d.ts compile together: test/types.ts
// uses every part of the API and is type-checked with the pinned TypeScript.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const sdk = fileURLToPath(new URL('..', import.meta.url));

test('the TypeScript declarations type-check a typical program', () => {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--lib', 'es2022,esnext.disposable,dom,dom.asynciterable', 'test/types.ts'];
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, ...args], { cwd: sdk, encoding: 'utf8' });
  } catch (e) {
    output = `${e.stdout}${e.stderr}`;
  }
  assert.equal(output, '');
});
