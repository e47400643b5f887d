// Scenario 5's checks inside one startNetwork process (bench/agent.mjs calls them): does a
// large network still carry a unicast message across its diameter and a 1 MiB lossless
// multicast to 100 members, and how long each takes. Also a controller started on its own,
// to show what the controller alone holds for a topology.
import { PacketView, startController } from '../../dist/node.js';
import { wallMs } from './proc.mjs';
import { payload as payloadFor } from './payload.mjs';

const mib = (b) => Math.round((b / 1048576) * 10) / 10;

/** One small message from `src` to `dst` (the diameter's two ends); ms until delivered. */
export async function unicastProbe(net, { src, dst, timeoutMs = 20_000 }) {
  const rx = net.node(dst).registerReceiverFromNode({ srcNodeId: src, srcPort: 7001, dstPort: 7001 });
  try {
    const t0 = wallMs();
    await net.node(src).sendToNode({ dstNodeId: dst, frozen: PacketView.fromBuffer(new TextEncoder().encode('across the diameter')), srcPort: 7001, dstPort: 7001 });
    const got = await rx.recv({ timeoutMs });
    return { ok: got !== null, ms: wallMs() - t0, src, dst };
  } finally {
    rx.close?.();
  }
}

/**
 * A lossless multicast of `bytes` from `src` to `members` along the tree `edges` (parent,
 * child): group set-up time, then ms from sendData to every receiver holding the buffer.
 */
export async function multicastProbe(net, { src, members, edges, bytes = 1048576, timeoutMs = 120_000 }) {
  const t0 = wallMs();
  const s = net.node(src);
  const g = await s.createGroup('scale-probe');
  await s.setGroupRoutes(g.groupId, edges);
  await Promise.all(members.map((m) => net.node(m).joinGroup(g.groupId)));
  const joined = await Promise.all(members.map((m) => net.node(m).waitForLocalMembership(g.groupId, { timeoutMs: 30_000 })));
  const setupMs = wallMs() - t0;
  const p = payloadFor(bytes, 13);
  const rids = members.map((m) => net.node(m).receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: src, expectedBytes: bytes }));
  const t1 = wallMs();
  const sid = s.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: members, buffer: PacketView.fromBuffer(p.bytes, { copy: false }) });
  const oks = await Promise.all(members.map((m, i) => net.node(m).losslessWait(rids[i], { timeoutMs })));
  const ms = wallMs() - t1;
  const senderOk = await s.losslessWait(sid, { timeoutMs: 10_000 });
  const complete = members.filter((m, i) => oks[i] && net.node(m).getDataBuffer(rids[i]).length === bytes).length;
  return { ok: joined.every(Boolean) && oks.every(Boolean) && senderOk, ms, setupMs, members: members.length, complete, bytes, treeEdges: edges.length };
}

/** A controller alone on `topology` (memory store, no nodes): what it adds to this process. */
export async function controllerAlone({ topology }) {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const t0 = wallMs();
  const c = await startController({ topology }, { db: false, listen: { host: '127.0.0.1', port: 0 } });
  const ms = wallMs() - t0;
  globalThis.gc?.();
  const after = process.memoryUsage();
  await c.close();
  return { ms, rssMiB: mib(after.rss - before.rss), heapMiB: mib(after.heapUsed - before.heapUsed), externalMiB: mib(after.external - before.external) };
}
