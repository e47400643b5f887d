// A real, throw-away PostgreSQL server for tests: Debian's binaries (scripts/setup-test-deps.sh
// installs them), a fresh cluster in a temp directory, trust authentication, listening on
// 127.0.0.1 only on a free port, its unix socket inside the temp directory. The server refuses
// to run as root, so as root it runs as the `postgres` system user (or a `nextmini-test` user,
// created if neither exists). Without the binaries it returns { skipped } and the caller skips
// loudly.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  /** postgres://nextmini:secret@127.0.0.1:PORT/nextmini (trust auth: any password is accepted). */
  url: string;
  /** The server's bin directory (psql, createdb, ...). */
  bin: string;
  /** Creates another empty database on the server and returns its URL. */
  createDatabase(name: string): string;
  stop(): Promise<void>;
}

const USER = 'nextmini';
const PASSWORD = 'secret';

/** The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${String(r.stderr ?? '').trim() || String(r.stdout ?? '').trim()}`);
  return String(r.stdout ?? '');
}

/** The unprivileged account the server runs as when we are root: postgres, else nextmini-test (created). */
function serverAccount(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (name: string) => {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    return { name, uid: Number(r.stdout.trim()), gid: Number(run('id', ['-g', name]).trim()) };
  };
  const existing = lookup('postgres') ?? lookup('nextmini-test');
  if (existing) return existing;
  run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'nextmini-test']);
  return lookup('nextmini-test');
}

export async function startPostgres(): Promise<TestPostgres | { skipped: string }> {
  const bin = postgresBin();
  if (!bin) return { skipped: 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql; scripts/setup-test-deps.sh installs it)' };
  const account = serverAccount();
  const dir = mkdtempSync(join(tmpdir(), 'nextmini-pg-'));
  if (account) chownSync(dir, account.uid, account.gid);
  const data = join(dir, 'data');
  const asServer = (cmd: string, args: string[]) => (account ? run('runuser', ['-u', account.name, '--', cmd, ...args], { cwd: dir }) : run(cmd, args, { cwd: dir }));
  const pgCtl = (...args: string[]) => asServer(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  try {
    asServer(join(bin, 'initdb'), ['-D', data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir}`,
        // Test data only: no fsync (a killed server is not tested), small memory.
        '-c fsync=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40',
      ].join(' ');
      try {
        pgCtl('-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', settings, 'start');
        break;
      } catch (err) {
        // Most likely the port was taken between freePort() and the server's bind: try another.
        if (attempt >= 3) throw err;
      }
    }
    const createDatabase = (name: string) => {
      run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', USER, name]);
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    };
    const url = createDatabase('nextmini');
    // Should this process die without calling stop() (a crash, a timeout), a watchdog of its
    // own stops the server and removes the directory, so no server outlives the tests.
    const stopNow = `${account ? `runuser -u ${account.name} -- ` : ''}${join(bin, 'pg_ctl')} -D ${data} -m immediate stop`;
    const watchdog = spawn('/bin/sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopNow}; rm -rf ${dir}`], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.unref();
    let stopped = false;
    return {
      url,
      bin,
      createDatabase,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        try {
          if (watchdog.pid !== undefined) process.kill(-watchdog.pid, 'SIGTERM'); // its process group: sh and its sleep
        } catch {
          // already gone
        }
        try {
          pgCtl('-m', 'immediate', 'stop');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    try {
      pgCtl('-m', 'immediate', 'stop');
    } catch {
      // was not running
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a test PostgreSQL with ${bin}: ${(err as Error).message}${log ? `\nserver log:\n${log}` : ''}`, { cause: err });
  }
}
