import initWasm from '../../wasm/nextmini_core.js';
import { NextminiError } from '../errors.js';
import { isCoreReady, markCoreReady } from './state.js';

/** Where to load the core from: a URL, a Response, raw bytes or a compiled module. */
export type WasmSource = string | URL | Request | Response | BufferSource | WebAssembly.Module;

let pending: Promise<void> | undefined;

/**
 * Loads the WebAssembly core. Call once before using anything that needs the core; calling
 * again returns the same promise. By default the `.wasm` is fetched from beside this module.
 */
export function init(source?: WasmSource): Promise<void> {
  if (isCoreReady()) return Promise.resolve();
  pending ??= (async () => {
    try {
      await initWasm({ module_or_path: source ?? new URL('./nextmini_core_bg.wasm', import.meta.url) });
      markCoreReady();
    } catch (err) {
      pending = undefined;
      throw new NextminiError('NOT_INITIALIZED', `could not load the nextmini WebAssembly core: ${String(err)}`, { cause: err });
    }
  })();
  return pending;
}
