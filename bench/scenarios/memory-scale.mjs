// 5. Memory and scale: RSS of a node process idle and during a 1 MiB-message transfer, and
// the time for N nodes to reach TopologyReady under one controller.
import { startCluster, startRaw, using } from '../lib/cluster.mjs';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../lib/proc.mjs';
import { summarize } from '../lib/stats.mjs';
import { sleep } from '../lib/proc.mjs';
import { nextminiRep, rawUdpRep } from './unicast-goodput.mjs';

const MiB = 1024 * 1024;
const HOSTS = 4;
const mesh = (n) => ({ type: 'full_mesh', full_mesh_config: { n_nodes: n } });
const toMiB = (b) => b / MiB;

/** Node ids 1..n split into `k` contiguous groups, one per process. */
const split = (n, k) => Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => j + 1).filter((id) => (id - 1) % k === i)).filter((g) => g.length);

export default {
  id: 'memory-scale',
  number: 5,
  title: 'Memory and scale',
  hosting: `RSS: one Dataplane per node process (full mesh of 2 over UDP), after a forced GC; baseline is a bare process with one node:dgram socket. Scale: N Dataplanes in ${HOSTS} processes (N/${HOSTS} per process) on a full mesh over UDP, controller in the bench process; time is from the open commands to the last node seeing TopologyReady (processes already started, core loaded)`,
  async run(ctx) {
    const cases = [];
    const idleNm = [];
    const idleRaw = [];
    const peakNm = { sender: [], receiver: [] };
    const peakRaw = { sender: [], receiver: [] };
    const transfer = { size: MiB, total: (ctx.quick ? 8 : 64) * MiB, window: 2, ackEvery: 1 };
    ctx.log('  RSS idle and during a 1 MiB-message transfer');
    for (let i = 0; i < ctx.reps; i++) {
      await using(
        async () => {
          const cluster = await startCluster({ topology: mesh(2), hosts: [[1], [2]], names: ['mem-sender', 'mem-receiver'] });
          const raw = startRaw(['mem-raw-sender', 'mem-raw-receiver']);
          await raw.procs[0].call('udpBind');
          raw.udpPort = await raw.procs[1].call('udpBind');
          return { cluster, raw, close: () => Promise.all([cluster.close(), raw.close()]) };
        },
        async ({ cluster, raw }) => {
          await sleep(200);
          for (const p of cluster.procs) idleNm.push((await p.call('rss')).rss);
          for (const p of raw.procs) idleRaw.push((await p.call('rss')).rss);
          await Promise.all([...cluster.procs, ...raw.procs].map((p) => p.call('rssStart', { everyMs: 5 })));
          await nextminiRep(cluster, transfer);
          await rawUdpRep(raw, transfer, 8);
          const [s, r] = await Promise.all(cluster.procs.map((p) => p.call('rssStop')));
          const [rs, rr] = await Promise.all(raw.procs.map((p) => p.call('rssStop')));
          peakNm.sender.push(s);
          peakNm.receiver.push(r);
          peakRaw.sender.push(rs);
          peakRaw.receiver.push(rr);
        },
      );
    }
    const mem = (id, label, nm, raw) => ({
      id,
      label,
      metric: 'resident set size',
      unit: 'MiB',
      better: 'lower',
      series: [
        { name: 'nextmini node process', kind: 'nextmini', ...summarize(nm.map(toMiB)) },
        { name: 'raw node:dgram process', kind: 'baseline', ...summarize(raw.map(toMiB)) },
      ],
    });
    cases.push(mem('rss-idle', 'RSS per process, idle', idleNm, idleRaw));
    cases.push(mem('rss-1MiB-sender', `RSS peak, sender, ${transfer.total / MiB} × 1 MiB`, peakNm.sender, peakRaw.sender));
    cases.push(mem('rss-1MiB-receiver', `RSS peak, receiver, ${transfer.total / MiB} × 1 MiB`, peakNm.receiver, peakRaw.receiver));

    for (const n of ctx.quick ? [10] : [10, 50, 100]) {
      ctx.log(`  TopologyReady, N = ${n}`);
      const times = [];
      const rss = [];
      const reps = n >= 100 ? Math.min(ctx.reps, 3) : ctx.reps;
      for (let i = 0; i < reps; i++) {
        await using(
          () => startCluster({ topology: mesh(n), hosts: split(n, Math.min(HOSTS, n)), names: split(n, HOSTS).map((_, k) => `scale${n}-host${k + 1}`), readyTimeoutMs: 120_000 }),
          async (cluster) => {
            times.push(cluster.readyMs);
            for (const p of cluster.procs) rss.push((await p.call('rss')).rss);
          },
        );
      }
      cases.push({
        id: `ready-${n}`,
        label: `TopologyReady, N = ${n}`,
        metric: `time for ${n} nodes to reach TopologyReady`,
        unit: 'ms',
        better: 'lower',
        params: { nodes: n, processes: Math.min(HOSTS, n), nodesPerProcess: Math.ceil(n / HOSTS), topology: 'full mesh', protocol: 'udp', rssPerHostProcessMiB: summarize(rss.map(toMiB)).median },
        series: [{ name: `nextmini, ${n} nodes in ${Math.min(HOSTS, n)} processes`, kind: 'nextmini', ...summarize(times) }],
      });
    }
    // Whole networks in one process (startNetwork over memory), each in a fresh process so
    // that its RSS is its own. Issue 13's goals: fat tree k = 16 ready in < 3 s, k = 24 in
    // < 10 s, a 10,000-node torus in < 30 s, ≤ 128 KiB RSS per idle node.
    const sizes = ctx.quick
      ? [['fat tree k=4', { type: 'fat_tree', fat_tree_config: { k: 4 } }], ['fat tree k=8', { type: 'fat_tree', fat_tree_config: { k: 8 } }]]
      : [
          ['fat tree k=4', { type: 'fat_tree', fat_tree_config: { k: 4 } }],
          ['fat tree k=8', { type: 'fat_tree', fat_tree_config: { k: 8 } }],
          ['fat tree k=12', { type: 'fat_tree', fat_tree_config: { k: 12 } }],
          ['fat tree k=16', { type: 'fat_tree', fat_tree_config: { k: 16 } }],
          ['torus 30×30', { type: 'torus', torus_config: { dim: 2, n: 30 } }],
        ];
    const growth = [];
    for (const [label, topology] of sizes) {
      ctx.log(`  startNetwork, ${label}`);
      const child = new Child(fileURLToPath(new URL('../agent.mjs', import.meta.url)), { name: `network-${label.replace(/\W+/g, '-')}`, args: [] });
      try {
        const r = await child.call('network', { topology }, 180_000);
        growth.push({ label, ...r });
        cases.push({
          id: `network-${label.replace(/\W+/g, '-')}`,
          label: `startNetwork ready, ${label} (${r.nodes} nodes)`,
          metric: 'time from startNetwork() to every node ready, one process, memory links',
          unit: 'ms',
          better: 'lower',
          params: { nodes: r.nodes, ok: r.ok, rssPerNodeKiB: Math.round((r.rssAfter - r.rssBefore) / 1024 / r.nodes), rssAfterMiB: Math.round(toMiB(r.rssAfter)) },
          series: [{ name: `nextmini startNetwork, ${r.nodes} nodes`, kind: 'nextmini', ...summarize([r.ms]) }],
        });
      } catch (err) {
        ctx.log(`    failed: ${err.message}`);
      } finally {
        await child.stop();
      }
    }
    if (growth.length) writeGrowthPlot(ctx, growth);
    return { cases };
  },
};

