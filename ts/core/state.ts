import { NextminiError } from '../errors.js';

// Whether the wasm core is instantiated. The Node/Deno/Bun entry does it synchronously at
// import; the browser entry waits for `await init()`.
let ready = false;

export function markCoreReady(): void {
  ready = true;
}

export function isCoreReady(): boolean {
  return ready;
}

/** Throws a clear error when a browser user calls into the core before `await init()`. */
export function assertCoreReady(): void {
  if (!ready) {
    throw new NextminiError(
      'NOT_INITIALIZED',
      'the nextmini WebAssembly core is not loaded yet: call `await init()` (from "nextmini") first',
    );
  }
}
