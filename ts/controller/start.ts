// startController for Node, Deno and Bun: a config from a TOML file or an object, state in
// the store it names, and the WebSocket server (server.ts) in front of the logic.
import { dirname } from 'node:path';
import { checkOptions } from '../options.js';
import { withConfigFile } from '../config/reader.js';
import { loadTomlOrObject } from '../config/load.js';
import { nodeConfigFiles } from '../config/files-node.js';
import { resolveControllerConfig, type ControllerConfig } from '../config/controller-config.js';
import { openStore, type DbConfig } from './store/open.js';
import { Controller } from './controller.js';
import { listenController } from './server.js';

export interface StartControllerOptions {
  /**
   * Where to keep state, overriding the config's `[db]`: a `[db]`-style table, or `false` for
   * memory only. The CLI uses it for its `.nextmini-state/` default and `--in-memory`.
   */
  db?: DbConfig | false;
  /** Where to keep state when the config has no `[db]` (the CLI: PGlite in `.nextmini-state/`). */
  defaultDb?: DbConfig;
  /** Listen here instead of the config's host and port (startNetwork: 127.0.0.1, port 0). */
  listen?: { host: string; port: number };
}

/** Starts a controller from a TOML path or a config object with the same keys. */
export async function startController(config: string | ControllerConfig, options: StartControllerOptions = {}): Promise<Controller> {
  checkOptions('startController', options, ['db', 'defaultDb', 'listen']);
  const table = await loadTomlOrObject('controller config', config);
  const baseDir = typeof config === 'string' ? dirname(config) : process.cwd();
  // A file follows upstream nextmini: without [routing], only [[routes]]. An object keeps
  // shortest paths unless it says otherwise (README, "[routing]").
  const routingDefault = typeof config === 'string' ? 'explicit' : 'shortest_path';
  const resolved = withConfigFile(config, () => resolveControllerConfig(table, 'controller config', nodeConfigFiles(baseDir), routingDefault));
  const cfg = options.listen ? { ...resolved, host: options.listen.host, port: options.listen.port } : resolved;
  const db = options.db === false ? undefined : (options.db ?? cfg.db ?? options.defaultDb);
  return Controller.open(cfg, () => openStore(db, { baseDir }), (hooks) => listenController(cfg, hooks));
}
