// The controller's `[db]` table: where it keeps its state.
import type { TableReader } from './reader.js';

/**
 * `url` (or upstream's discrete keys `user`, `password`, `host`, `port`, `database`): a
 * PostgreSQL server. `path`: PGlite persisted in that directory (relative to the config file).
 * Neither: memory only.
 */
export interface DbConfig {
  url?: string;
  path?: string;
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  database?: string;
}

const KEYS = ['url', 'path', 'user', 'password', 'host', 'port', 'database'] as const;

/** Reads `[db]`; an unknown key is an error (a misspelt one would silently mean "memory"). */
export function readDbConfig(parent: TableReader): DbConfig | undefined {
  const t = parent.table('db');
  if (!t) return undefined;
  t.checkKeys(KEYS);
  const db: DbConfig = {};
  for (const k of KEYS) {
    if (!t.has(k)) continue;
    if (k === 'port') db.port = t.port('port', { min: 1 });
    else db[k] = t.str(k);
  }
  return db;
}
