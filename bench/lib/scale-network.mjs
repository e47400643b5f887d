// Scenario 5's scale series (issue 13): startNetwork over memory in one fresh process per size,
// with delivery probes on the largest torus and a controller alone beside it; 1,000 nodes in
// 8 processes over UDP under one controller; and the growth plot (bench/results/scale.svg).
import { fileURLToPath } from 'node:url';
import { Child } from './proc.mjs';
import { summarize } from './stats.mjs';
import { startCluster, using } from './cluster.mjs';
import { diameterEnds, multicastPlan } from './scale-topo.mjs';
import { writeGrowthPlot } from './scale-plot.mjs';

const MiB = 1024 * 1024;
const agent = fileURLToPath(new URL('../agent.mjs', import.meta.url));
const fat = (k) => [`fat tree k=${k}`, { type: 'fat_tree', fat_tree_config: { k } }];
const torus = (n) => [`torus ${n}×${n}`, { type: 'torus', torus_config: { dim: 2, n } }, n];
const slug = (label) => label.replace(/\W+/g, '-');

/** Node ids 1..n split into `k` contiguous-by-residue groups, one per process. */
const split = (n, k) => Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => j + 1).filter((id) => (id - 1) % k === i));

/**
 * startNetwork series. Goals: fat tree k = 16 ready < 3 s, k = 24 < 10 s, the 100 × 100 torus
 * < 30 s, ≤ 128 KiB RSS per idle node; the torus also carries a unicast across its diameter and
 * a 1 MiB lossless multicast to 100 members.
 */
export async function networkSeries(ctx, cases) {
  const sizes = ctx.quick ? [fat(4), fat(8), torus(10)] : [fat(4), fat(8), fat(12), fat(16), fat(24), torus(30), torus(100)];
  const probeOn = ctx.quick ? 10 : 100;
  const growth = [];
  for (const [label, topology, n] of sizes) {
    ctx.log(`  startNetwork, ${label}`);
    const probes = n === probeOn ? { unicast: diameterEnds(n), multicast: { src: 1, ...multicastPlan(n, 1, ctx.quick ? 20 : 100), bytes: MiB } } : {};
    const child = new Child(agent, { name: `network-${slug(label)}` });
    try {
      const r = await child.call('network', { topology, timeoutMs: 120_000, ...probes }, 300_000);
      const perNode = (a, b) => Math.round((b - a) / 1024 / r.nodes);
      growth.push({ label, nodes: r.nodes, ms: r.ms, kib: perNode(r.rssBefore, r.rssAfter) });
      cases.push({
        id: `network-${slug(label)}`,
        label: `startNetwork ready, ${label} (${r.nodes} nodes)`,
        metric: 'time from startNetwork() to every node ready, one process, memory links',
        unit: 'ms',
        better: 'lower',
        params: { nodes: r.nodes, ok: r.ok, rssPerNodeKiB: perNode(r.rssBefore, r.rssAfter), heapPerNodeKiB: perNode(r.heapBefore, r.heapAfter), rssAfterMiB: Math.round(r.rssAfter / MiB), heapAfterMiB: Math.round(r.heapAfter / MiB) },
        series: [{ name: `nextmini startNetwork, ${r.nodes} nodes`, kind: 'nextmini', ...summarize([r.ms]) }],
      });
      if (r.unicast) probeCase(cases, `unicast-${slug(label)}`, `unicast across the diameter (${r.unicast.src} → ${r.unicast.dst}), ${label}`, r.unicast);
      if (r.multicast) probeCase(cases, `multicast-${slug(label)}`, `1 MiB lossless multicast to ${r.multicast.members} members, ${label}`, r.multicast);
    } catch (err) {
      ctx.log(`    failed: ${err.message}`);
    } finally {
      await child.stop();
    }
    if (n === probeOn) await controllerCase(ctx, cases, label, topology);
  }
  if (growth.length) writeGrowthPlot(ctx, growth);
}

function probeCase(cases, id, label, r) {
  cases.push({
    id,
    label,
    metric: 'ms until delivered (every receiver holding the whole buffer, for the multicast)',
    unit: 'ms',
    better: 'lower',
    params: { ...r },
    series: [{ name: r.ok ? 'nextmini (delivered)' : 'nextmini (NOT delivered)', kind: 'nextmini', ...summarize([r.ms ?? NaN]) }],
  });
}

/** What the controller alone adds to a process for this topology (memory store, no nodes). */
async function controllerCase(ctx, cases, label, topology) {
  const child = new Child(agent, { name: `controller-${slug(label)}` });
  try {
    const r = await child.call('controllerAlone', { topology }, 120_000);
    cases.push({
      id: `controller-${slug(label)}`,
      label: `controller alone on ${label}: start time (RSS ${r.rssMiB} MiB, heap ${r.heapMiB} MiB)`,
      metric: 'ms to start a controller (memory store) on the topology, no nodes',
      unit: 'ms',
      better: 'lower',
      params: r,
      series: [{ name: 'nextmini controller', kind: 'nextmini', ...summarize([r.ms]) }],
    });
  } catch (err) {
    ctx.log(`    controller alone failed: ${err.message}`);
  } finally {
    await child.stop();
  }
}

/** 1,000 nodes (a 10 × 10 × 10 torus) in 8 processes over UDP, one controller here. Goal: < 10 s. */
export async function udpProcessesCase(ctx, cases) {
  const [n, procs, topology] = ctx.quick ? [64, 4, { type: 'torus', torus_config: { dim: 3, n: 4 } }] : [1000, 8, { type: 'torus', torus_config: { dim: 3, n: 10 } }];
  ctx.log(`  ${n} nodes in ${procs} processes over UDP`);
  globalThis.gc?.();
  const before = process.memoryUsage();
  await using(
    () => startCluster({ topology, protocol: 'udp', hosts: split(n, procs), names: split(n, procs).map((_, k) => `udp${n}-host${k + 1}`), readyTimeoutMs: 120_000 }),
    async (cluster) => {
      const rss = [];
      for (const p of cluster.procs) rss.push((await p.call('rss')).rss);
      globalThis.gc?.();
      const here = process.memoryUsage();
      cases.push({
        id: `udp-processes-${n}`,
        label: `TopologyReady, ${n} nodes in ${procs} processes over UDP`,
        metric: 'time from the open commands to the last node seeing TopologyReady',
        unit: 'ms',
        better: 'lower',
        params: {
          nodes: n,
          processes: procs,
          topology: 'torus 3-D',
          protocol: 'udp',
          rssPerNodeProcessMiB: Math.round(summarize(rss.map((b) => b / MiB)).median),
          controllerProcessRssDeltaMiB: Math.round((here.rss - before.rss) / MiB),
          controllerProcessHeapDeltaMiB: Math.round((here.heapUsed - before.heapUsed) / MiB),
        },
        series: [{ name: `nextmini, ${n} nodes in ${procs} processes`, kind: 'nextmini', ...summarize([cluster.readyMs]) }],
      });
    },
  );
}
