// The store on a PostgreSQL server, through `pg` (node-postgres), imported only when such a
// store is opened. Queries and transactions go through a small pool; LISTEN runs on a
// dedicated connection of its own, which reconnects (and reports a change, since some may
// have been missed) if the server drops it.
import type { ClientConfig, PoolClient } from 'pg';
import { NextminiError } from '../../errors.js';
import { logger } from '../../log.js';
import { SqlStore, type SqlConnection, type SqlRunner } from './sql.js';

const log = logger('store');

/** `url` (postgres://user:password@host:port/database), or upstream's discrete keys; keys given with `url` override its parts. */
export interface PostgresConfig {
  url?: string;
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  database?: string;
}

/** How long connecting may take before it fails. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;
/**
 * A query still unanswered after this long fails (INTERNAL, naming the store), under the 15 s a
 * node waits for the answer to a group operation.
 */
export const POSTGRES_QUERY_TIMEOUT_MS = 10_000;
/** Connections in the pool (writes take one at a time; reads may run beside them). */
export const POSTGRES_POOL_SIZE = 4;
/** How long a dropped LISTEN connection waits before each attempt to reconnect. */
export const POSTGRES_RELISTEN_MS = 1000;

/** The `pg` connection settings for `cfg`, and where it points with the password hidden. */
export function postgresTarget(cfg: PostgresConfig): { client: ClientConfig; location: string } {
  const { url, user, password, host, port, database } = cfg;
  if (url === undefined) {
    const client: ClientConfig = { user, password, host, port, database };
    const shownHost = host === undefined ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const who = user === undefined && password === undefined ? '' : `${encodeURIComponent(user ?? '')}${password === undefined ? '' : ':***'}@`;
    return { client, location: `postgres://${who}${host?.startsWith('/') ? encodeURIComponent(host) : shownHost}:${port ?? 5432}/${encodeURIComponent(database ?? '')}` };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NextminiError('CONFIG_INVALID', 'db.url is not a URL; expected postgres://user:password@host:port/database');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new NextminiError('CONFIG_INVALID', `db.url must start with postgres:// or postgresql://, not ${u.protocol}//`);
  }
  if (user !== undefined) u.username = user;
  if (password !== undefined) u.password = password;
  if (host !== undefined) {
    if (host.startsWith('/')) u.searchParams.set('host', host);
    else u.hostname = host;
  }
  if (port !== undefined) u.port = String(port);
  if (database !== undefined) u.pathname = `/${encodeURIComponent(database)}`;
  const shown = new URL(u.href);
  if (shown.password) shown.password = '***';
  if (shown.searchParams.has('password')) shown.searchParams.set('password', '***');
  return { client: { connectionString: u.href }, location: shown.href };
}

/** Why connecting failed, readable (Node reports a refused localhost as an AggregateError with no message). */
function reason(err: unknown): string {
  const e = err as Error & { code?: string; errors?: unknown[] };
  if (Array.isArray(e.errors) && e.errors.length) return [...new Set(e.errors.map(reason))].join('; ');
  return e.message || e.code || String(err);
}

/** Connects, checks the connection and migrates. Connection failures are CONFIG_INVALID. */
export async function openPostgresStore(cfg: PostgresConfig): Promise<SqlStore> {
  const { client: clientConfig, location } = postgresTarget(cfg);
  const { Pool, Client, escapeIdentifier } = await import('pg');
  // A server that stops answering must not hold every later change behind it: statements time
  // out on the server, and a server that is not even reading (frozen, network gone) on our side.
  const base: ClientConfig = {
    ...clientConfig,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    statement_timeout: POSTGRES_QUERY_TIMEOUT_MS,
    query_timeout: POSTGRES_QUERY_TIMEOUT_MS,
    application_name: 'nextmini',
  };
  const pool = new Pool({ ...base, max: POSTGRES_POOL_SIZE, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => log.warn(`PostgreSQL at ${location}: an idle connection failed: ${err.message}`));
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new NextminiError('CONFIG_INVALID', `cannot connect to PostgreSQL at ${location}: ${reason(err)}`, { cause: err });
  }

  const runner = (c: Pick<PoolClient, 'query'>): SqlRunner => ({
    query: async <R>(text: string, params?: readonly unknown[]) => ({ rows: (await c.query(text, params ? [...params] : undefined)).rows as R[] }),
    exec: async (text: string) => {
      await c.query(text);
    },
  });
  const listeners = new Set<() => Promise<void>>();

  const conn: SqlConnection = {
    ...runner(pool),
    transaction: async (fn) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(runner(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if ((err as Error).message === 'Query read timeout') {
          // The server is not answering: drop the connection (it rolls back whatever it has not
          // committed) instead of waiting as long again for a ROLLBACK.
          broken = err as Error;
        } else {
          await client.query('ROLLBACK').catch((e: unknown) => {
            broken = e as Error;
          });
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    listen: async (channel, onNotify) => {
      let current: InstanceType<typeof Client> | undefined;
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const connect = async () => {
        const c = new Client({ ...base, application_name: 'nextmini-listen' });
        c.on('notification', (n) => {
          if (n.channel === channel) onNotify();
        });
        c.on('error', (err) => {
          if (current === c) log.warn(`PostgreSQL at ${location}: the LISTEN connection failed (${err.message}); reconnecting`);
          drop(c);
        });
        c.on('end', () => drop(c));
        try {
          await c.connect();
          await c.query(`LISTEN ${escapeIdentifier(channel)}`);
        } catch (err) {
          c.end().catch(() => {});
          throw err;
        }
        return c;
      };
      const drop = (c: InstanceType<typeof Client>) => {
        if (current !== c) return;
        current = undefined;
        c.end().catch(() => {});
        if (!stopped) retry();
      };
      const retry = () => {
        timer = setTimeout(() => {
          connect().then(
            async (c) => {
              if (stopped) return c.end();
              current = c;
              log.info(`PostgreSQL at ${location}: listening on ${channel} again`);
              onNotify(); // changes made while we were away were not notified
            },
            (err: unknown) => {
              log.warn(`PostgreSQL at ${location}: cannot LISTEN again yet: ${reason(err)}`);
              if (!stopped) retry();
            },
          );
        }, POSTGRES_RELISTEN_MS);
        timer.unref?.();
      };
      current = await connect();
      const stop = async () => {
        stopped = true;
        listeners.delete(stop);
        if (timer) clearTimeout(timer);
        const c = current;
        current = undefined;
        if (c) await c.end().catch(() => {});
      };
      listeners.add(stop);
      return stop;
    },
    close: async () => {
      for (const stop of [...listeners]) await stop();
      await pool.end();
    },
  };
  return SqlStore.open('postgres', location, conn);
}
