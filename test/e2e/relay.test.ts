// The WebSocket relay (protocol "relay"): every datagram goes node -> controller -> next hop
// over the nodes' relay connections. Unicast, forwarding, multicast and lossless sessions must
// behave exactly as over UDP; the controller's relay endpoint must refuse foreign binds and
// count what it cannot deliver.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import { Dataplane, PacketKind, PacketView, encodeDatagram, startController, type Controller, type ControllerConfig } from 'nextmini';
import { payloadFor } from './payload.mjs';
import { relayHelloBytes } from '../helpers/raw-wire.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(topology: ControllerConfig['topology']): Promise<Controller> {
  const c = await startController({ port: 0, topology });
  cleanup.push(() => c.close());
  return c;
}

async function relayNodes(c: Controller, ids: number[]): Promise<Dataplane[]> {
  const nodes = await Promise.all(ids.map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'relay' })));
  cleanup.push(() => Promise.all(nodes.map((n) => n.close())));
  return nodes;
}

const LINE = { n_nodes: 3, edges: [[1, 2], [2, 3]] as [number, number][] };
const MESH = { type: 'full_mesh' as const, full_mesh_config: { n_nodes: 3 } };

async function exchange(nodes: Dataplane[], pairs: [number, number][]): Promise<void> {
  let seed = 1;
  for (const [a, b] of pairs) {
    const rx = nodes[b - 1]!.registerReceiverFromNode({ srcNodeId: a, dstPort: 7000 + a });
    for (const size of [10, 8 * 1024, 1024 * 1024]) {
      const data = payloadFor(size, seed++);
      await nodes[a - 1]!.sendToNode({ dstNodeId: b, frozen: PacketView.fromBuffer(data, { copy: false }), dstPort: 7000 + a });
      const d = await rx.recv({ timeoutMs: 10_000 });
      expect(d, `${size} B from ${a} to ${b}`).not.toBeNull();
      expect(d!.payload.length).toBe(size);
      expect(sha(d!.payload)).toBe(sha(data));
      expect(d!.srcNodeId).toBe(a);
    }
    rx.close();
  }
}


