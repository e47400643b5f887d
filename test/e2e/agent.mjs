// A node in its own process, driven by the test over IPC. It imports the built package.
import { createHash } from 'node:crypto';
import { Dataplane, PacketView, isNextminiError } from '../../dist/node.js';
import { payloadFor } from './payload.mjs';

const config = JSON.parse(process.argv[2]);
const receivers = new Map();
let dp;

const sha = (b) => createHash('sha256').update(b).digest('hex');

const handlers = {
  async open() {
    dp = await Dataplane.open(config);
    return dp.getNetworkInfo();
  },
  async ready({ timeoutMs }) {
    return dp.waitForTopologyReady({ timeoutMs });
  },
  async register({ key, srcNodeId, srcPort, dstPort }) {
    receivers.set(key, dp.registerReceiverFromNode({ srcNodeId, srcPort, dstPort }));
    return true;
  },
  async send({ dstNodeId, size, seed, srcPort, dstPort }) {
    const data = payloadFor(size, seed);
    return { messageId: await dp.sendToNode({ dstNodeId, frozen: PacketView.fromBuffer(data, { copy: false }), srcPort, dstPort }), sha256: sha(data) };
  },
  /** `count` messages of `size` bytes, each sent as soon as sendToNode lets it (backpressure only). */
  async burst({ dstNodeId, count, size, seed, dstPort }) {
    const shas = [];
    for (let i = 0; i < count; i++) {
      const data = payloadFor(size, seed + i);
      shas.push(sha(data));
      await dp.sendToNode({ dstNodeId, frozen: PacketView.fromBuffer(data, { copy: false }), dstPort });
    }
    return shas;
  },
  async recv({ key, timeoutMs }) {
    const d = await receivers.get(key).recv({ timeoutMs });
    if (!d) return null;
    const { srcNodeId, srcIp, dstIp, srcPort, dstPort, messageId, totalLen, fragmentCount } = d;
    const meta = { srcNodeId, srcIp, dstIp, srcPort, dstPort, messageId, totalLen, fragmentCount };
    return { ...meta, flowId: d.flowId.toString(), length: d.payload.length, frozenLength: d.frozenPayload.length, sha256: sha(d.payload) };
  },
  async sendData({ groupId, destIp, receiverIds, size, seed }) {
    const data = payloadFor(size, seed);
    return { sessionId: dp.sendData({ groupId, destIp, receiverIds, buffer: PacketView.fromBuffer(data, { copy: false }) }), sha256: sha(data) };
  },
  async receiveData(args) {
    return dp.receiveData(args);
  },
  async losslessWait({ sessionId, timeoutMs }) {
    const ok = await dp.losslessWait(sessionId, { timeoutMs });
    return { ok, outcome: dp.sessionOutcome(sessionId), progress: dp.sessionProgress(sessionId) };
  },
  async dataSha({ sessionId }) {
    const v = dp.getDataBuffer(sessionId);
    return { length: v.length, sha256: sha(v.read()) };
  },
  async createGroup({ label, edges }) {
    const g = await dp.createGroup(label);
    await dp.setGroupRoutes(g.groupId, edges);
    return g;
  },
  async joinGroup({ groupId }) {
    await dp.joinGroup(groupId);
    return dp.waitForLocalMembership(groupId, { timeoutMs: 10_000 });
  },
  async stats() {
    return dp.stats();
  },
  async memory() {
    return process.memoryUsage();
  },
  async close() {
    await dp?.close();
    return true;
  },
};

process.on('message', async (msg) => {
  try {
    const result = await handlers[msg.cmd](msg.args ?? {});
    process.send({ id: msg.id, ok: true, result });
    if (msg.cmd === 'close') process.disconnect();
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: { code: isNextminiError(err) ? err.code : 'FOREIGN', message: String(err?.message ?? err) } });
  }
});
process.send({ ready: true });
