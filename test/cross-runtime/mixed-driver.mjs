// One node of the mixed-runtime test, the same code in every runtime (Node, Deno and Bun
// through mixed-node.mjs, Chromium through mixed-page.mjs), from the installed package.
// The test drives it by commands: call(name, args) resolves with plain JSON.
import * as nm from 'nextmini';
import { payloadFor } from './payload.mjs';

const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');

export function driver() {
  /** @type {import('nextmini').Dataplane | undefined} */
  let dp;
  const receivers = new Map();
  const node = () => {
    if (!dp) throw new Error('not open');
    return dp;
  };
  const commands = {
    /** Opens the node; `protocol` undefined leaves the runtime's default list. */
    async open({ url, id, protocol, token }) {
      await nm.init();
      dp = await nm.Dataplane.open({ node_id: id, controller_addr: url, ...(protocol !== undefined ? { protocol } : {}), ...(token ? { auth_token: token } : {}) });
      return dp.getNetworkInfo();
    },
    ready: ({ timeoutMs }) => node().waitForTopologyReady({ timeoutMs }),
    /** Registers a receiver for payloads from `from` to port `port` (before the peer sends). */
    listen({ from, port }) {
      receivers.set(`${from}:${port}`, node().registerReceiverFromNode({ srcNodeId: from, dstPort: port }));
      return true;
    },
    async recv({ from, port, timeoutMs }) {
      const d = await receivers.get(`${from}:${port}`).recv({ timeoutMs });
      return d ? { length: d.payload.length, sha256: await hex(d.payload), srcNodeId: d.srcNodeId } : null;
    },
    /** Sends `size` deterministic bytes (payloadFor(size, seed)); resolves their sha256. */
    async send({ to, port, size, seed }) {
      const data = payloadFor(size, seed);
      await node().sendToNode({ dstNodeId: to, dstPort: port, frozen: nm.PacketView.fromBuffer(data, { copy: false }) });
      return hex(data);
    },
    /** Creates a group with this node as its source and installs its tree. */
    async createGroup({ label, edges }) {
      const g = await node().createGroup(label);
      await node().setGroupRoutes(g.groupId, edges);
      return { groupId: g.groupId, groupIp: g.groupIp };
    },
    async join({ groupId, timeoutMs }) {
      await node().joinGroup(groupId);
      return node().waitForLocalMembership(groupId, { timeoutMs });
    },
    receiveData: (args) => node().receiveData(args),
    async sendData({ size, seed, ...args }) {
      const data = payloadFor(size, seed);
      const sessionId = node().sendData({ ...args, buffer: nm.PacketView.fromBuffer(data, { copy: false }) });
      return { sessionId, sha256: await hex(data) };
    },
    async losslessWait({ sessionId, timeoutMs }) {
      const ok = await node().losslessWait(sessionId, { timeoutMs });
      return { ok, outcome: node().sessionOutcome(sessionId), progress: node().sessionProgress(sessionId) };
    },
    async dataSha({ sessionId }) {
      const b = node().getDataBuffer(sessionId).read();
      return { length: b.length, sha256: await hex(b) };
    },
    stats() {
      const s = node().stats();
      return {
        drops: s.drops,
        links: Object.fromEntries(s.links.map((l) => [l.neighbor, l.transport])),
        packetsSent: s.packetsSent,
        packetsReceived: s.packetsReceived,
        packetsForwarded: s.packetsForwarded,
        sessions: s.sessions,
      };
    },
    async close() {
      if (dp) await dp.close();
      dp = undefined;
      return true;
    },
  };
  return {
    async call(name, args = {}) {
      const f = commands[name];
      if (!f) throw new Error(`unknown command ${name}`);
      return f(args);
    },
  };
}
