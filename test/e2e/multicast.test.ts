// Multicast on real loopback sockets: fan-out along a tree, join/leave under traffic,
// rejections with their codes, several trees.
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf } from './harness.js';
import { Dataplane, startController, isNextminiError, type ControllerConfig, type GroupInfo, type PacketReceiver } from 'nextmini';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const FIVE: ControllerConfig = { port: 0, topology: { n_nodes: 5, edges: [[1, 2], [2, 3], [2, 4], [1, 5]] } };
const TREE: [number, number][] = [[1, 2], [2, 3], [2, 4], [1, 5]];

async function network(cfg: ControllerConfig = FIVE, ids = 5): Promise<Dataplane[]> {
  const c = await startController(cfg);
  cleanup.push(() => c.close());
  const nodes = await Promise.all(Array.from({ length: ids }, (_, i) => Dataplane.open({ node_id: i + 1, controller_addr: c.url, protocol: 'udp' })));
  cleanup.push(() => Promise.all(nodes.map((n) => n.close())));
  expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
  return nodes;
}


/** Everything a receiver holds within `ms`. */
async function drain(r: PacketReceiver, ms = 300): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    const d = await r.recv({ timeoutMs: ms });
    if (!d) return got;
    got.push(d.payload[0]!);
  }
}

async function setup(nodes: Dataplane[]): Promise<{ g: GroupInfo; rx: Map<number, PacketReceiver> }> {
  const g = await nodes[0]!.createGroup('training-run');
  expect(g).toMatchObject({ groupId: 1, groupIp: '239.255.0.1', srcNodeId: 1, label: 'training-run' });
  for (const m of [3, 4, 5]) await nodes[m - 1]!.joinGroup(g.groupId);
  await nodes[0]!.setGroupRoutes(g.groupId, TREE);
  expect(await nodes[0]!.waitForGroupRoutes(g.groupId, 1, { minRoutes: 1, timeoutMs: 5000 })).toBe(true);
  const rx = new Map<number, PacketReceiver>();
  for (const m of [2, 3, 4, 5]) {
    if (m !== 2) expect(await nodes[m - 1]!.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    rx.set(m, nodes[m - 1]!.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp }));
  }
  return { g, rx };
}

