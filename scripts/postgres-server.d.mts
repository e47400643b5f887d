// Types of postgres-server.mjs, for the TypeScript tests.
export interface ThrowAwayPostgres {
  /** postgres://nextmini:secret@127.0.0.1:PORT/nextmini (trust auth: any password is accepted). */
  url: string;
  /** The server's bin directory (psql, createdb, ...). */
  bin: string;
  /** `postgres --version`. */
  version: string;
  durable: boolean;
  /** Creates another empty database on the server and returns its URL. */
  createDatabase(name: string): string;
  stop(): Promise<void>;
}
/** The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl. */
export function postgresBin(): string | undefined;
export function startPostgres(options?: { durable?: boolean }): Promise<ThrowAwayPostgres | { skipped: string }>;
/** A TCP port free on 127.0.0.1 right now (for a server started next). */
export function freePort(): Promise<number>;
