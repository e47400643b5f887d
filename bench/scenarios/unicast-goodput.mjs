// 1. Unicast goodput between two node processes, over UDP links and over TCP links, against
// raw node:dgram (paced bursts) and raw node:net between two processes.
import { startCluster, startRaw, using, profiledWindow } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const MB = 1e6;

// Bytes per repetition, and the sender's window (messages in flight before it waits for the
// receiver's cumulative ack). The UDP window stays well below the ~8 MiB kernel receive
// buffer so the receiver's socket is not the thing being measured.
const plan = (quick) => [
  { size: 8 * KiB, total: quick ? 4 * MiB : 64 * MiB, window: 128, ackEvery: 32 },
  { size: MiB, total: quick ? 8 * MiB : 128 * MiB, window: 2, ackEvery: 1 },
];

const sizeLabel = (s) => (s >= MiB ? `${s / MiB} MiB` : `${s / KiB} KiB`);
let portSeq = 20000;

export async function nextminiRep(cluster, { size, total, window, ackEvery }) {
  const [sender, receiver] = cluster.procs;
  const count = Math.max(2, Math.round(total / size));
  const port = portSeq++;
  const ackPort = portSeq++;
  const key = `sink-${port}`;
  await receiver.call('armSink', { key, node: 2, src: 1, srcPort: port, dstPort: port, count, ackEvery, ackPort });
  const s = await sender.call('source', { node: 1, dst: 2, srcPort: port, dstPort: port, count, size, window, ackPort }, 90_000);
  const r = await receiver.call('result', { key }, 90_000);
  return {
    value: r.bytes / ((r.tLast - s.tStart) / 1000) / MB,
    lossPct: (100 * (s.sent - r.messages)) / Math.max(1, s.sent),
    stalls: s.stalls,
  };
}

export async function rawUdpRep(raw, { size, total }, burst) {
  const [sender, receiver] = raw.procs;
  const bytes = Math.max(2, Math.round(total / size)) * size;
  const key = `u${portSeq++}`;
  await receiver.call('udpArmSink', { key, expectedBytes: bytes });
  const s = await sender.call('udpSource', { port: raw.udpPort, totalBytes: bytes, burst }, 90_000);
  const r = await receiver.call('result', { key }, 90_000);
  return { value: r.bytes / ((r.tLast - s.tStart) / 1000) / MB, lossPct: (100 * (bytes - r.bytes)) / bytes };
}

async function rawTcpRep(raw, { size, total }) {
  const [sender, receiver] = raw.procs;
  const count = Math.max(2, Math.round(total / size));
  const key = `t${portSeq++}`;
  await receiver.call('tcpArmSink', { key, expectedBytes: count * size });
  const s = await sender.call('tcpSource', { port: raw.tcpPort, count, size }, 90_000);
  const r = await receiver.call('result', { key }, 90_000);
  return { value: r.bytes / ((r.tLast - s.tStart) / 1000) / MB, lossPct: (100 * (count * size - r.bytes)) / (count * size) };
}

/**
 * The raw node:dgram baseline is paced: bursts of `burst` datagrams with setImmediate in
 * between. The largest burst (from 32 down) that delivers a full-size transfer twice without
 * loss is used, so the baseline measures what loopback UDP delivers, not drops. Raw
 * datagrams do not depend on the message size, so this is done once per run.
 */
let calibrated;
async function calibrateBurst(raw, total) {
  if (calibrated) return calibrated;
  const probe = { size: MiB, total };
  for (const burst of [32, 16, 8, 4, 2]) {
    const a = await rawUdpRep(raw, probe, burst);
    if (a.lossPct > 0) continue;
    const b = await rawUdpRep(raw, probe, burst);
    if (b.lossPct === 0) return (calibrated = burst);
  }
  return (calibrated = 1);
}

const series = (name, kind, reps) => ({
  name,
  kind,
  ...summarize(reps.map((r) => r.value)),
  lossPct: Math.max(0, ...reps.map((r) => r.lossPct ?? 0)),
  lossPctMedian: summarize(reps.map((r) => r.lossPct ?? 0)).median,
  lossyReps: reps.filter((r) => r.lossPct > 0).length,
  ...(reps.some((r) => r.stalls) ? { windowStalls: reps.reduce((a, r) => a + (r.stalls ?? 0), 0) } : {}),
});

