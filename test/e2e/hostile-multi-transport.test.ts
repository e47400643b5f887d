// A hostile review of several transports per node (control protocol v3 endpoints, the
// controller's choice of link, the UDP bridge between UDP and relay-only nodes, the memory
// transport's random ids). Each `it` is one attack on loopback; those marked "hole" failed
// before the fix named in them. Every loop is bounded in count and time.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataplane, PacketView, startController, type Controller } from 'nextmini';
import { encode, decode, type Endpoint } from '../../ts/control/messages.js';
import { nodeProof } from '../../ts/control/auth.js';
import { openRealmSocket } from '../../ts/control/realm.js';
import { openStore } from '../../ts/controller/store/open.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T: Record<number, string> = { 1: 'tok-1-aaaaaaaaaaaaaaaa', 2: 'tok-2-bbbbbbbbbbbbbbbb', 3: 'tok-3-cccccccccccccccc', 4: 'tok-4-dddddddddddddddd' };
const nonzero = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v));

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
  return cond();
}

/** A hand-made node: says `hello` (with a proof if `token`), resolves the controller's first answer. */
function forge(url: string, hello: { nodeId: number; endpoints: Endpoint[]; relayToken?: string }, token?: string): Promise<{ first: string; ws: WebSocket }> {
  const ws = new WebSocket(url);
  cleanup.push(async () => ws.terminate());
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ first: 'timeout', ws }), 3000);
    ws.on('error', () => {});
    ws.on('message', async (d: Buffer) => {
      const m = decode(new Uint8Array(d));
      if (m.t === 'challenge') {
        const clientNonce = new Uint8Array(32);
        const proof = token ? await nodeProof(token, { serverNonce: m.nonce, clientNonce, nodeId: hello.nodeId }) : new Uint8Array(0);
        ws.send(encode({ t: 'hello', ...hello, clientNonce: token ? clientNonce : new Uint8Array(0), proof }));
      } else {
        clearTimeout(t);
        resolve({ first: m.t === 'reject' ? `reject ${m.code}: ${m.message}` : m.t, ws });
      }
    });
  });
}

async function controller(topology: object, extra: object = {}): Promise<Controller> {
  const c = await startController({ host: '127.0.0.1', port: 0, topology, ...extra } as never);
  cleanup.push(() => c.close());
  return c;
}
async function open(c: Controller, id: number, protocol: unknown, extra: object = {}): Promise<Dataplane> {
  const n = await Dataplane.open({ node_id: id, controller_addr: c.url, protocol, metrics_interval_ms: 0, ...extra } as never);
  cleanup.push(() => n.close());
  return n;
}
async function udpSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => s.close(() => r(undefined))));
  return s;
}
const facePort = (c: Pick<Controller, 'status'>, id: number) => c.status().relay.bridge.faces.find((f) => f.nodeId === id)?.port;

