// The data plane takes datagrams only from neighbours, as the transport identifies them: a
// forged datagram from a socket that is no peer's data address, a TCP connection from a
// non-peer address or with a bad link hello, and a relay node posing as another source are
// all refused and counted, never delivered nor forwarded.
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { Dataplane, PacketKind, encodeDatagram, startController, type Controller } from 'nextmini';
import { relayHelloBytes } from '../helpers/raw-wire.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const LINE = { n_nodes: 3, edges: [[1, 2], [2, 3]] as [number, number][] };

async function line(protocol: 'udp' | 'tcp' | 'relay'): Promise<{ c: Controller; nodes: Dataplane[] }> {
  const c = await startController({ port: 0, topology: LINE });
  cleanup.push(() => c.close());
  const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol })));
  cleanup.push(() => Promise.all(nodes.map((n) => n.close())));
  await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 });
  return { c, nodes };
}

/** A well-formed datagram built with the SDK's own codec: node `src` to node `dst`, one fragment. */
function forged(src: number, dst: number, text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const header = { kind: PacketKind.Unicast, hopLimit: 8, srcNode: src, dst, srcPort: 45535, dstPort: 8888, messageId: 77, fragIndex: 0, fragCount: 1, totalLen: payload.length, sessionId: 0, treeId: 0 };
  return encodeDatagram(header, payload);
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond(), what).toBe(true);
}


async function rawRelayNode(c: Controller, nodeId: number, token: string): Promise<{ relay: WebSocket }> {
  const control = new WebSocket(c.url);
  cleanup.push(async () => control.close());
  await new Promise<void>((resolve) =>
    control.on('message', (m: Buffer) => {
      if (m[3] === 13) control.send(relayHelloBytes(nodeId, token)); // challenge
      if (m[3] === 3) resolve(); // snapshot: admitted
    }),
  );
  const relay = new WebSocket(`${c.url}/relay?node=${nodeId}`);
  cleanup.push(async () => relay.close());
  await new Promise((r, j) => (relay.once('open', r), relay.once('error', j)));
  const ack = new Promise<Buffer>((r) => relay.once('message', (m: Buffer) => r(m)));
  relay.send(new TextEncoder().encode(token));
  expect([...(await ack)]).toEqual([0, 0, 0, 0]);
  return { relay };
}

