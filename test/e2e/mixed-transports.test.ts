// Nodes that speak different transports in one network (issue 13). Each pair uses the best
// transport both speak (memory, then tcp, then udp, then the relay); a UDP-only node and a
// relay-only node reach each other through the controller's UDP bridge. Unicast, forwarding,
// multicast and lossless sessions must work across every such pair, in both directions.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Dataplane, PacketView, startController, type Controller, type ControllerConfig, type NodeConfig } from 'nextmini';
import { payloadFor } from './payload.mjs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(topology: ControllerConfig['topology'], extra: Partial<ControllerConfig> = {}): Promise<Controller> {
  const c = await startController({ host: '127.0.0.1', port: 0, topology, ...extra });
  cleanup.push(() => c.close());
  return c;
}

async function open(c: Controller, id: number, protocol: NodeConfig['protocol'], extra: Partial<NodeConfig> = {}): Promise<Dataplane> {
  const n = await Dataplane.open({ node_id: id, controller_addr: c.url, ...(protocol !== undefined ? { protocol } : {}), ...extra });
  cleanup.push(() => n.close());
  return n;
}

const LINE = { n_nodes: 3, edges: [[1, 2], [2, 3]] as [number, number][] };

/** Sends 10 B, 8 KiB and 1 MiB from a to b and checks each arrives intact. */
async function exchange(nodes: Map<number, Dataplane>, pairs: [number, number][]): Promise<void> {
  let seed = 1;
  for (const [a, b] of pairs) {
    const rx = nodes.get(b)!.registerReceiverFromNode({ srcNodeId: a, dstPort: 7000 + a });
    for (const size of [10, 8 * 1024, 1024 * 1024]) {
      const data = payloadFor(size, seed++);
      await nodes.get(a)!.sendToNode({ dstNodeId: b, frozen: PacketView.fromBuffer(data, { copy: false }), dstPort: 7000 + a });
      const d = await rx.recv({ timeoutMs: 10_000 });
      expect(d, `${size} B from ${a} to ${b}`).not.toBeNull();
      expect(sha(d!.payload), `${size} B from ${a} to ${b}`).toBe(sha(data));
      expect(d!.srcNodeId).toBe(a);
    }
    rx.close();
  }
}

const transports = (n: Dataplane) => Object.fromEntries(n.stats().links.map((l) => [l.neighbor, l.transport]));

