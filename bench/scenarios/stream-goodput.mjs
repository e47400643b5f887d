// 8. Stream goodput: one reliable stream (dp.connect / dp.listen) from node 1 to node 2, each
// in its own process over UDP links, on a clean link and on a 40 MB/s link with 1% loss;
// against raw node:net over loopback (same bytes, same writes) and a lossless unicast session
// (sendData / receiveData) of the same size on the same link.
import { cpus, loadavg } from 'node:os';
import { startCluster, startRaw, using } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';

const MiB = 1 << 20;
const MB = 1e6;
const CHUNK = 64 * 1024; // bytes per write, stream and node:net alike
const SEED = 18; // one payload per size, so the sender's cache serves every rep
const RATE = 40e6; // bytes/s of the lossy link 1→2
const LOSS = 0.01;
// The queue of the other scenarios' rate-limited links (lossless-multicast): ~1.4 MB, 34 ms at RATE.
const QUEUE_PACKETS = 1000;
const userIp = (n) => `192.168.0.${n}`;
// The receive window a stream advertises (the core's default, StreamConfig::recv_window in
// core-rs/src/stream/mod.rs; stats() does not report the peer's): a sender with this much in
// flight waits for the reader, whatever its congestion window.
const RECV_WINDOW = 1 << 20;

const LINKS = {
  clean: { label: 'clean link (no emulation)', controllerExtra: {} },
  lossy: {
    label: `1→2 at ${RATE / MB} MB/s, ${LOSS * 100}% loss`,
    // Loss on every link in both directions (acks and feedback too), the rate on 1→2 only.
    controllerExtra: {
      link_defaults: { loss: LOSS, seed: 7 },
      links: [{ src_node_id: 1, dst_node_id: 2, rate: RATE, queue_limit_packets: QUEUE_PACKETS, loss: LOSS, seed: 7 }],
    },
  },
};

let seq = 0;
let portSeq = 40000;

/** One stream transfer; `value` is MB/s of bytes received in order over connect → EOF at the receiver. */
async function streamRep(cluster, size, deadlineMs) {
  const [src, dst] = cluster.procs;
  const key = `st${++seq}`;
  const port = portSeq++;
  await dst.call('streamArmReceive', { key, node: 2, port, expectedBytes: size, deadlineMs });
  const s = await src.call('streamSend', { node: 1, dst: 2, port, size, seed: SEED, chunk: CHUNK, recvWindow: RECV_WINDOW, deadlineMs: deadlineMs + 5000 }, deadlineMs + 30_000);
  const r = await dst.call('result', { key }, deadlineMs + 30_000);
  const good = r.ok && r.sha256 === s.sha256;
  // A rep cut at the deadline still counts, as what it delivered in that time (flagged).
  const value = good || r.cut ? r.bytes / ((r.tEnd - s.tStart) / 1000) / MB : NaN;
  const seconds = (r.tEnd - s.tStart) / 1000;
  return {
    value,
    failed: good || r.cut ? 0 : 1,
    cut: r.cut ? 1 : 0,
    why: good ? null : r.cut ? `cut at the ${deadlineMs / 1000} s deadline after ${(r.bytes / MiB).toFixed(1)} MiB` : JSON.stringify({ sender: s.error, receiver: r.error ?? (r.sha256 ? 'hash mismatch' : `${r.bytes} of ${size} bytes`) }),
    retransmits: s.stats.retransmits,
    rttMs: s.stats.rttMs ?? s.rttMsMedian,
    cwndMedian: s.cwndMedian,
    inFlightMedian: s.inFlightMedian,
    windowLimitedPct: s.windowLimitedPct,
    recvWindowLimitedPct: s.recvWindowLimitedPct,
    // What the windows allow at the measured RTT (bytes per RTT), to compare with what was delivered.
    windowRate: Math.min(s.cwndMedian, RECV_WINDOW) / ((s.rttMsMedian || NaN) / 1000) / MB,
    senderCpuPct: (100 * s.cpuMs) / ((s.tClosed - s.tStart) || NaN),
    receiverCpuPct: (100 * r.cpuMs) / (seconds * 1000),
  };
}

/** One lossless unicast session 1 → 2 of `size` bytes; MB/s from sendData to the receiver's completion. */
async function losslessRep(cluster, size) {
  const [src, dst] = cluster.procs;
  const key = `lx-st${++seq}`;
  await dst.call('lxArmReceive', { key, node: 2, destIp: userIp(2), sourceNodeId: 1, expectedBytes: size, timeoutMs: 90_000 });
  const s = await src.call('lxSend', { node: 1, sessions: [{ destIp: userIp(2), receiverIds: [2] }], size, seed: SEED, timeoutMs: 90_000 }, 120_000);
  const r = await dst.call('result', { key }, 120_000);
  const good = s.ok && r.ok && r.sha256 === s.sha256;
  return { value: good ? size / ((r.tDone - s.tStart) / 1000) / MB : NaN, failed: good ? 0 : 1, why: good ? null : JSON.stringify({ sender: s.outcomes, receiver: r.outcome }) };
}

