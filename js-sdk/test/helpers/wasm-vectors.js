// Loads the conformance vectors' build of bindings/wasm (`scripts/build-wasm.sh --vectors`,
// into $LHTTP_WASM_VECTORS, by default target/wasm-vectors/): the shipped module plus
// readPosition and writePosition, core's position text forms, which nothing shipped uses
// and so the shipped .wasm goes without.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = process.env.LHTTP_WASM_VECTORS ?? fileURLToPath(new URL('../../../target/wasm-vectors/', import.meta.url));
const glue = await import(pathToFileURL(`${dir}/lhttp_wasm.js`).href);
glue.initSync({ module: readFileSync(`${dir}/lhttp_wasm_bg.wasm`) });

export const { readPosition, writePosition } = glue;
