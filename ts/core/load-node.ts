// Node, Deno and Bun: read the .wasm synchronously next to this bundle and instantiate it at
// import time, so users never need top-level await or an init() call.
import { readFileSync } from 'node:fs';
import { initSync } from '../../wasm/nextmini_core.js';
import { markCoreReady } from './state.js';

const bytes = readFileSync(new URL('./nextmini_core_bg.wasm', import.meta.url));
initSync({ module: bytes });
markCoreReady();