/** Raw node:net over loopback: the same bytes in the same 64 KiB writes, clock from connect to the receiver seeing EOF. */
async function tcpRep(raw, size) {
  const [src, dst] = raw.procs;
  const key = `tcp-st${++seq}`;
  await dst.call('tcpArmBuffer', { key, expectedBytes: size, untilEof: true });
  const s = await src.call('tcpFanout', { ports: [raw.port], size, seed: SEED, chunk: CHUNK, clockFromConnect: true }, 120_000);
  const r = await dst.call('result', { key }, 120_000);
  const good = r.ok && r.sha256 === s.sha256;
  return { value: good ? size / ((r.tDone - s.tStart) / 1000) / MB : NaN, failed: good ? 0 : 1, why: good ? null : `${r.length} of ${size} bytes` };
}

const series = (name, kind, reps) => ({
  name,
  kind,
  ...summarize(reps.map((r) => r.value)),
  ...(reps.some((r) => r.failed) ? { failedReps: reps.reduce((a, r) => a + r.failed, 0) } : {}),
});
const med = (reps, k) => summarize(reps.map((r) => r[k] ?? NaN)).median;

/**
 * Where the stream's time goes, from what the reps measured. A sender whose bytes in flight sit
 * at the receiver's window waits for the reader (the window returns one RTT later, and on a
 * clean loopback path a long RTT is time the data queues at the receiving process); one at
 * its congestion window is paced by congestion control (the retransmits say why); with room
 * in both, the sender itself (CPU, the application's writes) sets the pace.
 */
function diagnose(st, load) {
  const cores = cpus().length;
  const rwnd = med(st, 'recvWindowLimitedPct');
  const cwnd = med(st, 'windowLimitedPct');
  const rtt = med(st, 'rttMs');
  const ceiling = `(window / RTT ≈ ${med(st, 'windowRate').toFixed(1)} MB/s)`;
  const parts = [];
  if (rwnd >= 50) parts.push(`receive-window-limited: bytes in flight at the receiver's ${RECV_WINDOW / 1024} KiB window in ${rwnd.toFixed(0)}% of the 20 ms samples, RTT ${rtt.toFixed(1)} ms ${ceiling}, so the pace is how fast the two processes turn segments into acks (the receiver takes in, acks and hands over each segment; the sender takes in each ack); the congestion window (median ${(med(st, 'cwndMedian') / 1024).toFixed(0)} KiB) had room`);
  else if (cwnd >= 50) parts.push(`congestion-window-limited: bytes in flight at the congestion window in ${cwnd.toFixed(0)}% of the 20 ms samples (median cwnd ${(med(st, 'cwndMedian') / 1024).toFixed(0)} KiB, RTT ${rtt.toFixed(1)} ms, ${med(st, 'retransmits')} retransmits) ${ceiling}, so congestion control sets the pace`);
  else parts.push(`neither window-limited most of the time (in flight at the receiver's window in ${Number.isFinite(rwnd) ? rwnd.toFixed(0) : '?'}%, at the congestion window in ${Number.isFinite(cwnd) ? cwnd.toFixed(0) : '?'}% of samples), so the sending side (CPU, writes) sets the pace`);
  parts.push(`CPU during the rep: sender ${med(st, 'senderCpuPct').toFixed(0)}%, receiver ${med(st, 'receiverCpuPct').toFixed(0)}% of one core`);
  // Below one core each while the machine has more runnable work than cores: the processes
  // waited for a CPU, and that wait is part of the RTT above.
  if (load > cores && Math.max(med(st, 'senderCpuPct'), med(st, 'receiverCpuPct')) < 90) parts.push(`load average ${load.toFixed(1)} on ${cores} cores, so part of that time they waited for a CPU`);
  return parts.join('; ');
}

function streamParams(st, load) {
  return {
    retransmitsMedian: med(st, 'retransmits'),
    rttMsMedian: med(st, 'rttMs'),
    cwndBytesMedian: med(st, 'cwndMedian'),
    inFlightBytesMedian: med(st, 'inFlightMedian'),
    windowLimitedPctMedian: med(st, 'windowLimitedPct'),
    recvWindowLimitedPctMedian: med(st, 'recvWindowLimitedPct'),
    senderCpuPctMedian: med(st, 'senderCpuPct'),
    receiverCpuPctMedian: med(st, 'receiverCpuPct'),
    ...(st.some((r) => r.cut) ? { repsCutAtDeadline: st.reduce((a, r) => a + r.cut, 0) } : {}),
    whereTheTimeGoes: diagnose(st, load),
  };
}

