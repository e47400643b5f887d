// Counters add up (issue 15): each datagram and message is counted once, under the outcome it
// really had. Before, a datagram forwarded towards a node that never started counted both as
// packetsForwarded and as drops.unknown_peer, and a message nobody registered for counted both
// as messagesDelivered and as drops.no_receiver.
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane, isNextminiError, startController, type DataplaneStats } from 'nextmini';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const dropsOf = (s: DataplaneStats) => Object.values(s.drops).reduce((a, b) => a + b, 0);

describe('counters add up across a mixed run', () => {
  it('sent = delivered + drops over the network; at a node that originates nothing, received = delivered + forwarded + drops', async () => {
    // A line 1 - 2 - 3 - 4 whose node 4 never starts.
    const c = await startController({ port: 0, topology: { n_nodes: 4, edges: [[1, 2], [2, 3], [3, 4]] } });
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp' })));
    cleanup.push(() => Promise.all(nodes.map((n) => n.close())));
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    const at3 = n3.registerReceiverFromNode({ srcNodeId: 1 });
    const at2 = n2.registerReceiverFromNode({ srcNodeId: 1 });

    // Node 4 never comes, so the topology is never "ready": wait until 1 -> 3 gets through
    // instead (what is lost meanwhile is counted too, and must add up like the rest).
    let through = false;
    for (let i = 0; i < 100 && !through; i++) {
      await n1.sendToNode({ dstNodeId: 3, frozen: Uint8Array.of(0, i) });
      through = (await at3.recv({ timeoutMs: 100 })) !== null;
    }
    expect(through).toBe(true);
    while ((await at3.recv({ timeoutMs: 200 })) !== null);

    const g = await n1.createGroup('counters');
    await n1.setGroupRoutes(g.groupId, [[1, 2], [2, 3]]); // node 2 only forwards, node 3 is the member
    await n3.joinGroup(g.groupId);
    expect(await n3.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    expect(await n1.waitForGroupRoutes(g.groupId, 1, { timeoutMs: 5000 })).toBe(true);
    const group3 = n3.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp });

    let toFour = 0;
    for (let i = 0; i < 5; i++) {
      await n1.sendToNode({ dstNodeId: 3, frozen: Uint8Array.of(1, i) }); // delivered at 3, forwarded by 2
      await n1.sendToNode({ dstNodeId: 2, frozen: Uint8Array.of(2, i) }); // delivered at 2
      await n1.sendToNode({ dstNodeId: 3, dstPort: 40999, frozen: Uint8Array.of(3, i) }); // nobody listens: no_receiver at 3
      await n1.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(4, i) }); // along 1 -> 2 -> 3
      try {
        await n1.sendToNode({ dstNodeId: 4, frozen: Uint8Array.of(5, i) }); // never started: unknown_peer at 3
        toFour++;
      } catch (err) {
        // A sender told at once that node 4 is down is fine too (then nothing was sent).
        if (!(isNextminiError(err) && (err.code as string) === 'PEER_DOWN')) throw err; // a code this branch may not have yet
      }
    }
    let got = 0;
    for (const r of [at3, at2, group3]) while ((await r.recv({ timeoutMs: 300 })) !== null) got++;
    expect(got).toBe(15);
    await sleep(200);

    const [s1, s2, s3] = nodes.map((n) => n.stats()) as [DataplaneStats, DataplaneStats, DataplaneStats];
    const all = [s1, s2, s3];
    const sum = (f: (s: DataplaneStats) => number) => all.reduce((a, s) => a + f(s), 0);
    // Each message here is one datagram, sent once: it ends delivered once or dropped once.
    const shown = JSON.stringify(all.map((s) => ({ ...s, links: undefined, flow: undefined })));
    expect(sum((s) => s.packetsSent), shown).toBe(sum((s) => s.messagesDelivered) + sum(dropsOf));
    // Nodes 2 and 3 originate nothing: each datagram they receive has exactly one outcome there.
    for (const s of [s2, s3]) expect(s.packetsReceived, JSON.stringify(s)).toBe(s.messagesDelivered + s.packetsForwarded + dropsOf(s));
    // And the outcomes are the ones they really had.
    expect(s3.drops.no_receiver).toBe(5);
    expect(s2.messagesDelivered).toBe(5);
    expect(s3.drops.unknown_peer).toBe(toFour);
    // Node 3's only forwards would go to node 4, which never started.
    expect(s3.packetsForwarded).toBe(0);
  });
});