export default {
  id: 'unicast-goodput',
  number: 1,
  title: 'Unicast goodput, two node processes',
  hosting: 'two node processes (one Dataplane each, full mesh of 2), controller in the bench process; receiver acks every few messages and the sender keeps a bounded window',
  async run(ctx) {
    const cases = [];
    for (const protocol of ['udp', 'tcp']) {
      await using(
        async () => {
          const cluster = await startCluster({ topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, protocol, hosts: [[1], [2]], names: [`goodput-${protocol}-sender`, `goodput-${protocol}-receiver`] });
          const raw = startRaw([`raw-${protocol}-sender`, `raw-${protocol}-receiver`]);
          if (protocol === 'udp') {
            await raw.procs[0].call('udpBind');
            raw.udpPort = await raw.procs[1].call('udpBind');
          } else raw.tcpPort = await raw.procs[1].call('tcpListen');
          return { cluster, raw, close: async () => Promise.all([cluster.close(), raw.close()]) };
        },
        async ({ cluster, raw }) => {
          for (const p of plan(ctx.quick)) {
            const label = `${protocol.toUpperCase()} links, ${sizeLabel(p.size)} messages`;
            ctx.log(`  ${label}`);
            // Warm-up (JIT, buffers), not counted; it also picks the raw UDP pacing.
            const warm = { ...p, total: Math.min(p.total, 4 * MiB) };
            await nextminiRep(cluster, warm);
            const burst = protocol === 'udp' ? await calibrateBurst(raw, Math.max(...plan(ctx.quick).map((x) => x.total))) : 0;
            if (protocol === 'tcp') await rawTcpRep(raw, warm);
            const base = () => (protocol === 'udp' ? rawUdpRep(raw, p, burst) : rawTcpRep(raw, p));
            const baseName = protocol === 'udp' ? `raw node:dgram (1400 B datagrams, paced: bursts of ${burst} + setImmediate)` : 'raw node:net (one connection, write() backpressure)';
            const nm = [];
            const bl = [];
            // Interleaved so that drift on a shared machine hits both alike.
            for (let i = 0; i < ctx.reps; i++) {
              nm.push(await nextminiRep(cluster, p));
              bl.push(await base());
            }
            const c = {
              id: `${protocol}-${p.size >= MiB ? '1MiB' : '8KiB'}`,
              label,
              metric: 'goodput at the receiver',
              unit: 'MB/s',
              better: 'higher',
              params: { messageBytes: p.size, messagesPerRep: Math.round(p.total / p.size), windowMessages: p.window, ackEvery: p.ackEvery, ...(burst ? { rawUdpBurst: burst } : {}) },
              series: [series(`nextmini ${protocol.toUpperCase()}`, 'nextmini', nm), series(baseName, 'baseline', bl)],
              goal: protocol === 'udp' ? { text: 'Unicast UDP goodput ≥ 80% of the paced raw node:dgram baseline', minRatio: 0.8 } : { text: 'TCP-link goodput ≥ 70% of raw node:net', minRatio: 0.7 },
            };
            cases.push(c);
          }
        },
      );
    }
    return { cases };
  },

  /** One more transfer per case with the nextmini processes under --cpu-prof. */
  async profile(ctx, caseIds) {
    const out = [];
    for (const protocol of ['udp', 'tcp']) {
      const wanted = plan(ctx.quick).filter((p) => caseIds.includes(`${protocol}-${p.size >= MiB ? '1MiB' : '8KiB'}`));
      if (!wanted.length) continue;
      for (const p of wanted) {
        const id = `${protocol}-${p.size >= MiB ? '1MiB' : '8KiB'}`;
        const dir = ctx.profileDirFor(`unicast-goodput-${id}`);
        const windows = await using(
          () => startCluster({ topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, protocol, hosts: [[1], [2]], names: ['sender', 'receiver'], profileDir: dir }),
          async (cluster) => {
            await nextminiRep(cluster, { ...p, total: Math.min(p.total, 4 * MiB) }); // warm-up
            return profiledWindow(cluster.procs, () => nextminiRep(cluster, p));
          },
        );
        out.push({ caseId: id, dir, roles: ['sender', 'receiver'], windows });
      }
    }
    return out;
  },
};
