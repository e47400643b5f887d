// 2. Small-message round trips: 1 hop (full mesh of 2) and 2 hops (line 1 - 2 - 3, node 2
// forwarding in its own process), against raw node:dgram ping-pong (and a raw relay for 2 hops).
import { startCluster, startRaw, using, profiledWindow } from '../lib/cluster.mjs';
import { summarize, quantile } from '../lib/stats.mjs';

const SIZE = 64;
let portSeq = 30000;

const pct = (rtts) => {
  const s = [...rtts].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
};

async function nextminiRep(cluster, { pinger, echoer, pingNode, echoNode, count, warmup }) {
  const port = portSeq++;
  const key = `echo-${port}`;
  await echoer.call('armEcho', { key, node: echoNode, peer: pingNode, srcPort: port, dstPort: port + 10000, count: count + warmup });
  const r = await pinger.call('ping', { node: pingNode, peer: echoNode, srcPort: port, dstPort: port + 10000, count, warmup, size: SIZE }, 120_000);
  await echoer.call('result', { key }, 30_000);
  return { ...pct(r.rtts), lost: r.lost };
}

async function rawRep(pinger, port, { count, warmup }) {
  const r = await pinger.call('udpPing', { port, count, warmup, size: SIZE }, 120_000);
  return { ...pct(r.rtts), lost: r.lost };
}

function cases(hops, nm, bl, baseName, goal) {
  const mk = (q) => ({
    id: `${hops}hop-${q}`,
    label: `${hops} hop${hops > 1 ? 's' : ''}, RTT ${q}`,
    metric: `round-trip time ${q} of ${SIZE} B messages`,
    unit: 'µs',
    better: 'lower',
    series: [
      { name: `nextmini UDP, ${hops} hop${hops > 1 ? 's' : ''}`, kind: 'nextmini', ...summarize(nm.map((r) => r[q] * 1000)), lost: nm.reduce((a, r) => a + r.lost, 0) },
      { name: baseName, kind: 'baseline', ...summarize(bl.map((r) => r[q] * 1000)), lost: bl.reduce((a, r) => a + r.lost, 0) },
    ],
    // Issue 14 asks the tail to hold too: the goal applies to p50 and p99.
    ...(goal ? { goal: { ...goal, text: `${goal.text} (${q})` } } : {}),
  });
  return [mk('p50'), mk('p99')];
}

export default {
  id: 'latency',
  number: 2,
  title: `Latency, ${SIZE} B round trips`,
  hosting: 'one node per process over UDP links; 1 hop: full mesh of 2; 2 hops: line 1 - 2 - 3 with node 2 forwarding in its own process; sequential ping-pong, one message in flight',
  async run(ctx) {
    const count = ctx.quick ? 200 : 5000;
    const warmup = ctx.quick ? 50 : 300;
    const out = [];
    // 1 hop.
    await using(
      async () => {
        const cluster = await startCluster({ topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, hosts: [[1], [2]], names: ['lat1-a', 'lat1-b'] });
        const raw = startRaw(['raw-ping', 'raw-echo']);
        await raw.procs[0].call('udpBind');
        raw.echoPort = await raw.procs[1].call('udpBind');
        await raw.procs[1].call('udpEcho');
        return { cluster, raw, close: () => Promise.all([cluster.close(), raw.close()]) };
      },
      async ({ cluster, raw }) => {
        ctx.log('  1 hop');
        const nm = [];
        const bl = [];
        const args = { pinger: cluster.procs[0], echoer: cluster.procs[1], pingNode: 1, echoNode: 2, count, warmup };
        for (let i = 0; i < ctx.reps; i++) {
          nm.push(await nextminiRep(cluster, args));
          bl.push(await rawRep(raw.procs[0], raw.echoPort, { count, warmup }));
        }
        out.push(...cases(1, nm, bl, 'raw node:dgram ping-pong', { text: 'one-hop RTT ≤ 1.5× raw node:dgram', maxRatio: 1.5 }));
      },
    );
    // 2 hops.
    await using(
      async () => {
        const cluster = await startCluster({ topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, hosts: [[1], [2], [3]], names: ['lat2-a', 'lat2-fwd', 'lat2-b'] });
        const raw = startRaw(['raw2-ping', 'raw2-relay', 'raw2-echo']);
        const pingPort = await raw.procs[0].call('udpBind');
        const relayPort = await raw.procs[1].call('udpBind');
        const echoPort = await raw.procs[2].call('udpBind');
        await raw.procs[2].call('udpEcho');
        await raw.procs[1].call('udpRelay', { a: pingPort, b: echoPort });
        raw.relayPort = relayPort;
        return { cluster, raw, close: () => Promise.all([cluster.close(), raw.close()]) };
      },
      async ({ cluster, raw }) => {
        ctx.log('  2 hops');
        const nm = [];
        const bl = [];
        const args = { pinger: cluster.procs[0], echoer: cluster.procs[2], pingNode: 1, echoNode: 3, count, warmup };
        for (let i = 0; i < ctx.reps; i++) {
          nm.push(await nextminiRep(cluster, args));
          bl.push(await rawRep(raw.procs[0], raw.relayPort, { count, warmup }));
        }
        out.push(...cases(2, nm, bl, 'raw node:dgram ping-pong through a raw relay process', null));
      },
    );
    return { cases: out };
  },

  async profile(ctx, caseIds) {
    if (!caseIds.some((id) => id.startsWith('1hop'))) return [];
    const dir = ctx.profileDirFor('latency-1hop');
    const windows = await using(
      () => startCluster({ topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, hosts: [[1], [2]], names: ['pinger', 'echoer'], profileDir: dir }),
      (cluster) => profiledWindow(cluster.procs, () => nextminiRep(cluster, { pinger: cluster.procs[0], echoer: cluster.procs[1], pingNode: 1, echoNode: 2, count: ctx.quick ? 1000 : 5000, warmup: 200 })),
    );
    return [{ caseId: '1hop-p50', dir, roles: ['pinger', 'echoer'], windows }];
  },
};
