// 6. The controller's store: latency of the group operations a node waits on (each is committed
// to the store before its promise resolves) with the memory store, PGlite in memory, PGlite on
// disk and a real PostgreSQL server; and what PGlite costs to start, in resident memory and on
// disk. PostgreSQL runs on a throw-away local server (scripts/postgres-server.mjs); without its
// binaries, or with NEXTMINI_BENCH_NO_POSTGRES=1, that store is left out and the report says so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dataplane, startController } from '../../dist/node.js';
import { startPostgres } from '../../scripts/postgres-server.mjs';
import { quantile, summarize } from '../lib/stats.mjs';

const distNode = new URL('../../dist/node.js', import.meta.url).href;
const pgliteDir = fileURLToPath(new URL('../../node_modules/@electric-sql/pglite', import.meta.url));
const MiB = 1024 * 1024;
// Diamond 1 - {2, 3} - 4: the group's tree is 1 -> 2 -> 4, node 4 joins.
const TOPOLOGY = { n_nodes: 4, edges: [[1, 2], [1, 3], [2, 4], [3, 4]] };
const TREE = [[1, 2], [2, 4]];
const OPS = [
  ['create', 'createGroup'],
  ['routes', 'setGroupRoutes'],
  ['join', 'joinGroup'],
  ['triple', 'createGroup + setGroupRoutes + joinGroup'],
];

const tempDir = (tag) => mkdtempSync(join(tmpdir(), `nextmini-bench-${tag}-`));

/** A controller in this process with 4 in-process nodes, topology ready. */
async function openCluster(store) {
  const dir = store.dir ? tempDir('pglite') : undefined;
  const db = store.db(dir);
  const controller = await startController({ port: 0, topology: TOPOLOGY }, { db });
  const nodes = [];
  const close = async () => {
    await Promise.allSettled(nodes.map((n) => n.close()));
    await controller.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const id of [1, 2, 3, 4]) nodes.push(await Dataplane.open({ node_id: id, controller_addr: controller.url, metrics_interval_ms: 0 }, { connectTimeoutMs: 20_000 }));
    const ready = await Promise.all(nodes.map((n) => n.waitForTopologyReady({ timeoutMs: 20_000 })));
    if (!ready.every(Boolean)) throw new Error(`${store.name}: topology not ready within 20 s`);
    const kind = controller.status().store;
    if (kind !== store.kind) throw new Error(`${store.name}: the controller reports store ${kind}, expected ${store.kind}`);
    return { controller, nodes, close };
  } catch (err) {
    await close();
    throw err;
  }
}

let seq = 0;
/** One createGroup + setGroupRoutes + joinGroup, each timed (ms); the group is then deleted, untimed. */
async function triple({ nodes: [n1, , , n4] }) {
  const t0 = performance.now();
  const g = await n1.createGroup(`bench-${++seq}`);
  const t1 = performance.now();
  await n1.setGroupRoutes(g.groupId, TREE);
  const t2 = performance.now();
  await n4.joinGroup(g.groupId);
  const t3 = performance.now();
  await n1.deleteGroup(g.groupId);
  return { create: t1 - t0, routes: t2 - t1, join: t3 - t2, triple: t3 - t0 };
}

// ---- Start-up cost, in a child process (so that its RSS is a controller's alone). ----

const live = new Set();
let hooked = false;
const killLive = () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
};

/**
 * The child: loads the package and the core, then times startController and reads RSS. Its peak
 * is VmHWM on Linux: getrusage's maxRSS would also count the bench process the child was
 * spawned from (Linux carries that high-water mark across exec).
 */
const CHILD = `
const { init, startController, setLogLevel } = await import(process.env.NEXTMINI_BENCH_DIST);
setLogLevel('error');
await init();
const db = JSON.parse(process.env.NEXTMINI_BENCH_DB);
globalThis.gc();
const rssBefore = process.memoryUsage.rss();
const t0 = performance.now();
const c = await startController({ port: 0, topology: ${JSON.stringify(TOPOLOGY)} }, { db });
const startMs = performance.now() - t0;
const store = c.status().store;
await new Promise((r) => setTimeout(r, 200));
globalThis.gc();
const rss = process.memoryUsage.rss();
let hwm = null;
try {
  hwm = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\\s*(\\d+) kB/m);
} catch {}
const maxRss = (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) * 1024;
const t1 = performance.now();
await c.close();
const closeMs = performance.now() - t1;
process.stdout.write(JSON.stringify({ startMs, closeMs, rssBefore, rss, maxRss, store }) + '\\n');
process.exit(0);
`;

function startInChild(db, timeoutMs = 120_000) {
  if (!hooked) {
    hooked = true;
    process.on('exit', killLive);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NEXTMINI_LOG: 'error', NEXTMINI_BENCH_DIST: distNode, NEXTMINI_BENCH_DB: JSON.stringify(db) },
    });
    live.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      live.delete(child);
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`controller start child (db ${JSON.stringify(db)}) exited ${code ?? sig}${code === null ? ` (killed after ${timeoutMs} ms?)` : ''}: ${err.trim().slice(-1500)}`));
      try {
        resolve(JSON.parse(line));
      } catch (e) {
        reject(new Error(`controller start child: unreadable result ${line}: ${e.message}`));
      }
    });
  });
}

