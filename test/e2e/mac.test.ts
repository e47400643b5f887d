// Issue 11, data plane with authentication on: datagrams forged from a neighbour's own address
// (the real node gone, the attacker bound to its port) carry no valid per-hop MAC and are
// dropped and counted at the first hop, through one hop and through two; honest traffic keeps
// flowing, also after a node rejoins and its link keys rotate.
import { afterEach, describe, expect, it } from 'vitest';
import { type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Dataplane, PacketKind, PacketView, encodeDatagram, startController, type Controller } from 'nextmini';
import { bindUdp } from '../helpers/raw-wire.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const SECRET = 'mac-test-secret-0123456789abcdef';
const enc = new TextEncoder();

async function network(protocol: 'udp' | 'tcp' = 'udp'): Promise<{ c: Controller; nodes: Dataplane[] }> {
  const c = await startController({ port: 0, auth_token: SECRET, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] } });
  cleanup.push(() => c.close());
  const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, auth_token: SECRET, protocol })));
  for (const n of nodes) cleanup.push(() => n.close());
  expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
  return { c, nodes };
}

/** A datagram claiming to come from node 1, with a made-up (or no) 24-byte MAC trailer. */
function forged(dst: number, text: string, trailer: Uint8Array): Uint8Array {
  const payload = enc.encode(text);
  const header = { kind: PacketKind.Unicast, hopLimit: 8, srcNode: 1, dst, srcPort: 7000, dstPort: 7001, messageId: 4242, fragIndex: 0, fragCount: 1, totalLen: payload.length, sessionId: 0, treeId: 0 };
  const d = encodeDatagram(header, payload);
  const out = new Uint8Array(d.length + trailer.length);
  out.set(d);
  out.set(trailer, d.length);
  return out;
}


const send = (s: Socket, d: Uint8Array, port: number) => new Promise<void>((r) => s.send(d, port, '127.0.0.1', () => r()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('per-hop MACs (auth_token set)', () => {
  it('honest traffic over two hops carries MACs that verify: nothing dropped for auth', async () => {
    const { nodes } = await network();
    const rx = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 1, dstPort: 2 });
    const big = randomBytes(200_000);
    await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: new PacketView(big), srcPort: 1, dstPort: 2 });
    const d = await rx.recv({ timeoutMs: 5000 });
    expect(Buffer.from(d!.payload).equals(big)).toBe(true);
    for (const n of nodes) expect(n.stats().drops).toMatchObject({ auth: 0, replay: 0, no_key: 0, not_a_peer: 0 });
    expect(nodes[1]!.stats().packetsForwarded).toBeGreaterThan(100);
  });

  it("datagrams forged from node 1's own address with bad or missing MACs die at the first hop, through one hop and two", async () => {
    const { nodes } = await network();
    const [one, two, three] = nodes as [Dataplane, Dataplane, Dataplane];
    const port1 = one.getNetworkInfo().privateNetworkPort;
    const port2 = two.getNetworkInfo().privateNetworkPort;
    const rx2 = two.registerReceiverFromNode({ srcNodeId: 1, srcPort: 7000, dstPort: 7001 });
    const rx3 = three.registerReceiverFromNode({ srcNodeId: 1, srcPort: 7000, dstPort: 7001 });
    // Node 1 goes away; the attacker takes its data port, the address node 2 knows as node 1's.
    await one.close();
    const attacker = await bindUdp(port1, cleanup);
    const forwardedBefore = two.stats().packetsForwarded;
    const attempts = [
      forged(2, 'one hop, random tag', randomBytes(24)),
      forged(2, 'one hop, no trailer', new Uint8Array(0)),
      forged(3, 'two hops, random tag', randomBytes(24)),
      forged(3, 'two hops, zero tag', new Uint8Array(24)),
    ];
    for (const d of attempts) await send(attacker, d, port2);
    for (let i = 0; i < 100 && two.stats().drops.auth < attempts.length; i++) await sleep(10);
    expect(two.stats().drops.auth).toBe(attempts.length);
    expect(two.stats().drops.not_a_peer).toBe(0); // it did come from node 1's address: only the MAC tells
    expect(await rx2.recv({ timeoutMs: 300 })).toBeNull();
    expect(await rx3.recv({ timeoutMs: 300 })).toBeNull();
    expect(two.stats().packetsForwarded).toBe(forwardedBefore);
    expect(three.stats().drops.auth).toBe(0); // nothing reached it to check
  });

  it('a rejoining node gets fresh keys on all its links; traffic flows again both ways', async () => {
    const { c, nodes } = await network();
    const [one, , three] = nodes as [Dataplane, Dataplane, Dataplane];
    await one.close();
    const again = await Dataplane.open({ node_id: 1, controller_addr: c.url, auth_token: SECRET, protocol: 'udp' });
    cleanup.push(() => again.close());
    expect(await again.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const rx3 = three.registerReceiverFromNode({ srcNodeId: 1, srcPort: 3, dstPort: 4 });
    const rx1 = again.registerReceiverFromNode({ srcNodeId: 3, srcPort: 3, dstPort: 4 });
    await again.sendToNode({ dstNodeId: 3, frozen: new PacketView(enc.encode('after rejoin')), srcPort: 3, dstPort: 4 });
    await three.sendToNode({ dstNodeId: 1, frozen: new PacketView(enc.encode('and back')), srcPort: 3, dstPort: 4 });
    expect(new TextDecoder().decode((await rx3.recv({ timeoutMs: 5000 }))!.payload)).toBe('after rejoin');
    expect(new TextDecoder().decode((await rx1.recv({ timeoutMs: 5000 }))!.payload)).toBe('and back');
    expect(again.stats().drops).toMatchObject({ auth: 0, no_key: 0 });
  });

  it('over TCP links too: honest traffic verifies', async () => {
    const { nodes } = await network('tcp');
    const rx = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 1, dstPort: 2 });
    const big = randomBytes(100_000);
    await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: new PacketView(big), srcPort: 1, dstPort: 2 });
    expect(Buffer.from((await rx.recv({ timeoutMs: 5000 }))!.payload).equals(big)).toBe(true);
    for (const n of nodes) expect(n.stats().drops).toMatchObject({ auth: 0, replay: 0, no_key: 0 });
  });

  it('max mode: a node that sends straight to everyone, joining last, has keys for every pair and is known to all', async () => {
    const c = await startController({ port: 0, auth_token: SECRET, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, nodes: [{ node_id: 1, operating_mode: 'max' }] });
    cleanup.push(() => c.close());
    const later = await Promise.all([2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, auth_token: SECRET, protocol: 'udp' })));
    for (const n of later) cleanup.push(() => n.close());
    const one = await Dataplane.open({ node_id: 1, controller_addr: c.url, auth_token: SECRET, protocol: 'udp' });
    cleanup.push(() => one.close());
    expect(await one.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const [two, three] = later as [Dataplane, Dataplane];
    const rx = three.registerReceiverFromNode({ srcNodeId: 1, srcPort: 5, dstPort: 6 });
    await one.sendToNode({ dstNodeId: 3, frozen: new PacketView(enc.encode('direct')), srcPort: 5, dstPort: 6 });
    expect(new TextDecoder().decode((await rx.recv({ timeoutMs: 5000 }))!.payload)).toBe('direct');
    expect(two.stats().packetsForwarded).toBe(0);
    expect(three.stats().drops).toMatchObject({ auth: 0, not_a_peer: 0, no_key: 0 });
    expect(one.stats().drops).toMatchObject({ no_key: 0 });
  });
});
