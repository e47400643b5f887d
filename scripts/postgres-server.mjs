// A throw-away PostgreSQL server for the tests (test/helpers/postgres.ts) and the bench (plain
// JavaScript so that `node bench/run.mjs` needs no TypeScript loader): Debian's binaries
// (scripts/setup-test-deps.sh installs them), a fresh cluster in a temp directory, trust
// authentication, listening on 127.0.0.1 only on a free port, its unix socket inside the temp
// directory. The server refuses to run as root, so as root it runs as the `postgres` system user
// (or a `nextmini-test` user, created if neither exists). Without the binaries it returns
// { skipped } and the caller skips loudly.
//
// By default the server keeps PostgreSQL's durability (fsync and full-page writes on): the bench
// measures what a deployment would pay per commit. Tests pass `durable: false` (no server crash
// is tested, and it is faster).
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USER = 'nextmini';
const PASSWORD = 'secret';

/** The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl. */
export function postgresBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** A TCP port free on 127.0.0.1 right now (for a server started next). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${String(r.stderr ?? '').trim() || String(r.stdout ?? '').trim()}`);
  return String(r.stdout ?? '');
}

/** The unprivileged account the server runs as when we are root: postgres, else nextmini-test (created). */
function serverAccount() {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (name) => {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    return { name, uid: Number(r.stdout.trim()), gid: Number(run('id', ['-g', name]).trim()) };
  };
  const existing = lookup('postgres') ?? lookup('nextmini-test');
  if (existing) return existing;
  run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'nextmini-test']);
  return lookup('nextmini-test');
}

/**
 * Starts a server: { url, bin, version, durable, createDatabase(name), stop() }, or
 * { skipped: reason } without the binaries.
 * `durable` (default true): PostgreSQL's default fsync / full_page_writes; false turns both off.
 */
export async function startPostgres({ durable = true } = {}) {
  const bin = postgresBin();
  if (!bin) return { skipped: 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql; scripts/setup-test-deps.sh installs it)' };
  const account = serverAccount();
  const dir = mkdtempSync(join(tmpdir(), 'nextmini-pg-'));
  if (account) chownSync(dir, account.uid, account.gid);
  const data = join(dir, 'data');
  const asServer = (cmd, args) => (account ? run('runuser', ['-u', account.name, '--', cmd, ...args], { cwd: dir }) : run(cmd, args, { cwd: dir }));
  const pgCtl = (...args) => asServer(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  try {
    asServer(join(bin, 'initdb'), ['-D', data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir}`,
        '-c shared_buffers=16MB -c max_connections=40',
        durable ? '' : '-c fsync=off -c full_page_writes=off',
      ].join(' ');
      try {
        pgCtl('-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', settings, 'start');
        break;
      } catch (err) {
        // Most likely the port was taken between freePort() and the server's bind: try another.
        if (attempt >= 3) throw err;
      }
    }
    const createDatabase = (name) => {
      run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', USER, name]);
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    };
    const url = createDatabase('nextmini');
    const version = run(join(bin, 'postgres'), ['--version']).trim();
    // Should this process die without calling stop(), a watchdog of its own stops the server
    // and removes the directory, so no server outlives the tests or the bench.
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
      version,
      durable,
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
    throw new Error(`could not start a throw-away PostgreSQL with ${bin}: ${err.message}${log ? `\nserver log:\n${log}` : ''}`, { cause: err });
  }
}
