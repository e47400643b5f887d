// 3. Lossless multicast: one source, three receivers, each in its own node process.
// (a) one nextmini multicast session along a tree, vs (b) three nextmini lossless unicast
// sessions started at once, vs (c) three parallel raw node:net transfers (star cases only).
import { startCluster, startRaw, using } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';

const MiB = 1 << 20;
const RATE = 40e6; // bytes/s on the source's one egress link in the rate-limited layout
// Its queue: ~1.4 MB, 34 ms at RATE, as a router port would have. Without a limit the
// emulated queue grows without bound (the sender starts at 125 MB/s), feedback waits behind
// seconds of data, and senders give up on receivers that are in fact completing.
const QUEUE_PACKETS = 1000;
const RECEIVERS = [2, 3, 4];
const userIp = (n) => `192.168.0.${n}`;

// star: full mesh of 4, multicast tree 1→2, 1→3, 1→4; every receiver is one hop from the
//   source in all three variants (unicast routes are the direct links), so the source sends
//   three copies either way and the comparison is of per-copy cost on the CPU.
// limited: topology 1–2, 2–3, 2–4 (a tree: the only way out of node 1 is the link to 2),
//   1→2 rate-limited to RATE; multicast tree 1→2, 2→3, 2→4 sends each byte over 1→2 once and
//   node 2 fans out; the three unicast sessions (to 2, to 3 via 2, to 4 via 2) must all cross
//   1→2. Same topology, links, receivers and bytes per receiver for both variants.
const LAYOUTS = {
  star: {
    topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 4 } },
    tree: [[1, 2], [1, 3], [1, 4]],
    links: () => [],
    tcp: true,
  },
  limited: {
    topology: { n_nodes: 4, edges: [[1, 2], [2, 3], [2, 4]] },
    tree: [[1, 2], [2, 3], [2, 4]],
    links: (loss, seed) => [{ src_node_id: 1, dst_node_id: 2, rate: RATE, queue_limit_packets: QUEUE_PACKETS, ...(loss > 0 ? { loss, seed } : {}) }],
    tcp: false,
  },
};

const CASES = [
  { id: 'star-0', layout: 'star', loss: 0 },
  { id: 'star-5', layout: 'star', loss: 0.05 },
  { id: 'limited-0', layout: 'limited', loss: 0 },
  { id: 'limited-5', layout: 'limited', loss: 0.05 },
];

let seq = 0;

/** One transfer; `value` is seconds from the first sendData to the last receiver's completion, NaN if any receiver failed or mismatched. */
async function nextminiRep(cluster, { size, group }, mode) {
  const [src, ...rx] = cluster.procs;
  const tag = `lx${++seq}`;
  await Promise.all(
    rx.map((p, i) =>
      p.call('lxArmReceive', {
        key: `${tag}-${RECEIVERS[i]}`,
        node: RECEIVERS[i],
        sourceNodeId: 1,
        expectedBytes: size,
        ...(mode === 'multicast' ? { groupId: group.groupId, destIp: group.groupIp } : { destIp: userIp(RECEIVERS[i]) }),
      }),
    ),
  );
  const sessions = mode === 'multicast' ? [{ groupId: group.groupId, destIp: group.groupIp, receiverIds: RECEIVERS }] : RECEIVERS.map((n) => ({ destIp: userIp(n), receiverIds: [n] }));
  const s = await src.call('lxSend', { node: 1, sessions, size, seed: seq }, 150_000);
  const r = await Promise.all(rx.map((p, i) => p.call('result', { key: `${tag}-${RECEIVERS[i]}` }, 150_000)));
  const good = s.ok && r.every((x) => x.ok && x.sha256 === s.sha256);
  const value = good ? (Math.max(...r.map((x) => x.tDone)) - s.tStart) / 1000 : NaN;
  // Use of the rate-limited link 1→2 (limited layout): bytes it carried / (its rate × the time).
  const linkUse = 100 * (s.linkSent?.[2] ?? NaN) / (RATE * value);
  return { value, linkUse, failed: good ? 0 : 1, repair: s.repairSymbols, retransmitted: s.retransmitted, why: good ? null : JSON.stringify({ sender: s.outcomes, receivers: r.map((x) => x.outcome ?? x.ok) }) };
}

