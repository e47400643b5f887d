// max_payload_bytes bounds one message (sendToNode, sendToGroup), not a lossless session: the
// README says which, and this holds the code to it (issue 15, item 10).
import { afterEach, describe, expect, it } from 'vitest';
import { PacketView, startNetwork, type Network } from 'nextmini';
import { codeOf } from './harness.js';

let net: Network | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('max_payload_bytes', () => {
  it('a larger sendToNode fails with PAYLOAD_TOO_LARGE; a larger sendData buffer is carried whole', async () => {
    net = await startNetwork({ topology: { n_nodes: 2, edges: [[1, 2]] } }, { node: () => ({ max_payload_bytes: 4096 }) });
    expect(await net.ready({ timeoutMs: 10_000 })).toBe(true);
    const [one, two] = [net.node(1), net.node(2)];
    expect(await codeOf(one.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(4097) }))).toMatch(/^PAYLOAD_TOO_LARGE: /);
    const data = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7) & 255);
    const r = two.receiveData({ destIp: '192.168.0.2', sourceNodeId: 1, expectedBytes: data.length });
    const s = one.sendData({ destIp: '192.168.0.2', receiverIds: [2], buffer: new PacketView(data) });
    expect(await one.losslessWait(s, { timeoutMs: 20_000 })).toBe(true);
    expect(await two.losslessWait(r, { timeoutMs: 5000 })).toBe(true);
    expect(two.getDataBuffer(r).read()).toEqual(data);
  });
});
