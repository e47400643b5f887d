// A real, throw-away PostgreSQL server for tests (scripts/postgres-server.mjs, shared with the
// bench), without fsync: no server crash is tested. { skipped } where the binaries are missing.
import { postgresBin, startPostgres as start, type ThrowAwayPostgres } from '../../scripts/postgres-server.mjs';
import { afterAll, beforeAll } from 'vitest';

export type TestPostgres = ThrowAwayPostgres;
export { postgresBin };

export function startPostgres(): Promise<TestPostgres | { skipped: string }> {
  return start({ durable: false });
}

/**
 * A server for the test file that calls it (started before its tests, stopped after). The
 * getter returns undefined while it is not up, or when PostgreSQL is missing: that is said
 * loudly once, naming `what` is skipped.
 */
export function usePostgres(what: string): () => TestPostgres | undefined {
  let pg: TestPostgres | { skipped: string } | undefined;
  beforeAll(async () => {
    pg = await startPostgres();
    if ('skipped' in pg) console.warn(`\n${'!'.repeat(78)}\n!! ${what} SKIPPED: ${pg.skipped}\n${'!'.repeat(78)}\n`);
  });
  afterAll(async () => {
    if (pg && 'stop' in pg) await pg.stop();
  });
  return () => (pg && 'url' in pg ? pg : undefined);
}