async function tcpRep(raw, { size }) {
  const [src, ...rx] = raw.procs;
  const tag = `tcp${++seq}`;
  await Promise.all(rx.map((p, i) => p.call('tcpArmBuffer', { key: `${tag}-${i}`, expectedBytes: size })));
  const s = await src.call('tcpFanout', { ports: raw.ports, size, seed: seq }, 150_000);
  const r = await Promise.all(rx.map((p, i) => p.call('result', { key: `${tag}-${i}` }, 150_000)));
  const good = r.every((x) => x.ok && x.sha256 === s.sha256);
  return { value: good ? (Math.max(...r.map((x) => x.tDone)) - s.tStart) / 1000 : NaN, failed: good ? 0 : 1 };
}

const series = (name, kind, reps) => ({
  name,
  kind,
  ...summarize(reps.map((r) => r.value)),
  ...(reps.some((r) => r.failed) ? { failedReps: reps.reduce((a, r) => a + r.failed, 0) } : {}),
});
const med = (reps, k) => summarize(reps.map((r) => r[k] ?? NaN)).median;

export default {
  id: 'lossless-multicast',
  number: 3,
  title: 'Lossless multicast vs unicast vs TCP, 1 → 3 receivers',
  hosting:
    'four node processes (source 1, receivers 2, 3, 4; one Dataplane each, UDP links), controller in the bench process; time is from the first sendData to the last receiver\'s losslessWait resolving (one wall clock shared by the processes), and every receiver\'s buffer is then checked by SHA-256 against the source\'s (outside the time). star: full mesh of 4, multicast tree 1→2, 1→3, 1→4 (every receiver one hop away in every variant). limited: topology 1–2, 2–3, 2–4 with the link 1→2 rate-limited to 40 MB/s, multicast tree 1→2, 2→3, 2→4, so multicast crosses the limited link once while the three unicast sessions (to 2, and to 3 and 4 via 2) cross it three times — same links, receivers and bytes per receiver for both. Loss is link emulation (link_defaults = { loss, seed }, every link, both directions, feedback included). TCP baseline (star only): four raw processes, the source writes to three node:net connections at once, each receiver fills a buffer allocated up front; TCP runs over loopback with no emulated loss or rate, so it is a reference for the CPU cost of moving the bytes, not a like-for-like comparison under loss',
  async run(ctx) {
    const size = ctx.quick ? 4 * MiB : 64 * MiB;
    // Large transfers over the 40 MB/s link take seconds each: fewer reps than the default.
    const reps = ctx.quick ? ctx.reps : Math.min(ctx.reps, 5);
    const cases = [];
    // NEXTMINI_BENCH_CASES=limited-0,limited-5 runs only those cases (for working on one).
    const only = process.env.NEXTMINI_BENCH_CASES?.split(',');
    for (const cs of CASES.filter((c) => !only || only.includes(c.id))) {
      const L = LAYOUTS[cs.layout];
      const label = `${cs.layout === 'star' ? 'star tree 1→{2,3,4}' : `tree 1→2→{3,4}, 1→2 at ${RATE / 1e6} MB/s`}, ${cs.loss * 100}% loss, ${size / MiB} MiB`;
      ctx.log(`  ${label}`);
      await using(
        async () => {
          const seed = 31;
          const controllerExtra = { ...(cs.loss > 0 ? { link_defaults: { loss: cs.loss, seed } } : {}), links: L.links(cs.loss, seed) };
          const cluster = await startCluster({ topology: L.topology, controllerExtra, hosts: [[1], [2], [3], [4]], names: ['mc-source', 'mc-rx2', 'mc-rx3', 'mc-rx4'] });
          let raw = null;
          if (L.tcp) {
            raw = startRaw(['tcp-source', 'tcp-rx2', 'tcp-rx3', 'tcp-rx4']);
            raw.ports = await Promise.all(raw.procs.slice(1).map((p) => p.call('tcpListen')));
          }
          return { cluster, raw, close: async () => Promise.all([cluster.close(), raw?.close()]) };
        },
        async ({ cluster, raw }) => {
          const group = await cluster.procs[0].call('lxGroup', { node: 1, label: `bench-${cs.id}`, edges: L.tree });
          for (const [i, p] of cluster.procs.slice(1).entries()) if (!(await p.call('lxJoin', { node: RECEIVERS[i], groupId: group.groupId }))) throw new Error(`node ${RECEIVERS[i]} did not see its membership`);
          const p = { size, group };
          // Warm-up (JIT, buffers), not counted.
          const warm = { ...p, size: Math.min(size, 2 * MiB) };
          await nextminiRep(cluster, warm, 'multicast');
          await nextminiRep(cluster, warm, 'unicast');
          if (raw) await tcpRep(raw, warm);
          const mc = [];
          const uc = [];
          const tcp = [];
          for (let i = 0; i < reps; i++) {
            mc.push(await nextminiRep(cluster, p, 'multicast'));
            uc.push(await nextminiRep(cluster, p, 'unicast'));
            if (raw) tcp.push(await tcpRep(raw, p));
          }
          for (const r of [...mc, ...uc]) if (r.why) ctx.log(`   a repetition failed: ${r.why}`);
          cases.push({
            id: cs.id,
            label,
            metric: 'time until every receiver completed (SHA-256 verified)',
            unit: 's',
            better: 'lower',
            params: {
              bytesPerReceiver: size,
              reps,
              loss: cs.loss,
              multicastTree: L.tree.map(([a, b]) => `${a}→${b}`).join(' '),
              ...(cs.layout === 'limited' ? { rateLimitedLink: `1→2 ${RATE} B/s, queue ${QUEUE_PACKETS} packets` } : {}),
              multicastRepairSymbolsMedian: med(mc, 'repair'),
              multicastRetransmittedMedian: med(mc, 'retransmitted'),
              unicastRepairSymbolsMedian: med(uc, 'repair'),
              unicastRetransmittedMedian: med(uc, 'retransmitted'),
            },
            series: [
              series('nextmini multicast, one session', 'nextmini', mc),
              series('nextmini lossless unicast, 3 sessions at once', 'baseline', uc),
              ...(raw ? [series('raw node:net, 3 connections at once (no emulated loss)', 'baseline', tcp)] : []),
            ],
            // Issue 14's goals: over the rate-limited link, ≥ 2.7× faster than three unicast sessions;
            // on the star, ≤ 2× the time of three raw node:net connections at 0% loss, ≤ 3× at 5%.
            ...(cs.layout === 'limited'
              ? { goal: { text: 'multicast over a rate-limited source link ≥ 2.7× faster than three unicast sessions', minSpeedup: 2.7 } }
              : raw
                ? { goal: { text: `lossless multicast ≤ ${cs.loss > 0 ? 3 : 2}× the time of three raw node:net connections`, maxRatio: cs.loss > 0 ? 3 : 2, against: 'raw node:net' } }
                : {}),
          });
          if (cs.layout === 'limited') {
            // Issue 14: the link's measured use during the multicast ≥ 90% of its rate.
            cases.push({
              id: `${cs.id}-link-use`,
              label: `${label}: use of the 40 MB/s link 1→2 during the multicast`,
              metric: 'bytes the link carried (headers and feedback included) / (its rate × the transfer time)',
              unit: '%',
              better: 'higher',
              params: { rate: RATE, reps },
              series: [
                { name: 'nextmini multicast, one session', kind: 'nextmini', ...summarize(mc.map((r) => r.linkUse)) },
                { name: 'the link\'s rate', kind: 'baseline', ...summarize(mc.map(() => 100)) },
              ],
              goal: { text: 'the rate-limited link used at ≥ 90% of its rate', minRatio: 0.9 },
            });
          }
        },
      );
    }
    return { cases };
  },
};