describe('multicast', () => {
  it('one sendToGroup reaches 3, 4 and 5 exactly once; node 2 forwards two copies and delivers nothing', async () => {
    const nodes = await network();
    const { g, rx } = await setup(nodes);
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(42, 1, 2) });
    for (const m of [3, 4, 5]) expect(await drain(rx.get(m)!)).toEqual([42]);
    expect(await drain(rx.get(2)!, 50)).toEqual([]);
    const s2 = nodes[1]!.stats();
    expect(s2.packetsForwarded).toBe(2);
    expect(s2.messagesDelivered).toBe(0);
    expect(await nodes[1]!.waitForLocalMembership(g.groupId, { timeoutMs: 50 })).toBe(false);
    // Addressing by IP works too, and metadata is right.
    await nodes[0]!.sendToGroup({ groupIp: g.groupIp, frozen: new Uint8Array(5000).fill(7) });
    const d = await rx.get(5)!.recv({ timeoutMs: 2000 });
    expect(d).toMatchObject({ srcIp: '192.168.0.1', dstIp: '239.255.0.1', totalLen: 5000, srcNodeId: 1, fragmentCount: 4 });
  });

  it('join and leave while traffic flows', async () => {
    const nodes = await network();
    const { g, rx } = await setup(nodes);
    let seq = 0;
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(seq++) });
    };
    const take = async (m: number, n: number) => {
      const got: number[] = [];
      for (let i = 0; i < n; i++) got.push((await rx.get(m)!.recv({ timeoutMs: 3000 }))?.payload[0] ?? -1);
      return got;
    };
    // A send resolves once queued, not delivered: each phase waits for what it can observe.
    await send(5);
    expect(await take(4, 5)).toEqual([0, 1, 2, 3, 4]);
    await nodes[3]!.leaveGroup(g.groupId);
    expect(await nodes[3]!.waitForLocalMembership(g.groupId, { timeoutMs: 20 })).toBe(false);
    await send(5);
    expect(await take(3, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Node 4 still sits on the tree (node 2 forwards to it) but no longer delivers.
    for (let i = 0; i < 100 && nodes[3]!.stats().drops.unknown_group < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(nodes[3]!.stats().drops.unknown_group).toBe(5);
    await nodes[3]!.joinGroup(g.groupId);
    expect(await nodes[3]!.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    await send(5);
    expect(await take(4, 5)).toEqual([10, 11, 12, 13, 14]);
    expect(await take(3, 5)).toEqual([10, 11, 12, 13, 14]);
    expect(await drain(rx.get(5)!)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(await drain(rx.get(4)!, 100)).toEqual([]);
  });

  it('rejects bad route changes with their codes', async () => {
    const nodes = await network();
    const g = await nodes[0]!.createGroup('g');
    expect(await codeOf(nodes[1]!.setGroupRoutes(g.groupId, [[2, 3]]))).toMatch(/^NOT_GROUP_SOURCE: .*node 1/);
    expect(await codeOf(nodes[0]!.setGroupRoutes(g.groupId, [[1, 2], [2, 9]]))).toMatch(/^INVALID_ROUTES: .*edge \(2,9\): node 9 is not in the topology/);
    expect(await codeOf(nodes[0]!.setGroupRoutes(g.groupId, [[1, 3]]))).toMatch(/^INVALID_ROUTES: .*\(1,3\)/);
    expect(await codeOf(nodes[0]!.setGroupRoutes(g.groupId, [[1, 2], [2, 3], [2, 4], [4, 2]]))).toMatch(/^INVALID_ROUTES: .*cycle/);
    expect(await codeOf(nodes[0]!.joinGroup(77))).toMatch(/^UNKNOWN_GROUP: /);
    expect(await codeOf(nodes[1]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(1) }))).toMatch(/^NO_ROUTE: /);
    expect(await codeOf(nodes[0]!.sendToGroup({ groupIp: '239.9.9.9', frozen: Uint8Array.of(1) }))).toMatch(/^UNKNOWN_GROUP: /);
  });

  it('an exhausted pool is an error returned to the caller, never a wrap', async () => {
    const nodes = await network({ ...FIVE, multicast_pool_base: '239.1.1.0', multicast_pool_mask: '255.255.255.252' });
    const a = await nodes[0]!.createGroup('a');
    const b = await nodes[1]!.createGroup('b');
    expect([a.groupIp, b.groupIp]).toEqual(['239.1.1.1', '239.1.1.2']);
    expect(await codeOf(nodes[2]!.createGroup('c'))).toMatch(/^POOL_EXHAUSTED: /);
    // Every node learns the directory.
    await new Promise((r) => setTimeout(r, 100));
    expect(nodes[4]!.listGroups().map((x) => x.label).sort()).toEqual(['a', 'b']);
  });

  it('a forwarder that closes right after its own delivery still passes on what it forwarded', async () => {
    const nodes = await network({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] } }, 3);
    const g = await nodes[0]!.createGroup('relay');
    await nodes[0]!.setGroupRoutes(g.groupId, [[1, 2], [2, 3]]);
    for (const m of [2, 3]) {
      await nodes[m - 1]!.joinGroup(g.groupId);
      expect(await nodes[m - 1]!.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    }
    const at2 = nodes[1]!.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp });
    const at3 = nodes[2]!.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp });
    const closed = at2.recv({ timeoutMs: 5000 }).then(() => nodes[1]!.close());
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(5) });
    await closed;
    expect((await at3.recv({ timeoutMs: 3000 }))?.payload).toEqual(Uint8Array.of(5));
  });

  // Issue 16: upstream's set_group_routes_multi takes (tree id, edges) pairs.
  it('setGroupRoutesMulti takes [treeId, edges] tuples, mixed with objects; bad ones name their index', async () => {
    const nodes = await network({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } }, 3);
    const g = await nodes[0]!.createGroup('tuples');
    await nodes[2]!.joinGroup(g.groupId);
    await nodes[0]!.setGroupRoutesMulti(g.groupId, [
      [0, [[1, 3]]],
      { treeId: 1, edges: [[1, 2], [2, 3]], weight: 2 },
    ]);
    expect(await nodes[0]!.waitForGroupRoutes(g.groupId, 1, { minRoutes: 2, timeoutMs: 5000 })).toBe(true);
    const rx = nodes[2]!.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp });
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(1), treeId: 1 });
    expect(await drain(rx)).toEqual([1]);
    expect(nodes[1]!.stats().packetsForwarded).toBe(1);
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(2), treeId: 0 });
    expect(await drain(rx)).toEqual([2]);
    expect(nodes[1]!.stats().packetsForwarded).toBe(1);
    // Only tuples, as an upstream script writes them.
    await nodes[0]!.setGroupRoutesMulti(g.groupId, [[0, [[1, 2], [2, 3]]], [1, [[1, 3]]]]);
    for (const [bad, index] of [
      [[[0, [[1, 3]]], [1]], 1],
      [[[0, [[1, 3]], 5, 6]], 0],
      [[['0', [[1, 3]]]], 0],
      [[[0, [[1, 3]]], [1, 'edges']], 1],
      [[[0, [[1, 3]]], null], 1],
      [[[0, [[1, 3]]], [1, [[1, 0]]]], 1],
    ] as [unknown, number][]) {
      const err = await nodes[0]!.setGroupRoutesMulti(g.groupId, bad as never).then(() => null, (e: unknown) => e);
      expect(isNextminiError(err) && err.code, JSON.stringify(bad)).toBe('INVALID_ARGUMENT');
      expect((err as Error).message, JSON.stringify(bad)).toContain(`trees[${index}]`);
    }
  });

  it('several trees per group, chosen by the sender', async () => {
    const nodes = await network({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } }, 3);
    const g = await nodes[0]!.createGroup('multi');
    await nodes[2]!.joinGroup(g.groupId);
    await nodes[0]!.setGroupRoutesMulti(g.groupId, [
      { treeId: 0, edges: [[1, 3]] },
      { treeId: 1, edges: [[1, 2], [2, 3]], weight: 2 },
    ]);
    expect(await nodes[0]!.waitForGroupRoutes(g.groupId, 1, { minRoutes: 2, timeoutMs: 5000 })).toBe(true);
    const rx = nodes[2]!.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp });
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(1), treeId: 1 });
    expect(await drain(rx)).toEqual([1]);
    expect(nodes[1]!.stats().packetsForwarded).toBe(1);
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(2), treeId: 0 });
    expect(await drain(rx)).toEqual([2]);
    expect(nodes[1]!.stats().packetsForwarded).toBe(1);
  });
});