export default {
  id: 'stream-goodput',
  number: 8,
  title: 'Stream goodput, one stream 1 → 2',
  hosting:
    'two node processes (one Dataplane each, UDP links on 127.0.0.1), controller in the bench process. One stream: node 2 listens, node 1 connects and writes the payload in 64 KiB writes, then closes; goodput = bytes the receiver read in order / (receiver\'s EOF − sender\'s connect() call), one wall clock shared by the processes; the receiver copies into a buffer allocated up front and checks it by SHA-256 afterwards (outside the time). Baselines in the same run, interleaved rep by rep: two raw processes writing the same bytes in the same 64 KiB writes over one node:net connection on loopback (clock from connect to the receiver seeing EOF; no emulation, on either link setting), and a lossless unicast session (sendData / receiveData, default congestion control) of the same size over the same nextmini link (clock from sendData to the receiver\'s completion). Lossy link: 1→2 limited to 40 MB/s with a 1000-packet queue, 1% loss on every link in both directions (acks included). Stream stats (retransmits, RTT, congestion window sampled every 20 ms) and each process\'s CPU during the rep say where the stream\'s time goes',
  async run(ctx) {
    const size = ctx.quick ? 8 * MiB : 64 * MiB;
    // The lossy link carries at most RATE: fewer bytes there, so a rep stays within seconds
    // (and a stream far below the link rate is cut at the deadline rather than stall the run).
    const lossySize = ctx.quick ? 4 * MiB : 32 * MiB;
    const reps = ctx.quick ? ctx.reps : Math.min(ctx.reps, 5);
    const deadlineMs = ctx.quick ? 8_000 : 30_000;
    const cases = [];
    // NEXTMINI_BENCH_CASES=lossy runs only that link setting (for working on one).
    const only = process.env.NEXTMINI_BENCH_CASES?.split(',');
    for (const link of ['clean', 'lossy'].filter((l) => !only || only.includes(l))) {
      const L = LINKS[link];
      const bytes = link === 'clean' ? size : lossySize;
      const label = `${L.label}, ${bytes / MiB} MiB`;
      ctx.log(`  ${label}`);
      await using(
        async () => {
          const cluster = await startCluster({ topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, protocol: 'udp', controllerExtra: L.controllerExtra, hosts: [[1], [2]], names: [`stream-${link}-sender`, `stream-${link}-receiver`] });
          let raw = null;
          if (link === 'clean') {
            raw = startRaw(['stream-tcp-sender', 'stream-tcp-receiver']);
            raw.port = await raw.procs[1].call('tcpListen');
          }
          return { cluster, raw, close: async () => Promise.all([cluster.close(), raw?.close()]) };
        },
        async ({ cluster, raw }) => {
          // Warm-up (JIT, buffers), not counted.
          const warm = Math.min(bytes, 2 * MiB);
          await streamRep(cluster, warm, deadlineMs);
          await losslessRep(cluster, warm);
          if (raw) await tcpRep(raw, warm);
          // Other work on the machine shows in every number here: say how busy it was.
          const load1m = loadavg()[0];
          const st = [];
          const lx = [];
          const tcp = [];
          for (let i = 0; i < reps; i++) {
            st.push(await streamRep(cluster, bytes, deadlineMs));
            lx.push(await losslessRep(cluster, bytes));
            if (raw) tcp.push(await tcpRep(raw, bytes));
          }
          for (const r of [...st, ...lx, ...tcp]) if (r.why) ctx.log(`   a repetition: ${r.why}`);
          const stream = series('nextmini stream', 'nextmini', st);
          const lossless = series('nextmini lossless unicast session (sendData / receiveData), same link', 'baseline', lx);
          const params = { bytes, reps, writeBytes: CHUNK, loadAverage1mAtStart: load1m, ...(link === 'lossy' ? { rateLimitedLink: `1→2 ${RATE} B/s, queue ${QUEUE_PACKETS} packets`, loss: LOSS } : {}), ...streamParams(st, load1m) };
          if (raw) {
            // The Ratio column is stream / node:net; stream / lossless rides on the stream's cell.
            Object.assign(stream, { ratio: stream.median / lossless.median, ratioTo: 'the lossless session' });
            cases.push({
              id: 'clean',
              label,
              metric: 'goodput at the receiver (in-order bytes / connect → EOF)',
              unit: 'MB/s',
              better: 'higher',
              params,
              series: [stream, series('raw node:net, one connection on loopback (same 64 KiB writes)', 'baseline', tcp), lossless],
            });
          } else {
            cases.push({ id: 'lossy', label, metric: 'goodput at the receiver (in-order bytes / connect → EOF)', unit: 'MB/s', better: 'higher', params, series: [stream, lossless] });
            cases.push({
              id: 'lossy-link-use',
              label: `${label}: stream goodput as a share of the link's ${RATE / MB} MB/s`,
              metric: 'stream goodput / link rate',
              unit: '%',
              better: 'higher',
              params: { rate: RATE, reps },
              series: [
                { name: 'nextmini stream', kind: 'nextmini', ...summarize(st.map((r) => (100 * r.value * MB) / RATE)) },
                { name: "the link's rate", kind: 'baseline', ...summarize(st.map(() => 100)) },
              ],
            });
          }
        },
      );
    }
    return { cases };
  },
};
