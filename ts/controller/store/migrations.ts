// Versioned schema migrations for the SQL stores (PGlite and PostgreSQL). Each migration's SQL
// lives in migrations/NNN_name.ts as a string, so that the bundler ships it. migrate() applies,
// in one transaction, every migration newer than the version recorded in nextmini_meta
// (key 'schema_version'), then records the new version: running it again is a no-op. A
// database whose version is newer than this code knows is refused, untouched.
import { NextminiError } from '../../errors.js';
import type { SqlConnection } from './sql.js';
import { sql as init } from './migrations/001_init.js';
import { sql as nodeEndpoints } from './migrations/002_node_endpoints.js';
import { sql as flows } from './migrations/003_flows.js';

export interface Migration {
  /** 1, 2, 3, ...: applied in this order, each exactly once per database. */
  version: number;
  name: string;
  sql: string;
}

/** Every migration, oldest first. Append only: never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'node_endpoints', sql: nodeEndpoints },
  { version: 3, name: 'flows', sql: flows },
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** One advisory lock key for every nextmini migrator, so two controllers starting at once take turns. */
const MIGRATION_LOCK = 0x6e6d6967; // 'nmig'

/**
 * Brings the schema up to SCHEMA_VERSION. Returns the version the database had before (0 for a
 * new one). Throws CONFIG_INVALID, changing nothing, when the database is newer than this code.
 */
export async function migrate(db: SqlConnection, location: string): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const meta = await tx.query<{ present: boolean }>("SELECT to_regclass('nextmini_meta') IS NOT NULL AS present");
    if (!meta.rows[0]?.present) {
      await tx.exec('CREATE TABLE nextmini_meta (key text PRIMARY KEY, value text NOT NULL)');
    }
    const row = await tx.query<{ value: string }>("SELECT value FROM nextmini_meta WHERE key = 'schema_version'");
    const text = row.rows[0]?.value;
    const current = text === undefined ? 0 : Number(text);
    if (!Number.isInteger(current) || current < 0) {
      throw new NextminiError('CONFIG_INVALID', `the database at ${location} has an unreadable nextmini schema version ${JSON.stringify(text)} in nextmini_meta`);
    }
    if (current > SCHEMA_VERSION) {
      throw new NextminiError(
        'CONFIG_INVALID',
        `the database at ${location} has nextmini schema version ${current}, newer than version ${SCHEMA_VERSION} that this nextmini knows: ` +
          'it was written by a newer nextmini; run that version, or point [db] at another database',
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new NextminiError('CONFIG_INVALID', `migrating the database at ${location} to nextmini schema version ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
    if (current < SCHEMA_VERSION) {
      await tx.query(
        "INSERT INTO nextmini_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [String(SCHEMA_VERSION)],
      );
    }
    return current;
  });
}
