// 1. Unicast goodput between two node processes, over UDP links and over TCP links, against
// raw node:dgram (paced bursts) and raw node:net between two processes; then how it grows
// (no goals, reports): 1, 2 and 4 concurrent flows over UDP and over TCP against as many raw
// paced flows / connections, and memory links between two Dataplanes in one process against
// a MessageChannel in one process.
import { startCluster, startRaw, using, profiledWindow } from '../lib/cluster.mjs';
import { Child, agentPath } from '../lib/proc.mjs';
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

// Concurrent flows: 1 MiB messages, the same total bytes per repetition split evenly across
// the flows (so each flow carries 1/N of them), each flow with its own window of 2.
const flowsPlan = (quick) => ({ size: MiB, total: quick ? 8 * MiB : 64 * MiB, window: 2, ackEvery: 1, flows: [1, 2, 4] });

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

/**
 * `n` concurrent flows from node 1 to node 2 (distinct port pairs, each with its own window
 * and acks), `total` bytes split evenly across them. Aggregate goodput: all flows' bytes over
 * the time from the first flow's first send to the last flow's last delivery.
 */
async function nextminiFlowsRep(cluster, { size, total, window, ackEvery }, n) {
  const [sender, receiver] = cluster.procs;
  const count = Math.max(n, Math.round(total / size));
  const flows = Array.from({ length: n }, (_, i) => {
    const port = portSeq++;
    return { port, ackPort: portSeq++, key: `sink-${port}`, count: Math.floor(count / n) + (i < count % n ? 1 : 0) };
  });
  await Promise.all(flows.map((f) => receiver.call('armSink', { key: f.key, node: 2, src: 1, srcPort: f.port, dstPort: f.port, count: f.count, ackEvery, ackPort: f.ackPort })));
  const ss = await sender.call('sources', { flows: flows.map((f) => ({ node: 1, dst: 2, srcPort: f.port, dstPort: f.port, count: f.count, size, window, ackPort: f.ackPort })) }, 90_000);
  const rs = await Promise.all(flows.map((f) => receiver.call('result', { key: f.key }, 90_000)));
  const sent = ss.reduce((a, x) => a + x.sent, 0);
  const tStart = Math.min(...ss.map((x) => x.tStart));
  const tLast = Math.max(...rs.map((r) => r.tLast).filter(Number.isFinite));
  return {
    value: rs.reduce((a, r) => a + r.bytes, 0) / ((tLast - tStart) / 1000) / MB,
    lossPct: (100 * (sent - rs.reduce((a, r) => a + r.messages, 0))) / Math.max(1, sent),
    stalls: ss.reduce((a, x) => a + x.stalls, 0),
  };
}

/** Raw node:dgram, `ports.length` paced flows at once (udpBindFlows on both sides first). */
async function rawUdpFlowsRep(raw, { size, total }, ports, burst) {
  const [sender, receiver] = raw.procs;
  const bytes = Math.max(ports.length, Math.round(total / size)) * size;
  const key = `u${portSeq++}`;
  await receiver.call('udpArmSink', { key, expectedBytes: bytes });
  const s = await sender.call('udpFlowsSource', { ports, totalBytes: bytes, burst }, 90_000);
  const r = await receiver.call('result', { key }, 90_000);
  return { value: r.bytes / ((r.tLast - s.tStart) / 1000) / MB, lossPct: (100 * (bytes - r.bytes)) / bytes };
}

/** Raw node:net, `n` connections at once, the messages split across them. */
async function rawTcpFlowsRep(raw, { size, total }, n) {
  const [sender, receiver] = raw.procs;
  const count = Math.max(n, Math.round(total / size));
  const key = `t${portSeq++}`;
  await receiver.call('tcpArmSink', { key, expectedBytes: count * size });
  const s = await sender.call('tcpSourceFlows', { port: raw.tcpPort, flows: n, count, size }, 90_000);
  const r = await receiver.call('result', { key }, 90_000);
  return { value: r.bytes / ((r.tLast - s.tStart) / 1000) / MB, lossPct: (100 * (count * size - r.bytes)) / (count * size) };
}

