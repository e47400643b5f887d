// A lossless multicast over a fat tree k = 4 (startNetwork, memory transport) with every link
// shaped to 2 MB/s and one receiver's last link losing 10%: the repair must follow the first
// pass, not wait. Before the fix the sender sat idle for seconds after the first pass (status
// answers queued behind the pass were dropped as late, then long waits and backoffs): 4 MiB took
// 5.4-5.9 s here (7-10 s in the playground) against ~2.2 s without loss; now about 2.5-2.7 s.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { PacketView, startNetwork, type Network } from 'nextmini';
import { fatTree, tree } from './fat-tree.js';
import { payloadFor } from './payload.mjs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let net: Network | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('lossless multicast with one lossy link', () => {
  it('4 MiB to 4 receivers over 2 MB/s links, 10% loss on one: repairs right after the first pass', async () => {
    net = await startNetwork({ topology: { type: 'fat_tree', fat_tree_config: { k: 4 } }, link_defaults: { rate: 2_000_000 } });
    expect(await net.ready({ timeoutMs: 10_000 })).toBe(true);
    const { edges, hosts } = fatTree(4);
    const src = hosts[0]!;
    // One on the same edge switch, one in the same pod, two in other pods.
    const members = [hosts[1]!, hosts[2]!, hosts[5]!, hosts[12]!];
    const lossy = members[3]!;
    const [edgeSwitch] = edges.find(([, b]) => b === lossy)!;
    await net.controller.setLink({ srcNodeId: edgeSwitch, dstNodeId: lossy, bidirectional: true, loss: 0.1, seed: 7 });
    const sender = net.node(src);
    const g = await sender.createGroup('lossy');
    await sender.setGroupRoutes(g.groupId, tree(edges, src, members));
    await Promise.all(members.map((m) => net!.node(m).joinGroup(g.groupId)));
    const joined = await Promise.all(members.map((m) => net!.node(m).waitForLocalMembership(g.groupId, { timeoutMs: 10_000 })));
    expect(joined.every(Boolean)).toBe(true);
    const data = payloadFor(4 << 20, 3);
    const rx = members.map((m) => net!.node(m).receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: src, expectedBytes: data.length }));
    const t0 = performance.now();
    const s = sender.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: members, buffer: new PacketView(data) });
    expect(await sender.losslessWait(s, { timeoutMs: 30_000 })).toBe(true);
    const seconds = (performance.now() - t0) / 1000;
    expect(sender.sessionOutcome(s)).toEqual({ status: 'completed' });
    const want = sha(data);
    for (const [i, m] of members.entries()) {
      expect(await net.node(m).losslessWait(rx[i]!, { timeoutMs: 5000 })).toBe(true);
      expect(sha(net.node(m).getDataBuffer(rx[i]!).read())).toBe(want);
    }
    const lost = net.node(lossy).stats().drops.link_loss + net.node(edgeSwitch).stats().drops.link_loss;
    console.log(`lossy fat tree: 4 MiB to 4 receivers in ${seconds.toFixed(2)} s (ideal ~2.3 s), ${lost} datagrams lost on the lossy link`);
    expect(lost).toBeGreaterThan(0);
    // 2.7 s here (5.4-5.9 s before the fix); loose for a loaded 2-core machine.
    expect(seconds).toBeLessThan(4.5);
  }, 60_000);
});