describe('not a peer', () => {
  it('UDP: a forged datagram "from node 1" sent from a non-peer socket is neither delivered nor forwarded', async () => {
    const { nodes } = await line('udp');
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    const rx = n3.registerReceiverFromNode({ srcNodeId: 1 });
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    cleanup.push(async () => sock.close());
    const send = (port: number, d: Uint8Array) => new Promise<void>((r) => sock.send(d, port, '127.0.0.1', () => r()));
    // Straight to the destination, and to the middle hop, which would forward it to 3.
    await send(n3.getNetworkInfo().privateNetworkPort, forged(1, 3, 'direct'));
    await send(n2.getNetworkInfo().privateNetworkPort, forged(1, 3, 'via 2'));
    await until(() => n3.stats().drops.not_a_peer === 1 && n2.stats().drops.not_a_peer === 1, 'counted as not_a_peer at 3 and at 2');
    expect(await rx.recv({ timeoutMs: 300 })).toBeNull();
    expect(n2.stats()).toMatchObject({ packetsReceived: 0, packetsForwarded: 0 });
    expect(n3.stats()).toMatchObject({ packetsReceived: 0, messagesDelivered: 0 });
    // The real node 1 still gets through, hop by hop.
    await n1.sendToNode({ dstNodeId: 3, frozen: new TextEncoder().encode('real') });
    expect(new TextDecoder().decode((await rx.recv({ timeoutMs: 5000 }))?.payload)).toBe('real');
    expect(n2.stats().packetsForwarded).toBe(1);
  });

  it('TCP: connections from a non-peer address, or with a link hello naming no peer, are refused', async () => {
    const { nodes } = await line('tcp');
    const [, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    const rx = n3.registerReceiverFromNode({ srcNodeId: 1 });
    const frame = (d: Uint8Array) => {
      const f = new Uint8Array(4 + d.length);
      new DataView(f.buffer).setUint32(0, d.length);
      f.set(d, 4);
      return f;
    };
    /** Resolves true when the node closed the connection. */
    const attempt = (port: number, localAddress: string, hello: number[], d: Uint8Array) =>
      new Promise<boolean>((resolve) => {
        const s = connect({ port, host: '127.0.0.1', localAddress }, () => {
          s.write(Uint8Array.from(hello));
          s.write(frame(d));
        });
        const timer = setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 1000);
        s.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        s.on('error', () => {});
      });
    const hello = (id: number) => [0x4e, 0x4d, 0x54, 0x4c, 0, 0, 0, id];
    // 127.0.0.2 is no peer's address (every node announced 127.0.0.1): cut off at once.
    expect(await attempt(n3.getNetworkInfo().privateNetworkPort, '127.0.0.2', hello(2), forged(1, 3, 'x'))).toBe(true);
    // From a peer's address, but the hello names node 9, which is no peer.
    expect(await attempt(n2.getNetworkInfo().privateNetworkPort, '127.0.0.1', hello(9), forged(1, 3, 'y'))).toBe(true);
    expect(n3.stats().drops.link_refused).toBe(1);
    expect(n2.stats().drops.link_refused).toBe(1);
    // A hello naming node 1 to node 3 (not its neighbour, so not among the peers the controller
    // gives node 3): refused too, and nothing is forwarded.
    expect(await attempt(n3.getNetworkInfo().privateNetworkPort, '127.0.0.1', hello(1), forged(2, 1, 'make 3 forward'))).toBe(true);
    expect(n3.stats().drops.link_refused).toBe(2);
    expect(n3.stats().packetsForwarded).toBe(0);
    expect(await rx.recv({ timeoutMs: 200 })).toBeNull();
  });

  it('relay: the controller stamps the true source, so a relay node cannot pose as another', async () => {
    // A line 1-2-3-4: nodes 1..3 are SDK relay nodes, node 4 a raw relay client (neighbour of 3).
    const c = await startController({ port: 0, topology: { n_nodes: 4, edges: [[1, 2], [2, 3], [3, 4]] } });
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'relay' })));
    cleanup.push(() => Promise.all(nodes.map((n) => n.close())));
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    const raw = await rawRelayNode(c, 4, 'token-of-node-4');
    const frame = (prefix: number, body: Uint8Array) => {
      const f = new Uint8Array(4 + body.length);
      new DataView(f.buffer).setUint32(0, prefix);
      f.set(body, 4);
      return f;
    };
    await until(() => n1.stats().drops.not_a_peer === 0, 'settled');
    // Node 4 sends node 1 a datagram "from node 2" for node 3, which 1 would forward to 2:
    // the controller delivers it as from 4, not a neighbour of 1, and 1 drops it.
    const rx3 = n3.registerReceiverFromNode({ srcNodeId: 2 });
    raw.relay.send(frame(1, forged(2, 3, 'spoofed')));
    await until(() => n1.stats().drops.not_a_peer === 1, 'not_a_peer at 1');
    expect(n1.stats().packetsForwarded).toBe(0);
    expect(await rx3.recv({ timeoutMs: 200 })).toBeNull();
    // Through its real neighbour 3 the same raw node's datagram is forwarded as usual.
    const rx2 = n2.registerReceiverFromNode({ srcNodeId: 4 });
    raw.relay.send(frame(3, forged(4, 2, 'honest')));
    expect(new TextDecoder().decode((await rx2.recv({ timeoutMs: 5000 }))?.payload)).toBe('honest');
    expect(n3.stats().packetsForwarded).toBe(1);
  });
});