describe('several transports in one network', () => {
  it('relay-only nodes and a UDP-only node in one line (1 relay - 2 udp - 3 relay): the bridge joins them, both ways, forwarded by node 2', async () => {
    const c = await controller(LINE);
    const nodes = new Map<number, Dataplane>();
    nodes.set(1, await open(c, 1, 'relay'));
    nodes.set(2, await open(c, 2, 'udp'));
    nodes.set(3, await open(c, 3, 'relay'));
    expect(await nodes.get(2)!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    // The UDP node sends to the relay nodes' faces; they send to it over the relay.
    expect(transports(nodes.get(2)!)).toEqual({ 1: 'udp', 3: 'udp' });
    expect(transports(nodes.get(1)!)).toEqual({ 2: 'relay' });
    expect(c.status().relay.bridge.faces.map((f) => f.nodeId)).toEqual([1, 3]);
    await exchange(nodes, [[1, 3], [3, 1], [2, 1], [1, 2], [3, 2]]);
    expect(nodes.get(2)!.stats().packetsForwarded).toBeGreaterThan(1500);
    const r = c.status().relay;
    expect(r.bridge.toRelay).toBeGreaterThan(1500);
    expect(r.bridge.toUdp).toBeGreaterThan(1500);
    expect(r.dropsUnknownNode + r.dropsBackpressure + r.bridge.dropsUnknownSource + r.bridge.sendErrors).toBe(0);
    for (const n of nodes.values()) expect(n.stats().drops).toMatchObject({ send_error: 0, unknown_peer: 0, not_a_peer: 0 });
  });

  it('across the bridge: multicast reaches each member once, and a 4 MiB lossless session completes both ways', async () => {
    const c = await controller(LINE);
    const n1 = await open(c, 1, 'relay');
    const n2 = await open(c, 2, 'udp');
    const n3 = await open(c, 3, 'relay');
    expect(await n1.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const g = await n1.createGroup('bridged');
    await n1.setGroupRoutes(g.groupId, [[1, 2], [2, 3]]);
    const rxs = [];
    for (const m of [n2, n3]) {
      await m.joinGroup(g.groupId);
      expect(await m.waitForLocalMembership(g.groupId, { timeoutMs: 10_000 })).toBe(true);
      rxs.push(m.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp }));
    }
    const data = payloadFor(20_000, 9);
    await n1.sendToGroup({ groupId: g.groupId, frozen: data });
    for (const rx of rxs) {
      const d = await rx.recv({ timeoutMs: 10_000 });
      expect(d && sha(d.payload)).toBe(sha(data));
      expect(await rx.recv({ timeoutMs: 200 })).toBeNull();
    }
    for (const [from, to] of [[n1, n3], [n3, n1]] as const) {
      const big = payloadFor(4 * 1024 * 1024, from.nodeId);
      const destIp = to.getNetworkInfo().userSpaceAddr;
      const rid = to.receiveData({ destIp, sourceNodeId: from.nodeId, expectedBytes: big.length });
      const sid = from.sendData({ destIp, receiverIds: [to.nodeId], buffer: PacketView.fromBuffer(big, { copy: false }) });
      expect(await from.losslessWait(sid, { timeoutMs: 60_000 })).toBe(true);
      expect(await to.losslessWait(rid, { timeoutMs: 10_000 })).toBe(true);
      expect(sha(to.getDataBuffer(rid).read())).toBe(sha(big));
    }
  });

  it('with authentication: MACs hold end to end across the bridge, and a datagram to a face from no node is dropped and counted', async () => {
    const c = await controller(LINE, { auth_token: 'bridge-secret-0123456789' });
    const auth = { auth_token: 'bridge-secret-0123456789' };
    const nodes = new Map<number, Dataplane>([
      [1, await open(c, 1, 'relay', auth)],
      [2, await open(c, 2, 'udp', auth)],
      [3, await open(c, 3, 'relay', auth)],
    ]);
    expect(await nodes.get(1)!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    await exchange(nodes, [[1, 3], [3, 2]]);
    for (const n of nodes.values()) expect(n.stats().drops).toMatchObject({ auth: 0, replay: 0, no_key: 0 });
    // A stranger on loopback sends to node 1's face: not any node's UDP address.
    const face = nodes.get(2)!.stats().links.find((l) => l.neighbor === 1);
    expect(face?.transport).toBe('udp');
    const port = c.status().relay.bridge.faces.find((f) => f.nodeId === 1)!.port;
    const s = createSocket('udp4');
    cleanup.push(() => new Promise((r) => s.close(() => r(undefined))));
    for (let i = 0; i < 5; i++) s.send(new Uint8Array(64), port, '127.0.0.1');
    const before = nodes.get(1)!.stats().packetsReceived;
    for (let i = 0; i < 100 && c.status().relay.bridge.dropsUnknownSource < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.status().relay.bridge.dropsUnknownSource).toBe(5);
    expect(nodes.get(1)!.stats().packetsReceived).toBe(before);
  });

  it('default transport lists: nodes in one process pair over memory, a relay-only node is reached over the relay (no bridge), and a UDP-only node over UDP', async () => {
    const c = await controller({ type: 'full_mesh', full_mesh_config: { n_nodes: 4 } });
    const nodes = new Map<number, Dataplane>([
      [1, await open(c, 1, undefined)],
      [2, await open(c, 2, undefined)],
      [3, await open(c, 3, 'relay')],
      [4, await open(c, 4, 'udp')],
    ]);
    expect(await nodes.get(1)!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    expect(nodes.get(1)!.getNetworkInfo().protocols).toEqual(['memory', 'udp', 'relay']);
    expect(transports(nodes.get(1)!)).toEqual({ 2: 'memory', 3: 'relay', 4: 'udp' });
    expect(transports(nodes.get(3)!)).toEqual({ 1: 'relay', 2: 'relay', 4: 'relay' });
    expect(transports(nodes.get(4)!)).toEqual({ 1: 'udp', 2: 'udp', 3: 'udp' });
    // Node 3 speaks only the relay and node 4 only UDP: bridged; the others need no bridge.
    expect(c.status().relay.bridge.faces.map((f) => f.nodeId)).toEqual([3]);
    await exchange(nodes, [[1, 2], [2, 1], [1, 3], [3, 2], [4, 1], [2, 4], [3, 4], [4, 3]]);
  });

  it('memory and UDP peers in one network: memory where both speak it, UDP with UDP-only nodes, and forwarding across the two', async () => {
    const c = await controller(LINE);
    const nodes = new Map<number, Dataplane>([
      [1, await open(c, 1, ['memory', 'udp'])],
      [2, await open(c, 2, ['memory', 'udp'])],
      [3, await open(c, 3, 'udp')],
    ]);
    expect(await nodes.get(3)!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    expect(transports(nodes.get(2)!)).toEqual({ 1: 'memory', 3: 'udp' });
    await exchange(nodes, [[1, 3], [3, 1]]);
    expect(nodes.get(2)!.stats().packetsForwarded).toBeGreaterThan(1500);
  });

  it('tcp is used where both opt in; a node with no transport in common with its neighbours gets no link to them, and the topology is never ready', async () => {
    const c = await controller({ type: 'full_mesh', full_mesh_config: { n_nodes: 3 } });
    const n1 = await open(c, 1, ['tcp', 'udp']);
    const n2 = await open(c, 2, ['udp', 'tcp']);
    for (let i = 0; i < 200 && transports(n1)[2] === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(transports(n1)).toMatchObject({ 2: 'tcp' });
    const nodes = new Map([[1, n1], [2, n2]]);
    await exchange(nodes, [[1, 2], [2, 1]]);
    // Memory only, against nodes that speak TCP and UDP: nothing in common, no bridge (the
    // controller warns, naming both nodes and what each speaks).
    const n3 = await open(c, 3, 'memory');
    expect(await n3.waitForTopologyReady({ timeoutMs: 300 })).toBe(false);
    expect(transports(n3)).toEqual({ 1: undefined, 2: undefined });
  });
});
