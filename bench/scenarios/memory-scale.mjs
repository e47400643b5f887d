// 5. Memory and scale: RSS of a node process idle and during a 1 MiB-message transfer, the
// time for N nodes to reach TopologyReady under one controller, and issue 13's scale series
// (bench/lib/scale-network.mjs).
import { startCluster, startRaw, using } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';
import { sleep } from '../lib/proc.mjs';
import { nextminiRep, rawUdpRep } from './unicast-goodput.mjs';
import { networkSeries, udpProcessesCase } from '../lib/scale-network.mjs';

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
  hosting: `RSS: one Dataplane per node process (full mesh of 2 over UDP), after a forced GC; baseline is a bare process with one node:dgram socket. Scale: N Dataplanes in ${HOSTS} processes (N/${HOSTS} per process) on a full mesh over UDP, controller in the bench process; time is from the open commands to the last node seeing TopologyReady (processes already started, core loaded). startNetwork: a whole network over memory in one fresh process per size, RSS and heap per node after a forced GC, probes on the largest torus; a controller alone on that torus in another; 1,000 nodes (10×10×10 torus) in 8 processes over UDP with the controller in the bench process`,
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
    // Issue 13's scale goals: whole networks in one process (startNetwork over memory), with
    // delivery probes on the largest, and 1,000 nodes in 8 processes over UDP.
    await networkSeries(ctx, cases);
    await udpProcessesCase(ctx, cases);
    return { cases };
  },
};