/** Disk use of a directory in bytes: `du -sk`, or the sum of file sizes when du is missing. */
function diskUse(dir) {
  const r = spawnSync('du', ['-sk', dir], { encoding: 'utf8' });
  if (r.status === 0) return Number(r.stdout.split(/\s/)[0]) * 1024;
  let total = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);

export default {
  id: 'controller-store',
  number: 6,
  title: 'Controller store',
  hosting: '',
  async run(ctx) {
    const iterations = ctx.quick ? 30 : 200;
    const warmup = ctx.quick ? 3 : 20;
    const startReps = ctx.quick ? 1 : ctx.reps;
    const notes = [];

    let pg;
    if (process.env.NEXTMINI_BENCH_NO_POSTGRES) {
      pg = { skipped: 'NEXTMINI_BENCH_NO_POSTGRES is set' };
    } else {
      ctx.log('  starting a throw-away PostgreSQL server');
      try {
        pg = await startPostgres();
      } catch (err) {
        pg = { skipped: String(err.message).split('\n')[0] };
      }
    }
    if (pg.skipped) {
      ctx.log(`  PostgreSQL skipped: ${pg.skipped}`);
      notes.push(`PostgreSQL: skipped, ${pg.skipped}`);
    }
    const pgName = pg.url ? `PostgreSQL ${pg.version.replace(/^.*?(\d+(\.\d+)*).*$/, '$1')} (local server, fsync on)` : null;

    const stores = [
      { key: 'memory', name: 'memory store', kind: 'memory', db: () => false },
      { key: 'pgliteMem', name: 'PGlite, memory://', kind: 'pglite', db: () => ({ path: 'memory://' }) },
      { key: 'pgliteDisk', name: 'PGlite, on disk', kind: 'pglite', dir: true, db: (dir) => ({ path: join(dir, 'state') }) },
      ...(pg.url ? [{ key: 'postgres', name: pgName, kind: 'postgres', db: () => ({ url: pg.url }) }] : []),
    ];

    const cases = [];
    try {
      // ---- 1. Operation latency. ----
      const samples = Object.fromEntries(stores.map((s) => [s.key, []])); // per rep: { create: [], ... }
      const clusters = [];
      try {
        for (const s of stores) {
          ctx.log(`  opening a controller with the ${s.name} and 4 nodes`);
          clusters.push(await openCluster(s));
        }
        for (const c of clusters) for (let i = 0; i < warmup; i++) await triple(c);
        for (let rep = 0; rep < ctx.reps; rep++) {
          // Stores in a rotated order, so none always runs first (or last) in a repetition.
          for (let k = 0; k < stores.length; k++) {
            const j = (k + rep) % stores.length;
            const r = Object.fromEntries(OPS.map(([op]) => [op, []]));
            for (let i = 0; i < iterations; i++) {
              const t = await triple(clusters[j]);
              for (const [op] of OPS) r[op].push(t[op]);
            }
            samples[stores[j].key].push(r);
          }
          ctx.log(`  latency repetition ${rep + 1}/${ctx.reps} done`);
        }
      } finally {
        for (const c of clusters) await c.close();
      }

      const kindOf = { pgliteDisk: 'nextmini', memory: 'baseline' };
      // Series order: PGlite on disk (the CLI's default), the memory store (baseline), the others.
      const order = ['pgliteDisk', 'memory', 'pgliteMem', 'postgres'].filter((k) => samples[k]);
      const storeByKey = Object.fromEntries(stores.map((s) => [s.key, s]));
      for (const [op, what] of OPS) {
        for (const [q, qv] of [['p50', 0.5], ['p99', 0.99]]) {
          const series = order.map((key) => {
            const reps = samples[key].map((r) => [...r[op]].sort((a, b) => a - b));
            const all = reps.flat().sort((a, b) => a - b);
            return {
              name: storeByKey[key].name,
              kind: kindOf[key] ?? 'variant',
              ...summarize(reps.map((s) => quantile(s, qv))),
              pooled: quantile(all, qv),
              pooledN: all.length,
            };
          });
          const base = series.find((s) => s.kind === 'baseline');
          for (const s of series) if (s.kind === 'variant') Object.assign(s, { ratio: s.median / base.median, ratioTo: 'memory store' });
          cases.push({
            id: `${op}-${q}`,
            label: `${what}, ${q}`,
            metric: `${q} latency of ${what}, from the call to its promise resolving (committed to the store)`,
            unit: 'ms',
            better: 'lower',
            ...(op === 'triple' && q === 'p50' ? { params: { iterationsPerRep: iterations, reps: ctx.reps, warmup, topology: 'diamond of 4, nodes in-process', store: `ratio = PGlite on disk / memory store; other stores' ratios in their cells` } } : {}),
            series,
          });
        }
      }

      // ---- 2. What PGlite costs to start. ----
      const start = { memory: [], pgliteMem: [], pgliteFresh: [], pgliteExisting: [], postgres: [] };
      const dirs = [];
      try {
        for (let rep = 0; rep < startReps; rep++) {
          ctx.log(`  controller start-up in a child process, repetition ${rep + 1}/${startReps}`);
          const dir = tempDir('pglite-start');
          dirs.push(dir);
          const path = join(dir, 'state');
          start.memory.push(await startInChild(false));
          start.pgliteMem.push(await startInChild({ path: 'memory://' }));
          start.pgliteFresh.push(await startInChild({ path }));
          start.pgliteExisting.push(await startInChild({ path }));
          if (pg.url) start.postgres.push(await startInChild({ url: pg.url }));
        }
      } finally {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
      for (const [k, want] of [['memory', 'memory'], ['pgliteMem', 'pglite'], ['pgliteFresh', 'pglite'], ['pgliteExisting', 'pglite'], ['postgres', 'postgres']]) {
        for (const r of start[k]) if (r.store !== want) throw new Error(`start-up child ${k}: the controller reports store ${r.store}, expected ${want}`);
      }
      const startSeries = (pick, scale = 1) => {
        const list = [
          ['pgliteFresh', 'PGlite, new directory', 'nextmini'],
          ['memory', 'memory store', 'baseline'],
          ['pgliteExisting', 'PGlite, existing directory', 'variant'],
          ['pgliteMem', 'PGlite, memory://', 'variant'],
          ...(pg.url ? [['postgres', `${pgName.replace(' (local server, fsync on)', '')}, server running, schema in place`, 'variant']] : []),
        ];
        const series = list.map(([k, name, kind]) => ({ name, kind, ...summarize(start[k].map((r) => pick(r) / scale)) }));
        const base = series[1];
        for (const s of series) if (s.kind === 'variant') Object.assign(s, { ratio: s.median / base.median, ratioTo: 'memory store' });
        return series;
      };
      const rssBefore = median(start.memory.map((r) => r.rssBefore)) / MiB;
      cases.push({
        id: 'start',
        label: 'startController',
        metric: 'time for startController to resolve, in a fresh process with the package and the core already loaded',
        unit: 'ms',
        better: 'lower',
        params: { reps: startReps, closeMsPGliteDisk: median(start.pgliteExisting.map((r) => r.closeMs)), closeMsMemory: median(start.memory.map((r) => r.closeMs)) },
        series: startSeries((r) => r.startMs),
      });
      cases.push({
        id: 'rss',
        label: 'RSS after start',
        metric: 'resident set size of a process running only a controller, 200 ms after start, after a forced GC',
        unit: 'MiB',
        better: 'lower',
        params: { rssBeforeStartMiB: rssBefore },
        series: startSeries((r) => r.rss, MiB),
      });
      cases.push({
        id: 'rss-peak',
        label: 'Peak RSS up to start',
        metric: 'peak resident set size of that process (VmHWM on Linux) up to 200 ms after start',
        unit: 'MiB',
        better: 'lower',
        series: startSeries((r) => r.maxRss, MiB),
      });
      const pkg = diskUse(pgliteDir) / MiB;
      cases.push({
        id: 'pglite-package',
        label: '@electric-sql/pglite on disk',
        metric: 'du of node_modules/@electric-sql/pglite',
        unit: 'MiB',
        better: 'lower',
        series: [{ name: 'node_modules/@electric-sql/pglite (du)', kind: 'nextmini', ...summarize([pkg]) }],
      });
    } finally {
      await pg.stop?.();
    }

    this.hosting = [
      `latency: a controller in the bench process per store, each with 4 nodes (Dataplane.open in the bench process, UDP, metrics_interval_ms 0) on a diamond 1 - {2, 3} - 4, all open at once; per repetition ${iterations} iterations per store (stores in a rotated order), after ${warmup} warm-up iterations. One iteration: node 1 createGroup, node 1 setGroupRoutes (tree 1 -> 2 -> 4), node 4 joinGroup, each timed from the call to its promise resolving (committed to the store), then node 1 deleteGroup (untimed). Cell: median (min–max) over repetitions of the per-repetition p50/p99; ratio = PGlite on disk / memory store (other stores' ratios in their cells)`,
      `PGlite on disk in a temp directory on ${tmpdir()} (PGlite writes each commit with pwrite, never fsync)`,
      pg.url ? `${pg.version} on the same machine, fresh cluster in a temp directory, PostgreSQL's default durability (fsync, synchronous_commit on), over TCP on 127.0.0.1` : null,
      `start-up: one fresh node process per start (node -e: import dist/node.js, init(), then startController timed; RSS 200 ms later after a forced GC; peak: VmHWM), ${startReps} repetition(s); "new directory" includes PGlite's initdb, "existing" reopens the directory the previous start made`,
      ...notes,
    ]
      .filter(Boolean)
      .join('; ');
    return { cases };
  },
};
