// The store on PGlite (PostgreSQL compiled to WebAssembly, in this process): in a directory,
// or in memory. PGlite is 27 MB and takes from a third of a second (an existing directory) to
// a few seconds (a new database: initdb) to start, so it is imported only here, and only when
// such a store is opened.
//
// Durability: PGlite writes through to the directory's files with plain pwrite() as each
// statement commits, before its promise resolves, so a write that resolved survives the
// process being killed (SIGKILL); PGlite never calls fsync, so it may not survive the machine
// losing power. Only one process may use a directory at a time: a lock file (nextmini.lock)
// in the directory refuses a second one, which would corrupt it.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { NextminiError } from '../../errors.js';
import { SqlStore, type SqlConnection, type SqlRunner } from './sql.js';

/** `path` values that mean "in memory, nothing on disk". */
export const PGLITE_IN_MEMORY = 'memory://';

/**
 * Settings passed to PostgreSQL inside PGlite on top of PGlite's defaults. shared_buffers is
 * 128 MB by default; 16 MB saves about 100 MB of resident memory, and the controller's tables
 * are small and touched one row at a time, so it costs no measurable speed.
 */
export const PGLITE_SETTINGS: readonly string[] = ['-c', 'shared_buffers=16MB'];

/** The lock file's name inside a PGlite directory. */
export const PGLITE_LOCK_FILE = 'nextmini.lock';

/** Directories this process holds open, to tell our own lock from one left by a dead process with our pid. */
const openHere = new Set<string>();

/**
 * Opens (creating it if needed) a PGlite database and migrates it. `path`: a directory,
 * created if missing (relative to the working directory); undefined or 'memory://' for a
 * database in memory only.
 */
export async function openPgliteStore(path?: string): Promise<SqlStore> {
  const inMemory = path === undefined || path === PGLITE_IN_MEMORY;
  const dir = inMemory ? undefined : resolve(path);
  const location = dir ?? PGLITE_IN_MEMORY;
  let release = () => {};
  if (dir !== undefined) {
    prepareDir(dir);
    release = lockDir(dir);
  }
  let db: PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const options: PGliteOptions = { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] };
    if (dir !== undefined && !existsSync(join(dir, 'PG_VERSION'))) {
      // A new directory: PGlite runs initdb first, which leaves the process about 650 MB
      // resident for as long as that instance lives. Closing it and opening the directory
      // again costs about 0.1 s and brings that down to about 300 MB.
      await (await PGlite.create(dir, options)).close();
    }
    db = await PGlite.create(dir ?? PGLITE_IN_MEMORY, options);
  } catch (err) {
    release();
    throw new NextminiError('CONFIG_INVALID', `cannot open the PGlite database ${dir ? `in ${dir}` : 'in memory'}: ${(err as Error).message}`, { cause: err });
  }
  return SqlStore.open('pglite', location, pgliteConnection(db, release));
}

function pgliteConnection(db: PGlite, release: () => void): SqlConnection {
  const runner = (q: Pick<PGlite, 'query' | 'exec'>): SqlRunner => ({
    query: async <R>(text: string, params?: readonly unknown[]) => ({ rows: (await q.query<R>(text, params ? [...params] : undefined)).rows }),
    exec: async (text: string) => {
      await q.exec(text);
    },
  });
  let closed = false;
  return {
    ...runner(db),
    transaction: (fn) => db.transaction((tx) => fn(runner(tx))),
    listen: async (channel, onNotify) => {
      const stop = await db.listen(channel, () => onNotify());
      return async () => {
        if (!closed) await stop();
      };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}

/** Creates the directory; refuses a file, or a directory that holds other things than a database. */
function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new NextminiError('CONFIG_INVALID', `cannot create the PGlite directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (!statSync(dir).isDirectory()) throw new NextminiError('CONFIG_INVALID', `the PGlite path ${dir} is not a directory`);
  const entries = readdirSync(dir).filter((e) => e !== PGLITE_LOCK_FILE);
  if (entries.length && !entries.includes('PG_VERSION')) {
    throw new NextminiError('CONFIG_INVALID', `the PGlite directory ${dir} is not empty and holds no database (no PG_VERSION): give [db] path an empty or new directory`);
  }
}

/** Linux: the process's start time in clock ticks since boot, which tells a live pid from a reused one. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function alive(pid: number, started: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTime(pid);
  return !(started && now && started !== now);
}

/** Takes the directory's lock file (pid and start time), reclaiming one left by a process that is gone. */
function lockDir(dir: string): () => void {
  const file = join(dir, PGLITE_LOCK_FILE);
  const mine = `${process.pid} ${startTime(process.pid)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      openHere.add(dir);
      return () => {
        openHere.delete(dir);
        try {
          if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new NextminiError('CONFIG_INVALID', `cannot lock the PGlite directory ${dir} (${file}): ${(err as Error).message}`, { cause: err });
      }
    }
    let held = '';
    try {
      held = readFileSync(file, 'utf8');
    } catch {
      // removed meanwhile: try again
    }
    const [pidText = '', started = ''] = held.trim().split(' ');
    const pid = Number(pidText);
    const ours = pid === process.pid && openHere.has(dir);
    if (ours || (pid > 0 && pid !== process.pid && alive(pid, started))) {
      throw new NextminiError(
        'CONFIG_INVALID',
        `the PGlite database in ${dir} is in use by ${ours ? 'this process' : `process ${pid}`}; only one process may open it at a time ` +
          `(if no such process uses it, delete ${file})`,
      );
    }
    try {
      unlinkSync(file); // left by a process that is gone
    } catch {
      // someone else removed it
    }
  }
}