/** Both UDP nodes' flow-control counters: probes (summed) and the receive buffers the kernel granted. */
async function flowCounters(cluster) {
  const [s, r] = await Promise.all([cluster.procs[0].call('stats', { node: 1 }), cluster.procs[1].call('stats', { node: 2 })]);
  return { probes: s.flow.probes + r.flow.probes, recvBufferBytes: r.flow.recvBufferBytes, senderRecvBufferBytes: s.flow.recvBufferBytes };
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

/**
 * The same for `n` concurrent raw flows: the largest per-flow burst, from the 1-flow burst
 * down, that delivers a transfer of `total` twice without loss (1 if none does; its loss is
 * then reported with the number).
 */
const calibratedFlows = new Map();
async function calibrateFlowsBurst(raw, ports, total, oneFlowBurst) {
  const n = ports.length;
  if (n === 1) return oneFlowBurst;
  if (calibratedFlows.has(n)) return calibratedFlows.get(n);
  const probe = { size: MiB, total };
  let burst = 1;
  for (const b of [32, 16, 8, 4, 2].filter((x) => x <= oneFlowBurst)) {
    if ((await rawUdpFlowsRep(raw, probe, ports, b)).lossPct > 0) continue;
    if ((await rawUdpFlowsRep(raw, probe, ports, b)).lossPct === 0) {
      burst = b;
      break;
    }
  }
  calibratedFlows.set(n, burst);
  return burst;
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

/** A UDP case's flow-control report: the granted receive buffers, and probes since `before`. */
async function udpParams(cluster, raw, before) {
  const after = await flowCounters(cluster);
  const rawBuf = raw.udpBuffers ??= await raw.procs[1].call('udpBuffers');
  return { recvBufferBytes: after.recvBufferBytes, flowProbes: after.probes - before.probes, rawRecvBufferBytes: rawBuf.recvBufferBytes };
}

/**
 * How cost grows with concurrent flows (reports, no goals): 1, 2 and 4 flows of 1 MiB
 * messages between the same two node processes, against as many raw flows (UDP: that many
 * socket pairs, each paced, the per-flow burst calibrated loss-free for that many flows; TCP:
 * that many connections), interleaved rep by rep. Each rep carries the same total bytes.
 */
async function flowsCases(ctx, protocol, cluster, raw) {
  const p = flowsPlan(ctx.quick);
  const P = protocol.toUpperCase();
  const cases = [];
  let one;
  for (const n of p.flows) {
    const label = `${P} links, 1 MiB messages, ${n} concurrent flow${n > 1 ? 's' : ''}`;
    ctx.log(`  ${label}`);
    const warm = { ...p, total: Math.min(p.total, 4 * MiB) };
    await nextminiFlowsRep(cluster, warm, n);
    let base;
    let baseName;
    let burst = 0;
    if (protocol === 'udp') {
      const ports = await raw.procs[1].call('udpBindFlows', { n });
      await raw.procs[0].call('udpBindFlows', { n });
      burst = await calibrateFlowsBurst(raw, ports, p.total, await calibrateBurst(raw, Math.max(...plan(ctx.quick).map((x) => x.total))));
      base = () => rawUdpFlowsRep(raw, p, ports, burst);
      baseName = `raw node:dgram, ${n} paced flow${n > 1 ? 's' : ''} (${n} socket pair${n > 1 ? 's' : ''}, 1400 B datagrams, bursts of ${burst} per flow + setImmediate)`;
    } else {
      await rawTcpFlowsRep(raw, warm, n);
      base = () => rawTcpFlowsRep(raw, p, n);
      baseName = `raw node:net, ${n} connection${n > 1 ? 's' : ''} at once (write() backpressure)`;
    }
    const before = protocol === 'udp' ? await flowCounters(cluster) : null;
    const nm = [];
    const bl = [];
    for (let i = 0; i < ctx.reps; i++) {
      nm.push(await nextminiFlowsRep(cluster, p, n));
      bl.push(await base());
    }
    const c = {
      id: `${protocol}-flows-${n}`,
      label,
      metric: 'aggregate goodput at the receiver',
      unit: 'MB/s',
      better: 'higher',
      note: `${n} flow${n > 1 ? 's at once (distinct port pairs, a window each)' : ''} between the same two processes, the same total bytes per rep split evenly across flows; aggregate goodput (all bytes over first send to last delivery) against ${protocol === 'udp' ? `${n} raw node:dgram socket pair${n > 1 ? 's' : ''}, each flow paced with the largest burst that was loss-free for ${n} flow${n > 1 ? 's' : ''} (so the raw aggregate also grows with the bursts per event-loop turn)` : `${n} raw node:net connection${n > 1 ? 's' : ''} writing at once`}`,
      params: {
        flows: n,
        messageBytes: p.size,
        messagesPerRep: Math.round(p.total / p.size),
        messagesPerFlow: Math.round(p.total / p.size / n),
        windowMessagesPerFlow: p.window,
        ackEvery: p.ackEvery,
        ...(burst ? { rawUdpBurstPerFlow: burst } : {}),
        ...(before ? await udpParams(cluster, raw, before) : {}),
      },
      series: [series(`nextmini ${P}, ${n} flow${n > 1 ? 's' : ''}`, 'nextmini', nm), series(baseName, 'baseline', bl)],
    };
    // How it grows: each side's aggregate against its own 1-flow aggregate in this run.
    if (n === 1) one = c;
    else if (one) {
      c.params.nextminiVs1Flow = c.series[0].median / one.series[0].median;
      c.params.baselineVs1Flow = c.series[1].median / one.series[1].median;
    }
    cases.push(c);
  }
  return cases;
}

/**
 * Memory links: two Dataplanes in one node process (startNetwork, protocol 'memory', full
 * mesh of 2), the same goodput loops (window, acks) as between processes, 8 KiB and 1 MiB
 * messages. The baseline is the same bytes handed between two loops of one process through a
 * MessageChannel: the cheapest in-process handoff that, like a memory link, copies each
 * message once and delivers it in a later task, with the same window and acks (a plain array
 * queue would measure neither the copy nor the handoff).
 */
async function memoryCases(ctx) {
  return using(
    async () => {
      const proc = new Child(agentPath, { name: 'goodput-memory' });
      const raw = startRaw(['raw-channel']);
      const close = async () => Promise.allSettled([proc.stop(), raw.close()]);
      try {
        await proc.call('openNetwork', { topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, protocol: 'memory' });
      } catch (err) {
        await close();
        throw err;
      }
      return { cluster: { procs: [proc, proc] }, raw, close };
    },
    async ({ cluster, raw }) => {
      const cases = [];
      for (const p of plan(ctx.quick)) {
        const label = `memory links in one process, ${sizeLabel(p.size)} messages`;
        ctx.log(`  ${label}`);
        const count = Math.max(2, Math.round(p.total / p.size));
        const base = async (q) => {
          const r = await raw.procs[0].call('channelGoodput', { count: Math.max(2, Math.round(q.total / q.size)), size: q.size, window: q.window, ackEvery: q.ackEvery }, 90_000);
          return { value: r.bytes / ((r.tLast - r.tStart) / 1000) / MB, lossPct: 0 };
        };
        const warm = { ...p, total: Math.min(p.total, 4 * MiB) };
        await nextminiRep(cluster, warm);
        await base(warm);
        const nm = [];
        const bl = [];
        for (let i = 0; i < ctx.reps; i++) {
          nm.push(await nextminiRep(cluster, p));
          bl.push(await base(p));
        }
        cases.push({
          id: `memory-${p.size >= MiB ? '1MiB' : '8KiB'}`,
          label,
          metric: 'goodput at the receiver',
          unit: 'MB/s',
          better: 'higher',
          note: 'two Dataplanes in one node process over memory links, sender and receiver loops on one event loop; baseline: the same messages through a MessageChannel in one process, the cheapest in-process handoff that, like a memory link, copies each message once and delivers it in a later task, with the same window and acks',
          params: { messageBytes: p.size, messagesPerRep: count, windowMessages: p.window, ackEvery: p.ackEvery },
          series: [series('nextmini memory links (two Dataplanes, one process)', 'nextmini', nm), series('MessageChannel in one process (a copy per message, same window and acks)', 'baseline', bl)],
        });
      }
      return cases;
    },
  );
}

export default {
  id: 'unicast-goodput',
  number: 1,
  title: 'Unicast goodput',
  hosting: 'two node processes (one Dataplane each, full mesh of 2, protocol pinned to udp or tcp), controller in the bench process; receiver acks every few messages and the sender keeps a bounded window. The concurrent-flow cases run 1, 2 and 4 such flows at once between the same processes; the memory-link cases run both Dataplanes and the controller (startNetwork) in one node process',
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
            const before = protocol === 'udp' ? await flowCounters(cluster) : null;
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
              params: { messageBytes: p.size, messagesPerRep: Math.round(p.total / p.size), windowMessages: p.window, ackEvery: p.ackEvery, ...(burst ? { rawUdpBurst: burst } : {}), ...(before ? await udpParams(cluster, raw, before) : {}) },
              series: [series(`nextmini ${protocol.toUpperCase()}`, 'nextmini', nm), series(baseName, 'baseline', bl)],
              goal: protocol === 'udp' ? { text: 'Unicast UDP goodput ≥ 80% of the paced raw node:dgram baseline', minRatio: 0.8 } : { text: 'TCP-link goodput ≥ 70% of raw node:net', minRatio: 0.7 },
            };
            cases.push(c);
          }
          cases.push(...(await flowsCases(ctx, protocol, cluster, raw)));
        },
      );
    }
    cases.push(...(await memoryCases(ctx)));
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
