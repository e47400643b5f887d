// Entry for browsers and bundlers: call `await init()` before using the core.
export * from './common.js';
export { init, type WasmSource } from './core/load-browser.js';
