// Entry for Node, Deno and Bun: the core loads synchronously at import.
import './core/load-node.js';

export * from './common.js';

/** Present for symmetry with the browser entry: resolves at once, the core is already loaded. */
export function init(): Promise<void> {
  return Promise.resolve();
}