describe('forged hellos', () => {
  it('held: a protocol twice, five endpoints, none, another member\'s UDP address (also through a wildcard), an address not vouched for', async () => {
    const c = await controller({ type: 'full_mesh', full_mesh_config: { n_nodes: 4 } });
    const n1 = await open(c, 1, ['memory', 'udp', 'relay']);
    const udp1 = n1.getNetworkInfo().endpoints.find((e) => e.protocol === 'udp')!;
    const relay: Endpoint = { protocol: 'relay', host: '', port: 0 };
    const cases: [Endpoint[], RegExp][] = [
      [[relay, relay], /MALFORMED: hello lists a protocol twice/],
      [[relay, { protocol: 'udp', host: '', port: 1 }, { protocol: 'tcp', host: '', port: 1 }, { protocol: 'memory', host: 'a/b', port: 0 }, { protocol: 'memory', host: 'a/c', port: 0 }], /MALFORMED: control array of 5/],
      [[], /MALFORMED: node 2 announces no transport/],
      [[{ protocol: 'udp', host: '127.0.0.1', port: udp1.port }], /UNAUTHORIZED: .*which is node 1's/],
      [[{ protocol: 'udp', host: '0.0.0.0', port: udp1.port }], /UNAUTHORIZED: .*which is node 1's/],
      [[{ protocol: 'udp', host: '10.1.2.3', port: 9 }], /UNAUTHORIZED: .*cannot|UNAUTHORIZED: .*vouch/],
      [[{ protocol: 'udp', host: '0', port: 9 }], /UNAUTHORIZED/],
    ];
    for (const [endpoints, want] of cases) expect((await forge(c.url, { nodeId: 2, endpoints })).first).toMatch(want);
    // TCP and UDP ports are separate spaces: a TCP endpoint at node 1's UDP port takes nothing of node 1's.
    expect((await forge(c.url, { nodeId: 3, endpoints: [{ protocol: 'tcp', host: '127.0.0.1', port: udp1.port }] })).first).toBe('welcome');
  });

  it('hole (fixed): an insider announcing another node\'s memory endpoint is refused; node 1 -> node 2 over memory keeps working', async () => {
    const c = await controller({ n_nodes: 3, edges: [[1, 2], [2, 3]] }, { nodes: [1, 2, 3].map((id) => ({ node_id: id, token: T[id] })) });
    const n1 = await open(c, 1, 'memory', { auth_token: T[1] });
    const n2 = await open(c, 2, 'memory', { auth_token: T[2] });
    const mem1 = n1.getNetworkInfo().endpoints[0]!;
    const rx = n2.registerReceiverFromNode({ srcNodeId: 1, srcPort: 1, dstPort: 2 });
    const say = () => n1.sendToNode({ dstNodeId: 2, frozen: new PacketView(new Uint8Array([1, 2, 3])), srcPort: 1, dstPort: 2 });
    expect(await n1.waitForTopologyReady({ timeoutMs: 1 })).toBe(false);
    await say();
    expect(await rx.recv({ timeoutMs: 2000 })).not.toBeNull();
    // Before: welcome, and node 2 credited node 1's datagrams to node 3 (the last peer with that id), drops.auth.
    const forged = await forge(c.url, { nodeId: 3, endpoints: [{ protocol: 'memory', host: mem1.host, port: 0 }] }, T[3]);
    expect(forged.first).toMatch(/UNAUTHORIZED: .*memory.*node 1's/);
    await sleep(300);
    let ok = 0;
    for (let i = 0; i < 3; i++) {
      await say();
      if (await rx.recv({ timeoutMs: 1000 })) ok++;
    }
    expect(ok).toBe(3);
    expect(n2.stats().drops.auth).toBe(0);
  });

  it('hole (fixed): a memory endpoint not shaped "<realm id>/<transport id>" is refused (it could claim the realm of the others and leave their links to it dead)', async () => {
    const c = await controller({ n_nodes: 2, edges: [[1, 2]] });
    const n1 = await open(c, 1, ['memory', 'udp']);
    const realm = n1.getNetworkInfo().endpoints[0]!.host.split('/')[0]!;
    for (const host of [`${realm}x`, '', `${realm}/`, `${realm}/a/b`, `${realm}/${'a'.repeat(5000)}`, `${realm}/\u0000`]) {
      expect((await forge(c.url, { nodeId: 2, endpoints: [{ protocol: 'memory', host, port: 0 }] })).first, JSON.stringify(host.slice(0, 40))).toMatch(/MALFORMED: .*memory/);
    }
  });

  it('hole (fixed): a relay token from a node that does not speak the relay opens no face and binds no relay connection', async () => {
    const c = await controller({ n_nodes: 2, edges: [[1, 2]] });
    const token = 'x'.repeat(32);
    expect((await forge(c.url, { nodeId: 1, endpoints: [{ protocol: 'tcp', host: '127.0.0.1', port: 1 }], relayToken: token })).first).toBe('welcome');
    await sleep(200);
    expect(c.status().relay.bridge.faces).toEqual([]);
    const ws = new WebSocket(`${c.url}/relay?node=1`);
    cleanup.push(async () => ws.terminate());
    const closed = new Promise<number | string>((r) => {
      ws.on('close', (code) => r(code));
      setTimeout(() => r('still open after 2 s'), 2000);
    });
    ws.on('open', () => ws.send(Buffer.from(token, 'latin1')));
    expect(await closed).toBe(4003);
    expect(c.status().relay.bound).toEqual([]);
  });

  it('hole (fixed): a relay endpoint carries no address: junk host/port (NUL, 40 kB) is not handed to peers and the node is still stored (PGlite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-hostile-mt-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'db');
    const c = await controller({ n_nodes: 3, edges: [[1, 2], [2, 3]] }, { db: { path } });
    const n2 = await open(c, 2, ['udp', 'relay']);
    const junk = '\u0000' + 'é'.repeat(20_000);
    expect((await forge(c.url, { nodeId: 1, endpoints: [{ protocol: 'relay', host: junk, port: 53 }], relayToken: 'y'.repeat(32) })).first).toBe('welcome');
    // Unicode and empty hosts where the controller vouches for them as given (allowed: '' is a wildcard, odd names are whatever the admin allowed).
    expect((await forge(c.url, { nodeId: 3, endpoints: [{ protocol: 'udp', host: '', port: 40_001 }, { protocol: 'relay', host: 'ñandú.例え.テスト', port: 0 }], relayToken: 'z'.repeat(32) })).first).toBe('welcome');
    await sleep(300);
    expect(Object.fromEntries(n2.stats().links.map((l) => [l.neighbor, l.transport]))).toMatchObject({ 1: 'relay' });
    await c.close();
    const s = await openStore({ path });
    cleanup.push(() => s.close());
    const nodes = (await s.load()).nodes;
    // Before: node 1 was never stored (PGlite: invalid byte sequence for encoding "UTF8": 0x00).
    expect(nodes.find((n) => n.nodeId === 1)?.endpoints).toEqual([{ protocol: 'relay', host: '', port: 0 }]);
    expect(nodes.find((n) => n.nodeId === 3)?.endpoints).toEqual([{ protocol: 'udp', host: '127.0.0.1', port: 40_001 }, { protocol: 'relay', host: '', port: 0 }]);
  }, 30_000);
});

describe('the UDP bridge', () => {
  it('hole (fixed): a node on the controller host announcing a face as its UDP address is refused, and no datagram bounces through the bridge', async () => {
    const c = await controller({ n_nodes: 3, edges: [[1, 2], [2, 3]] });
    const r1 = await open(c, 1, 'relay');
    expect(await until(() => facePort(c, 1) !== undefined)).toBe(true);
    const face = facePort(c, 1)!;
    // Before: welcome, and one datagram from node 1 to node 2 went face -> same face -> node 1 (as from node 2) 32 times, up to the hop limit.
    const x = await forge(c.url, { nodeId: 2, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: face }] });
    expect(x.first).toMatch(/UNAUTHORIZED: .*bridge/);
    await sleep(200);
    await r1.sendToNode({ dstNodeId: 2, frozen: new PacketView(new Uint8Array(100)), srcPort: 1, dstPort: 2 }).catch(() => {});
    await sleep(500);
    expect(c.status().relay.bridge.toUdp).toBe(0);
    expect(r1.stats().packetsReceived).toBe(0);
  });

  it('held: a relay node sending frames to arbitrary ids makes the bridge send only to members\' vouched UDP addresses', async () => {
    const c = await controller({ n_nodes: 4, edges: [[1, 2], [2, 3], [3, 4]] });
    const token = 'r'.repeat(32);
    expect((await forge(c.url, { nodeId: 1, endpoints: [{ protocol: 'relay', host: '', port: 0 }], relayToken: token })).first).toBe('welcome');
    const s3 = await udpSocket();
    const got: string[] = [];
    s3.on('message', (_m, rinfo) => got.push(`${rinfo.address}:${rinfo.port}`));
    // Node 3 (not node 1's neighbour) is a member with a vouched UDP address (a wildcard: the connection's); 2 and 4 never joined.
    expect((await forge(c.url, { nodeId: 3, endpoints: [{ protocol: 'udp', host: '0.0.0.0', port: s3.address().port }] })).first).toBe('welcome');
    expect(await until(() => facePort(c, 1) !== undefined)).toBe(true);
    const relay = new WebSocket(`${c.url}/relay?node=1`);
    cleanup.push(async () => relay.terminate());
    await new Promise<void>((resolve, reject) => {
      relay.on('open', () => relay.send(Buffer.from(token, 'latin1')));
      relay.once('message', () => resolve());
      relay.on('close', () => reject(new Error('relay refused')));
    });
    const ids = [3, 2, 4, 0, 5, 99, 0xffffffff];
    for (const dst of ids) {
      const f = Buffer.alloc(4 + 16);
      f.writeUInt32BE(dst, 0);
      relay.send(f);
    }
    await until(() => c.status().relay.dropsUnknownNode >= ids.length - 1);
    await sleep(100);
    // Exactly one datagram left the bridge: to node 3's vouched address, from node 1's face.
    expect(got).toEqual([`127.0.0.1:${facePort(c, 1)}`]);
    const st = c.status().relay;
    expect(st.bridge.toUdp).toBe(1);
    expect(st.dropsUnknownNode).toBe(ids.length - 1);
    expect(st.bridge.sendErrors).toBe(0);
  });

  it('held: strangers and non-neighbours at a face; a flood is counted and bounded; 40 join/leave cycles leak no face or socket', async () => {
    const c = await controller({ n_nodes: 3, edges: [[1, 2], [2, 3]] });
    const r1 = await open(c, 1, 'relay');
    expect(await until(() => facePort(c, 1) !== undefined)).toBe(true);
    const face = facePort(c, 1)!;
    const s3 = await udpSocket(); // node 3: a member, but not node 1's neighbour
    expect((await forge(c.url, { nodeId: 3, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: s3.address().port }] })).first).toBe('welcome');
    for (let i = 0; i < 5; i++) s3.send(new Uint8Array(64), face, '127.0.0.1');
    expect(await until(() => r1.stats().drops.not_a_peer === 5)).toBe(true);
    expect(r1.stats().packetsReceived).toBe(0);
    const stranger = await udpSocket();
    for (let b = 0; b < 20; b++) {
      for (let i = 0; i < 200; i++) stranger.send(new Uint8Array(1200), face, '127.0.0.1');
      await sleep(5);
    }
    await until(() => c.status().relay.bridge.dropsUnknownSource >= 2000, 2000);
    expect(c.status().relay.bridge.dropsUnknownSource).toBeGreaterThan(1000);
    expect(c.status().relay.bridge.toRelay).toBe(5);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 40; i++) {
      const y = await forge(c.url, { nodeId: 2, endpoints: [{ protocol: 'relay', host: '', port: 0 }], relayToken: 'z'.repeat(32) });
      expect(y.first).toBe('welcome');
      if (i % 2) y.ws.terminate();
      else y.ws.close();
      await until(() => !c.status().connected.includes(2), 1000);
    }
    await sleep(300);
    expect(c.status().relay.bridge.faces.map((f) => f.nodeId)).toEqual([1]);
    expect(fds() - before).toBeLessThanOrEqual(2);
  }, 30_000);

  it('hole (fixed): a relay-only node that leaves while its face opens and comes back at once gets a face', async () => {
    // The in-realm registry is the one of the module instance that opens the pipe: the controller from the sources here.
    const { initSync } = await import('../../wasm/nextmini_core.js');
    initSync({ module: readFileSync(new URL('../../wasm/nextmini_core_bg.wasm', import.meta.url)) });
    const { startController: startFromSources } = await import('../../ts/controller/start.js');
    const c = await startFromSources({ host: '127.0.0.1', port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } } as never);
    cleanup.push(() => c.close());
    const hello = encode({ t: 'hello', nodeId: 1, endpoints: [{ protocol: 'relay', host: '', port: 0 }], relayToken: 'q'.repeat(32), clientNonce: new Uint8Array(0), proof: new Uint8Array(0) });
    const join = () =>
      new Promise<{ close(): void }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no welcome in 2 s')), 2000);
        const s = openRealmSocket(c.realmUrl, {
          onOpen: () => {},
          onMessage: (d) => {
            const m = decode(d);
            if (m.t === 'challenge') s.send(hello);
            else if (m.t === 'welcome') {
              clearTimeout(timer);
              resolve(s);
            } else if (m.t === 'reject') reject(new Error(m.message));
          },
          onClose: () => {},
          onError: () => {},
        });
      });
    // Both joins and the leave between them happen in microtasks, before the face's bind completes.
    const first = await join();
    first.close();
    const second = await join();
    cleanup.push(async () => second.close());
    // Before: the first join's open, resolving after the second join, closed the face the second one uses.
    expect(await until(() => facePort(c, 1) !== undefined, 1000)).toBe(true);
  });

  it('held with authentication: a datagram a stranger or an insider sends to a face or to a UDP node as if from the relay node counts as a drop', async () => {
    const c = await controller({ n_nodes: 3, edges: [[1, 2], [2, 3], [1, 3]] }, { nodes: [1, 2, 3].map((id) => ({ node_id: id, token: T[id] })) });
    const r1 = await open(c, 1, 'relay', { auth_token: T[1] });
    const u2 = await open(c, 2, 'udp', { auth_token: T[2] });
    expect(await until(() => facePort(c, 1) !== undefined)).toBe(true);
    const s3 = await udpSocket(); // insider node 3, node 1's and node 2's neighbour
    expect((await forge(c.url, { nodeId: 3, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: s3.address().port }] }, T[3])).first).toBe('welcome');
    await sleep(300);
    const rx = r1.registerReceiverFromNode({ srcNodeId: 2, srcPort: 1, dstPort: 2 });
    await u2.sendToNode({ dstNodeId: 1, frozen: new PacketView(new Uint8Array([7])), srcPort: 1, dstPort: 2 });
    expect(await rx.recv({ timeoutMs: 2000 })).not.toBeNull();
    // A node 2 -> node 1 datagram as the insider would forge it: any bytes, MAC unknown to it.
    for (let i = 0; i < 5; i++) s3.send(new Uint8Array(120).fill(i), facePort(c, 1)!, '127.0.0.1');
    expect(await until(() => r1.stats().drops.auth === 5)).toBe(true);
    // Towards the UDP node, as if from node 1: only the face's address is node 1's, so a stranger is not_a_peer.
    const stranger = await udpSocket();
    const u2port = u2.getNetworkInfo().endpoints.find((e) => e.protocol === 'udp')!.port;
    for (let i = 0; i < 5; i++) stranger.send(new Uint8Array(120).fill(i), u2port, '127.0.0.1');
    for (let i = 0; i < 5; i++) s3.send(new Uint8Array(120).fill(i), u2port, '127.0.0.1');
    expect(await until(() => u2.stats().drops.not_a_peer === 5 && u2.stats().drops.auth === 5)).toBe(true);
    expect(nonzero(r1.stats().drops)).toEqual({ auth: 5 });
    expect(await rx.recv({ timeoutMs: 100 })).toBeNull();
  });
});