function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Resolves with the first message, or with the close code and reason if it closes first. */
function firstEvent(ws: WebSocket): Promise<{ message?: Buffer; code?: number; reason?: string }> {
  return new Promise((resolve) => {
    ws.once('message', (m: Buffer) => resolve({ message: m }));
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

async function rawRelayNode(c: Controller, nodeId: number, token: string): Promise<{ control: WebSocket; relay: WebSocket }> {
  // The challenge may arrive in the same chunk as the upgrade: listen before 'open'.
  const control = new WebSocket(c.url);
  cleanup.push(async () => control.close());
  // Message types: 13 challenge, 14 welcome, 22 flow weights, 3 snapshot.
  const types: number[] = [];
  const snapshot = new Promise<void>((resolve) =>
    control.on('message', (m: Buffer) => {
      types.push(m[3]!);
      if (m[3] === 13) control.send(relayHelloBytes(nodeId, token));
      if (m[3] === 3) resolve();
    }),
  );
  await snapshot;
  expect(types).toEqual([13, 14, 22, 3]); // challenged, welcomed, told the flow weights (none), admitted
  const relay = await openWs(`${c.url}/relay?node=${nodeId}`);
  cleanup.push(async () => relay.close());
  const ack = firstEvent(relay);
  relay.send(new TextEncoder().encode(token));
  expect([...((await ack).message ?? [])]).toEqual([0, 0, 0, 0]);
  return { control, relay };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond(), what).toBe(true);
}

describe('relay transport', () => {
  it('a line 1-2-3: 10 B, 8 KiB and 1 MiB arrive intact both ways, forwarded by node 2', async () => {
    const c = await controller(LINE);
    const nodes = await relayNodes(c, [1, 2, 3]);
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    expect(nodes[0]!.getNetworkInfo()).toMatchObject({ protocol: 'relay', privateNetworkAddr: 'relay', privateNetworkPort: 0 });
    expect(c.status().relay.bound).toEqual([1, 2, 3]);
    await exchange(nodes, [[1, 3], [3, 1], [2, 1]]);
    expect(nodes[1]!.stats().packetsForwarded).toBeGreaterThan(1500);
    const r = c.status().relay;
    expect(r.framesForwarded).toBeGreaterThan(3000);
    expect(r.dropsUnknownNode + r.dropsBackpressure + r.dropsMalformed).toBe(0);
    for (const n of nodes) expect(n.stats().drops).toMatchObject({ send_error: 0, link_backlog: 0, link_framing: 0, unknown_peer: 0 });
  });

  it('a full mesh: every pair exchanges 10 B, 8 KiB and 1 MiB intact', async () => {
    const c = await controller(MESH);
    const nodes = await relayNodes(c, [1, 2, 3]);
    expect(await nodes[2]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    await exchange(nodes, [[1, 2], [2, 3], [3, 1], [2, 1]]);
    expect(nodes.reduce((s, n) => s + n.stats().packetsForwarded, 0)).toBe(0);
  });

  it('multicast over the relay reaches every member once', async () => {
    const c = await controller(LINE);
    const nodes = await relayNodes(c, [1, 2, 3]);
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const g = await nodes[0]!.createGroup('relay-mcast');
    await nodes[0]!.setGroupRoutes(g.groupId, [[1, 2], [2, 3]]);
    const receivers = [];
    for (const m of [2, 3]) {
      await nodes[m - 1]!.joinGroup(g.groupId);
      expect(await nodes[m - 1]!.waitForLocalMembership(g.groupId, { timeoutMs: 10_000 })).toBe(true);
      receivers.push(nodes[m - 1]!.registerReceiverForGroup({ srcNodeId: 1, groupIp: g.groupIp }));
    }
    const data = payloadFor(20_000, 42);
    await nodes[0]!.sendToGroup({ groupId: g.groupId, frozen: data });
    for (const rx of receivers) {
      const d = await rx.recv({ timeoutMs: 10_000 });
      expect(d && sha(d.payload)).toBe(sha(data));
      expect(d!.dstIp).toBe(g.groupIp);
      expect(await rx.recv({ timeoutMs: 200 })).toBeNull(); // once
    }
  });

  it('a 4 MiB lossless session completes over the relay (forwarded by node 2)', async () => {
    const c = await controller(LINE);
    const nodes = await relayNodes(c, [1, 2, 3]);
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const data = payloadFor(4 * 1024 * 1024, 5);
    const destIp = nodes[2]!.getNetworkInfo().userSpaceAddr;
    const rid = nodes[2]!.receiveData({ destIp, sourceNodeId: 1, expectedBytes: data.length });
    const sid = nodes[0]!.sendData({ destIp, receiverIds: [3], buffer: PacketView.fromBuffer(data, { copy: false }) });
    expect(await nodes[0]!.losslessWait(sid, { timeoutMs: 60_000 })).toBe(true);
    expect(await nodes[2]!.losslessWait(rid, { timeoutMs: 10_000 })).toBe(true);
    expect(sha(nodes[2]!.getDataBuffer(rid).read())).toBe(sha(data));
  });

  it('frames for an unknown node and short frames are counted by the controller, not fatal', async () => {
    const c = await controller(MESH);
    const nodes = await relayNodes(c, [1, 2]);
    const raw = await rawRelayNode(c, 3, 'a-secret-of-node-3');
    expect(c.status().relay.bound).toEqual([1, 2, 3]);
    const frame = (dst: number, body: Uint8Array) => {
      const f = new Uint8Array(4 + body.length);
      new DataView(f.buffer).setUint32(0, dst);
      f.set(body, 4);
      return f;
    };
    raw.relay.send(frame(9, new Uint8Array(50))); // no node 9
    raw.relay.send(frame(0xffffffff, new Uint8Array(1)));
    raw.relay.send(new Uint8Array([1, 2])); // shorter than the id
    await until(() => c.status().relay.dropsUnknownNode === 2 && c.status().relay.dropsMalformed === 1, 'drops counted');
    // The raw node still relays: a hand-built datagram from node 3 reaches node 1 ...
    const rx = nodes[0]!.registerReceiverFromNode({ srcNodeId: 3, srcPort: 1000, dstPort: 2000 });
    const payload = new TextEncoder().encode('hand-built over the relay');
    const header = { kind: PacketKind.Unicast, hopLimit: 8, srcNode: 3, dst: 1, srcPort: 1000, dstPort: 2000, messageId: 1, fragIndex: 0, fragCount: 1, totalLen: payload.length, sessionId: 0, treeId: 0 };
    raw.relay.send(frame(1, encodeDatagram(header, payload)));
    expect(new TextDecoder().decode((await rx.recv({ timeoutMs: 5000 }))?.payload)).toBe('hand-built over the relay');
    // ... and arrives prefixed with its source id; and the real nodes keep exchanging.
    const got = firstEvent(raw.relay);
    await nodes[1]!.sendToNode({ dstNodeId: 3, frozen: new Uint8Array([7, 7]) });
    const m = (await got).message!;
    expect(m.readUInt32BE(0)).toBe(2);
    expect(m.length).toBe(4 + 40 + 2);
    await exchange(nodes, [[1, 2]]);
  });

  it('a relay connection cannot bind a node id it did not say hello as', async () => {
    const c = await controller(MESH);
    await relayNodes(c, [1]);
    const attempt = async (query: string, token: string) => {
      const ws = await openWs(`${c.url}/relay?${query}`);
      const ev = firstEvent(ws);
      ws.send(new TextEncoder().encode(token));
      return ev;
    };
    // Node 1 is a relay node, but this is not its token.
    expect(await attempt('node=1', '00000000000000000000000000000000')).toMatchObject({ code: 4003, reason: expect.stringMatching(/not said hello as a relay node/) });
    // Node 2 never said hello; garbage ids are refused too.
    expect(await attempt('node=2', 'x')).toMatchObject({ code: 4003 });
    expect(await attempt('node=abc', 'x')).toMatchObject({ code: 4003 });
    expect(c.status().relay).toMatchObject({ bound: [1], bindsRejected: 3 });

    // A node that said hello over UDP has no relay to bind, whatever the token.
    const c2 = await controller(MESH);
    const udp = await Dataplane.open({ node_id: 1, controller_addr: c2.url });
    cleanup.push(() => udp.close());
    const ws = await openWs(`${c2.url}/relay?node=1`);
    const ev = firstEvent(ws);
    ws.send(new TextEncoder().encode(''));
    expect(await ev).toMatchObject({ code: 4003 });
    expect(c2.status().relay).toMatchObject({ bound: [], bindsRejected: 1 });
  });

  it('closing a relay node right after a send lets the queued frames out', async () => {
    const c = await controller(MESH);
    const [n1, n2] = await relayNodes(c, [1, 2]);
    const rx = n2!.registerReceiverFromNode({ srcNodeId: 1 });
    const data = payloadFor(2 * 1024 * 1024, 77);
    await n1!.sendToNode({ dstNodeId: 2, frozen: data });
    await n1!.close();
    const d = await rx.recv({ timeoutMs: 10_000 });
    expect(d && sha(d.payload)).toBe(sha(data));
  });
});
