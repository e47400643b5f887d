// 7. What authentication costs on the data path: the same unicast goodput and 1-hop round
// trips with `auth_token` set (every datagram carries a per-link MAC, checked per hop) against
// the same cluster without it, in the same run. Goals from issue 11: ≤ 15% goodput cost and
// ≤ 10 µs added to the 1-hop RTT.
import { startCluster, using } from '../lib/cluster.mjs';
import { summarize, quantile } from '../lib/stats.mjs';
import { nextminiRep } from './unicast-goodput.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const SECRET = 'bench-auth-cost-secret-0123456789';
const RTT_SIZE = 64;
let portSeq = 40000;

const mesh2 = { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } };
const cluster = (auth, names) =>
  startCluster({
    topology: mesh2,
    hosts: [[1], [2]],
    names,
    ...(auth ? { controllerExtra: { auth_token: SECRET }, nodeExtra: { auth_token: SECRET } } : {}),
  });

async function rtt(c, { count, warmup }) {
  const [pinger, echoer] = c.procs;
  const port = portSeq++;
  const key = `echo-${port}`;
  await echoer.call('armEcho', { key, node: 2, peer: 1, srcPort: port, dstPort: port + 10000, count: count + warmup });
  const r = await pinger.call('ping', { node: 1, peer: 2, srcPort: port, dstPort: port + 10000, count, warmup, size: RTT_SIZE }, 120_000);
  await echoer.call('result', { key }, 30_000);
  const s = [...r.rtts].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5) * 1000, p99: quantile(s, 0.99) * 1000, lost: r.lost };
}

export default {
  id: 'auth-cost',
  number: 7,
  title: 'Authentication cost (auth_token on vs off)',
  hosting: 'two node processes over UDP (full mesh of 2), one cluster with auth_token (HMAC hello, per-link MAC on every datagram) and one without, measured alternately in the same run',
  async run(ctx) {
    const plan = [
      { size: 8 * KiB, total: ctx.quick ? 4 * MiB : 64 * MiB, window: 128, ackEvery: 32 },
      { size: MiB, total: ctx.quick ? 8 * MiB : 128 * MiB, window: 2, ackEvery: 1 },
    ];
    const count = ctx.quick ? 200 : 5000;
    const warmup = ctx.quick ? 50 : 300;
    const cases = [];
    await using(
      async () => {
        const on = await cluster(true, ['auth-on-sender', 'auth-on-receiver']);
        const off = await cluster(false, ['auth-off-sender', 'auth-off-receiver']);
        return { on, off, close: () => Promise.all([on.close(), off.close()]) };
      },
      async ({ on, off }) => {
        for (const p of plan) {
          const label = `UDP goodput, ${p.size >= MiB ? '1 MiB' : '8 KiB'} messages`;
          ctx.log(`  ${label}`);
          const warm = { ...p, total: Math.min(p.total, 4 * MiB) };
          await nextminiRep(on, warm);
          await nextminiRep(off, warm);
          const a = [];
          const b = [];
          for (let i = 0; i < ctx.reps; i++) {
            a.push(await nextminiRep(on, p));
            b.push(await nextminiRep(off, p));
          }
          cases.push({
            id: `goodput-${p.size >= MiB ? '1MiB' : '8KiB'}`,
            label,
            metric: 'goodput at the receiver',
            unit: 'MB/s',
            better: 'higher',
            series: [
              { name: 'nextmini UDP, auth on', kind: 'nextmini', ...summarize(a.map((r) => r.value)), lossPct: Math.max(0, ...a.map((r) => r.lossPct)) },
              { name: 'nextmini UDP, auth off', kind: 'baseline', ...summarize(b.map((r) => r.value)), lossPct: Math.max(0, ...b.map((r) => r.lossPct)) },
            ],
            goal: { text: 'authentication costs ≤ 15% of goodput', minRatio: 0.85 },
          });
        }
        ctx.log('  1-hop RTT');
        await rtt(on, { count: 50, warmup: 50 });
        await rtt(off, { count: 50, warmup: 50 });
        const a = [];
        const b = [];
        for (let i = 0; i < ctx.reps; i++) {
          a.push(await rtt(on, { count, warmup }));
          b.push(await rtt(off, { count, warmup }));
        }
        for (const q of ['p50', 'p99']) {
          cases.push({
            id: `rtt-${q}`,
            label: `1 hop, RTT ${q}`,
            metric: `round-trip time ${q} of ${RTT_SIZE} B messages`,
            unit: 'µs',
            better: 'lower',
            series: [
              { name: 'nextmini UDP, auth on', kind: 'nextmini', ...summarize(a.map((r) => r[q])), lost: a.reduce((n, r) => n + r.lost, 0) },
              { name: 'nextmini UDP, auth off', kind: 'baseline', ...summarize(b.map((r) => r[q])), lost: b.reduce((n, r) => n + r.lost, 0) },
            ],
            ...(q === 'p50' ? { goal: { text: 'authentication adds ≤ 10 µs to the 1-hop RTT', maxDelta: 10 } } : {}),
          });
        }
      },
    );
    return { cases };
  },
};