/** Time and memory against N for startNetwork, as an SVG beside the other results. */
function writeGrowthPlot(ctx, rows) {
  const W = 640;
  const H = 300;
  const pad = 50;
  const maxN = Math.max(...rows.map((r) => r.nodes));
  const maxMs = Math.max(...rows.map((r) => r.ms));
  const maxKiB = Math.max(...rows.map((r) => (r.rssAfter - r.rssBefore) / 1024 / r.nodes), 128);
  const x = (n) => pad + ((W - 2 * pad) * n) / maxN;
  const yMs = (ms) => H - pad - ((H - 2 * pad) * ms) / maxMs;
  const yKiB = (k) => H - pad - ((H - 2 * pad) * k) / maxKiB;
  const line = (pts, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  const msPts = rows.map((r) => [x(r.nodes), yMs(r.ms)]);
  const kibPts = rows.map((r) => [x(r.nodes), yKiB((r.rssAfter - r.rssBefore) / 1024 / r.nodes)]);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${pad}" y="20" font-size="13">startNetwork over memory, one process: time to ready (blue, ms) and RSS per node (orange, KiB) against N</text>`,
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>`,
    line(msPts, '#1f5fbf'),
    line(kibPts, '#d9822b'),
    `<line x1="${pad}" y1="${yKiB(128).toFixed(1)}" x2="${W - pad}" y2="${yKiB(128).toFixed(1)}" stroke="#d9822b" stroke-dasharray="4 3"/>`,
    `<text x="${W - pad - 90}" y="${(yKiB(128) - 4).toFixed(1)}" fill="#d9822b">128 KiB/node goal</text>`,
    ...rows.map((r, i) => `<text x="${x(r.nodes).toFixed(1)}" y="${H - pad + 14}" text-anchor="middle">${r.nodes}</text><circle cx="${msPts[i][0].toFixed(1)}" cy="${msPts[i][1].toFixed(1)}" r="3" fill="#1f5fbf"/><text x="${(msPts[i][0] + 4).toFixed(1)}" y="${(msPts[i][1] - 4).toFixed(1)}" fill="#1f5fbf">${Math.round(r.ms)} ms</text><circle cx="${kibPts[i][0].toFixed(1)}" cy="${kibPts[i][1].toFixed(1)}" r="3" fill="#d9822b"/>`),
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">nodes (N)</text>`,
    '</svg>',
  ].join('\n');
  const dir = ctx.outDir ?? join(fileURLToPath(new URL('../results/', import.meta.url)));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scale.svg'), `${svg}\n`);
}
