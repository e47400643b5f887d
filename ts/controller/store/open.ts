// Picks and opens the controller's store from a `[db]`-style table:
//   neither url/keys nor path -> MemoryStore (nothing kept when the process ends);
//   path                       -> PGlite in that directory ('memory://': PGlite in memory);
//   url, or user/password/host/port/database -> a PostgreSQL server;
//   both                       -> CONFIG_INVALID.
// The database drivers are imported only when a store that needs one is opened.
import { isAbsolute, resolve } from 'node:path';
import { NextminiError } from '../../errors.js';
import { MemoryStore } from './memory.js';
import type { DbConfig } from '../../config/db-config.js';
import type { Store } from './store.js';

export type { DbConfig };

export interface OpenStoreOptions {
  /** What a relative `path` is relative to (the config file's directory). Default: the working directory. */
  baseDir?: string;
}

const SERVER_KEYS = ['url', 'user', 'password', 'host', 'port', 'database'] as const;
const KEYS = ['path', ...SERVER_KEYS] as const;

function check(db: DbConfig): void {
  if (typeof db !== 'object' || db === null || Array.isArray(db)) throw new NextminiError('CONFIG_INVALID', 'db must be a table');
  for (const k of Object.keys(db)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new NextminiError('CONFIG_INVALID', `db.${k} is not a [db] key (known: ${KEYS.join(', ')})`);
  }
  for (const k of KEYS) {
    const v = db[k];
    if (v === undefined) continue;
    if (k === 'port') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new NextminiError('CONFIG_INVALID', `db.port must be an integer in 1..65535, got ${String(v)}`);
    } else if (typeof v !== 'string' || (k !== 'password' && v === '')) {
      throw new NextminiError('CONFIG_INVALID', `db.${k} must be a non-empty string`);
    }
  }
}

/** Opens the store that `db` asks for, migrating a database to this code's schema. */
export async function openStore(db: DbConfig | undefined, opts: OpenStoreOptions = {}): Promise<Store> {
  if (db === undefined) return new MemoryStore();
  check(db);
  const server = SERVER_KEYS.filter((k) => db[k] !== undefined);
  if (db.path !== undefined && server.length) {
    throw new NextminiError('CONFIG_INVALID', `db: give either path (PGlite) or url/${SERVER_KEYS.slice(1).join('/')} (PostgreSQL), not both (got path and ${server.join(', ')})`);
  }
  if (db.path !== undefined) {
    const { openPgliteStore, PGLITE_IN_MEMORY } = await import('./pglite.js');
    const path = db.path === PGLITE_IN_MEMORY || isAbsolute(db.path) ? db.path : resolve(opts.baseDir ?? process.cwd(), db.path);
    return openPgliteStore(path);
  }
  if (server.length) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(db);
  }
  return new MemoryStore();
}
