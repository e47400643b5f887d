// `npm run playground`: builds what the page needs if it is missing or older than its sources
// (dist/browser.js and its .wasm; wasm/ itself only when core-rs/ changed), then serves the
// repository root as static files on 127.0.0.1 and prints the playground's URL. Nothing else
// runs on the server: the page starts its controller and every node in the tab.
//   node playground/serve.mjs [--port N] [--no-build]     (port 0 or absent: 8080, or a free one if taken)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** The newest modification time of any file under `dir` (0 if none). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Why the page's build is missing or stale, or null when dist/browser.js is newer than ts/ and wasm/. */
export function buildNeeded() {
  const out = join(root, 'dist', 'browser.js');
  if (!existsSync(out) || !existsSync(join(root, 'dist', 'nextmini_core_bg.wasm'))) return 'dist/browser.js is missing';
  const built = statSync(out).mtimeMs;
  if (newest(join(root, 'ts')) > built) return 'ts/ changed since dist/browser.js was built';
  if (newest(join(root, 'wasm')) > built) return 'wasm/ changed since dist/browser.js was built';
  return null;
}

function run(what, args) {
  console.log(`playground: ${what}`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`playground: \`npm ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}); fix the build, then run npm run playground again`);
}

/** Rebuilds wasm/ if core-rs/ changed (the stamp says so), then dist/ if it is missing or stale. */
export async function ensureBuilt() {
  const { staleness } = await import(pathToFileURL(join(root, 'scripts', 'wasm-stamp.mjs')).href);
  const wasmWhy = staleness();
  if (wasmWhy) run(`${wasmWhy}: npm run build:wasm`, ['run', 'build:wasm']);
  const why = buildNeeded();
  if (why) run(`${why}: npm run build:ts`, ['run', 'build:ts', '--silent']);
}

/** Serves the repository root (read only, nothing outside it) on 127.0.0.1:`port` (0: any free port). */
export function serve(port = 0) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path === sep || path === '/') {
      res.writeHead(302, { location: '/playground/' }).end();
      return;
    }
    if (path.endsWith('/') || path.endsWith(sep)) path += 'index.html';
    const file = join(root, path);
    if (!file.startsWith(root) || file.includes(`${sep}node_modules${sep}`)) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const { port: bound } = server.address();
      resolve({ server, port: bound, url: `http://127.0.0.1:${bound}/playground/` });
    });
  });
}

function parseArgs(argv) {
  const opts = { port: undefined, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') opts.build = false;
    else if (a === '--port' || /^\d+$/.test(a)) {
      const v = a === '--port' ? argv[++i] : a;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`playground: --port must be a port number 0..65535, got ${JSON.stringify(v)}`);
      opts.port = n;
    } else throw new Error(`playground: unknown argument ${JSON.stringify(a)}; valid: --port N, --no-build`);
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    if (opts.build) await ensureBuilt();
    let s;
    try {
      s = await serve(opts.port ?? 8080);
    } catch (err) {
      // 8080 is only a default: take any free port rather than fail; a port asked for must be had.
      if (err.code !== 'EADDRINUSE') throw err;
      if (opts.port !== undefined) throw new Error(`playground: port ${opts.port} on 127.0.0.1 is in use; pass another --port, or --port 0 for any free one`);
      s = await serve(0);
    }
    console.log(`playground at ${s.url}  (Ctrl-C to stop)`);
  } catch (err) {
    console.error(err.message ?? String(err));
    process.exit(1);
  }
}
