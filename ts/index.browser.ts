/// <reference lib="esnext.disposable" preserve="true" />
// (Dataplane, Controller and the wasm classes implement Symbol.asyncDispose / Symbol.dispose;
// the reference makes that type-check for consumers whose own lib setting lacks it.)
// Entry for browsers and bundlers: call `await init()` before using the core.
export * from './common.js';
export { init, type WasmSource } from './core/load-browser.js';
