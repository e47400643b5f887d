// Controller admission, readiness and reconnects; config validation; hostile input.
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { Dataplane, PacketView, startController, type Controller } from 'nextmini';
import { codeOf, tempToml } from './harness.js';
import { expectLoggedErrors } from '../helpers/quiet-log.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(cfg: Record<string, unknown> = {}): Promise<Controller> {
  const c = await startController({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, ...cfg });
  cleanup.push(() => c.close());
  return c;
}

async function open(cfg: Record<string, unknown>): Promise<Dataplane> {
  const dp = await Dataplane.open(cfg as never);
  cleanup.push(() => dp.close());
  return dp;
}


describe('config validation', () => {
  const base = { node_id: 1, controller_addr: '127.0.0.1:1' };
  it.each([
    [{ ...base, mtu: 'big' }, /node config\.mtu must be a whole number/],
    [{ ...base, protocol: 'sctp' }, /node config\.protocol must be one of "memory", "udp", "tcp", "relay" or a list of them, got "sctp"/],
    [{ ...base, protocol: ['udp', 'sctp'] }, /node config\.protocol .*got "sctp" in the list/],
    [{ ...base, protocol: [] }, /node config\.protocol must name at least one/],
    [{ ...base, protocol: ['udp', 'udp'] }, /node config\.protocol lists "udp" twice/],
    [{ controller_addr: '127.0.0.1:1' }, /node config\.node_id is required/],
    [{ ...base, node_id: -1 }, /node_id must be a whole number from 0/],
    [{ ...base, controller_addr: 'no port' }, /controller_addr must be host:port or a ws:\/\/ URL/],
    [{ ...base, channel_backpressure: 'yes' }, /channel_backpressure must be true or false/],
    [{ ...base, operating_mode: 'fast' }, /operating_mode must be one of "normal", "max"/],
  ])('node config %j -> CONFIG_INVALID', async (cfg, message) => {
    const r = await codeOf(Dataplane.open(cfg as never));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });

  it('a TOML file that does not parse, or does not exist, is CONFIG_INVALID', async () => {
    expect(await codeOf(Dataplane.open(tempToml('bad.toml', 'node_id = = 1')))).toMatch(/^CONFIG_INVALID: .*not valid TOML/);
    expect(await codeOf(Dataplane.open('/nonexistent/node.toml'))).toMatch(/^CONFIG_INVALID: .*cannot read/);
  });

  it.each([
    [{ topology: { type: 'fat_tree', fat_tree_config: { k: 3 } } }, /fat_tree_config\.k/],
    [{ topology: { type: 'mesh' } }, /topology\.type must be one of/],
    [{ topology: { type: 'ring' } }, /ring_config is required/],
    [{ topology: { n_nodes: 3, edges: [[1, 4]] } }, /edges/],
    [{ topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, routes: [{ route: [1, 3] }] }, /routes\[0\]: hop \(1,3\) is not a topology link/],
    [{ topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, routes: [{ route: [[1, 2], [2, 1]] }] }, /routes\[0\]/],
    [{ topology: { n_nodes: 3, edges: [[1, 2]] }, user_space_base_addr: '300.1.1.1' }, /user_space_base_addr must be a dotted IPv4/],
    [{}, /topology is required/],
    // Past the cap: refused at once with the reason, not a wasm abort later.
    [{ topology: { type: 'torus', torus_config: { dim: 2, n: 400 } } }, /has 160000 nodes; at most 100000 are supported/],
  ])('controller config %j is rejected with a clear error', async (cfg, message) => {
    const r = await codeOf(startController({ port: 0, ...cfg } as never));
    expect(r).toMatch(/^(CONFIG_INVALID|INVALID_ROUTES): /);
    expect(r).toMatch(message);
  });

  it('an unknown key is CONFIG_INVALID naming it (test/e2e/config-keys.test.ts has more)', async () => {
    const c = await controller();
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: c.url, colour: 'blue', mtuu: 1 } as never))).toMatch(/^CONFIG_INVALID: node config: unknown keys "colour", "mtuu" \(did you mean `mtu`\?\)/);
  });

  it('loads a node TOML file', async () => {
    const c = await controller();
    const path = tempToml('node.toml', `node_id = 2\ncontroller_addr = "${c.url.replace('ws://', '')}"\nmtu = 1200\nuser_space_client_port = 1234\n`);
    const dp = await open(path as never);
    expect(dp.nodeId).toBe(2);
    // No protocol in the file: what Node does well, memory, UDP and the relay.
    expect(dp.getNetworkInfo()).toMatchObject({ nodeId: 2, mtu: 1200, protocol: 'memory', protocols: ['memory', 'udp', 'relay'], userSpaceAddr: '192.168.0.2', privateNetworkAddr: '127.0.0.1' });
    expect(dp.config.user_space_client_port).toBe(1234);
  });
});

describe('admission', () => {
  it('a duplicate node id is refused with a clear error', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller();
    await open({ node_id: 1, controller_addr: c.url });
    const r = await codeOf(Dataplane.open({ node_id: 1, controller_addr: c.url }));
    expect(r).toMatch(/^CONTROLLER_REJECTED: .*node id 1 is already connected/);
    expect(logged.join('\n')).not.toContain('DUPLICATE_NODE');
  });

  it('an id outside the topology is refused', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller();
    expect(await codeOf(Dataplane.open({ node_id: 7, controller_addr: c.url }))).toMatch(/^CONTROLLER_REJECTED: .*node id 7 is not in the topology/);
    expect(logged.join('\n')).not.toContain('not in the topology');
  });

  it('a control protocol version mismatch is refused with a reason', async () => {
    const c = await controller();
    const ws = new WebSocket(c.url);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      ws.on('open', () => ws.send(Uint8Array.from([0x4e, 0x4d, 99, 1, 0, 0, 0, 1])));
      // The first message is the controller's challenge; the second answers our hello.
      let n = 0;
      ws.on('message', (d: Buffer) => n++ === 1 && resolve(d));
      ws.on('error', reject);
    });
    expect(reply.toString('latin1')).toMatch(/version 6, node sent version 99/);
    ws.close();
  });

  it('an unreachable controller fails open() with CONTROLLER_UNREACHABLE', async () => {
    const r = await codeOf(Dataplane.open({ node_id: 1, controller_addr: '127.0.0.1:9' }, { connectTimeoutMs: 500 }));
    expect(r).toMatch(/^CONTROLLER_UNREACHABLE: /);
  });
});

describe('topology readiness and reconnects', () => {
  it('waitForTopologyReady times out before every node is up, then resolves for everyone', async () => {
    const c = await controller();
    const n1 = await open({ node_id: 1, controller_addr: c.url });
    expect(await n1.waitForTopologyReady({ timeoutMs: 150 })).toBe(false);
    const pending = [n1.waitForTopologyReady({ timeoutMs: 5000 }), n1.waitForTopologyReady({ timeoutMs: 5000 })];
    await open({ node_id: 2, controller_addr: c.url });
    const n3 = await open({ node_id: 3, controller_addr: c.url });
    expect(await Promise.all(pending)).toEqual([true, true]);
    // State-based: later calls resolve at once, any number of times.
    expect(await n1.waitForTopologyReady()).toBe(true);
    expect(await n3.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    expect(c.status()).toMatchObject({ connected: [1, 2, 3], topologyReady: true });
  });

  it('nodes reconnect after the controller restarts and traffic still flows', async () => {
    const first = await controller();
    const port = Number(new URL(first.url).port);
    const nodes = await Promise.all([1, 2, 3].map((id) => open({ node_id: id, controller_addr: first.url })));
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    await first.close();
    const second = await startController({ port, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] } });
    cleanup.push(() => second.close());
    for (let i = 0; i < 100 && second.status().connected.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(second.status().connected).toEqual([1, 2, 3]);
    for (let i = 0; i < 100 && !second.topologyReady; i++) await new Promise((r) => setTimeout(r, 50));
    expect(second.topologyReady).toBe(true);
    const rx = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1 });
    await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: new PacketView(new Uint8Array([1, 2, 3])) });
    expect((await rx.recv({ timeoutMs: 5000 }))?.payload).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('hostile input on the data port', () => {
  it('random, truncated and wrong-version UDP datagrams from a non-peer are counted and the node keeps working', async () => {
    const c = await controller();
    const nodes = await Promise.all([1, 2, 3].map((id) => open({ node_id: id, controller_addr: c.url })));
    await nodes[2]!.waitForTopologyReady({ timeoutMs: 5000 });
    const target = nodes[2]!.getNetworkInfo();
    const sock = createSocket('udp4');
    let seed = 99;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const valid = (() => {
      // A valid header from node 1 to node 3 carrying 3 bytes, to derive truncated/wrong-version variants.
      const h = new Uint8Array(43);
      h.set([1, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3]);
      return h;
    })();
    const hostile: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) hostile.push(new Uint8Array(rnd() % 200).map(() => rnd()));
    for (let cut = 0; cut < 43; cut += 3) hostile.push(valid.subarray(0, cut));
    const wrongVersion = valid.slice();
    wrongVersion[0] = 7;
    hostile.push(wrongVersion);
    for (const h of hostile) await new Promise<void>((r) => sock.send(h, target.privateNetworkPort, '127.0.0.1', () => r()));
    sock.close();
    // The socket is no peer's data address: everything is dropped before parsing.
    for (let i = 0; i < 50 && nodes[2]!.stats().drops.not_a_peer < hostile.length - 5; i++) await new Promise((r) => setTimeout(r, 20));
    expect(nodes[2]!.stats().drops.not_a_peer).toBeGreaterThanOrEqual(hostile.length - 5);
    expect(nodes[2]!.stats().drops.malformed).toBe(0);
    const rx = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1 });
    await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: new Uint8Array(5000).fill(4) });
    const d = await rx.recv({ timeoutMs: 5000 });
    expect(d?.totalLen).toBe(5000);
  });

  it('a TCP connection without a link hello is refused; a peer that breaks framing is cut off; both counted', async () => {
    const c = await controller();
    const nodes = await Promise.all([1, 2, 3].map((id) => open({ node_id: id, controller_addr: c.url, protocol: 'tcp' })));
    await nodes[2]!.waitForTopologyReady({ timeoutMs: 5000 });
    const port = nodes[2]!.getNetworkInfo().privateNetworkPort;
    const raw = (hello: number[]) =>
      new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(Uint8Array.from(hello));
          s.write(Uint8Array.from([0, 0, 0, 3, 1, 2, 3])); // a short, malformed datagram
          s.write(Uint8Array.from([0xff, 0xff, 0xff, 0xff])); // then an absurd length
        });
        s.on('close', () => resolve());
        s.on('error', () => {});
      });
    // No link hello ("NMTL" + node id): refused before anything is parsed.
    await raw([]);
    expect(nodes[2]!.stats().drops).toMatchObject({ link_refused: 1, malformed: 0, link_framing: 0 });
    // A hello naming neighbour 2, from 2's address (loopback here): taken, then cut off.
    await raw([0x4e, 0x4d, 0x54, 0x4c, 0, 0, 0, 2]);
    const s = nodes[2]!.stats();
    expect(s.drops.malformed).toBe(1);
    expect(s.drops.link_framing).toBe(1);
    const rx = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1 });
    await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: new Uint8Array([9]) });
    expect((await rx.recv({ timeoutMs: 5000 }))?.payload).toEqual(new Uint8Array([9]));
  });
});

describe('option names', () => {
  it('a misspelt option is INVALID_ARGUMENT, not silently ignored', async () => {
    const c = await controller();
    const n1 = await open({ node_id: 1, controller_addr: c.url });
    const typo = { timeout: 5 } as never;
    expect(await codeOf(n1.waitForTopologyReady(typo))).toMatch(/^INVALID_ARGUMENT: waitForTopologyReady: unknown option timeout \(known: timeoutMs, signal\)/);
    expect(await codeOf(n1.sendToNode({ dstNodeId: 2, frozen: Uint8Array.of(1), bogus: 1 } as never))).toMatch(/^INVALID_ARGUMENT: sendToNode: unknown option bogus/);
    expect(() => n1.registerReceiverFromNode({ srcNodeId: 2, srcport: 5 } as never)).toThrow(/unknown option srcport/);
    const rx = n1.registerReceiverFromNode({ srcNodeId: 2 });
    expect(await codeOf(rx.recv(typo))).toMatch(/^INVALID_ARGUMENT: recv: unknown option timeout/);
    expect(await codeOf(c.setLink({ srcNodeId: 1, dstNodeId: 2, lose: 0.1 } as never))).toMatch(/^INVALID_ARGUMENT: setLink: unknown option lose/);
  });
});

describe('operating modes', () => {
  it('max mode sends straight to the destination, bypassing the forwarder', async () => {
    const c = await controller({ nodes: [{ node_id: 1, operating_mode: 'max' }] });
    const nodes = await Promise.all([1, 2, 3].map((id) => open({ node_id: id, controller_addr: c.url })));
    await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 });
    const rx = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1 });
    await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: new Uint8Array(3000) });
    expect((await rx.recv({ timeoutMs: 5000 }))?.totalLen).toBe(3000);
    expect(nodes[1]!.stats().packetsForwarded).toBe(0);
    // And normal mode on the other nodes still goes hop by hop.
    const rx1 = nodes[0]!.registerReceiverFromNode({ srcNodeId: 3 });
    await nodes[2]!.sendToNode({ dstNodeId: 1, frozen: new Uint8Array(10) });
    expect((await rx1.recv({ timeoutMs: 5000 }))?.totalLen).toBe(10);
    expect(nodes[1]!.stats().packetsForwarded).toBe(1);
  });

  it('QUEUE_FULL without backpressure; close() ends receivers and later calls fail with CLOSED', async () => {
    const c = await controller();
    const n1 = await open({ node_id: 1, controller_addr: c.url, queue_capacity: 16 });
    await open({ node_id: 2, controller_addr: c.url });
    // 16 datagrams of room: a 100 KB message needs ~74.
    expect(await codeOf(n1.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(100_000) }))).toMatch(/^QUEUE_FULL: /);
    expect(await codeOf(n1.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(17 * 1024 * 1024) }))).toMatch(/^PAYLOAD_TOO_LARGE: /);
    const rx = n1.registerReceiverFromNode({ srcNodeId: 2 });
    const waiting = rx.recv();
    await n1.close();
    expect(await codeOf(waiting)).toMatch(/^CLOSED: /);
    expect(await codeOf(n1.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(1) }))).toMatch(/^CLOSED: /);
    // Reading a closed node's state is CLOSED too (it reached the freed core: INTERNAL, or an Error with no code).
    const sync = (f: () => unknown) => codeOf(Promise.resolve().then(f));
    expect(await sync(() => n1.stats())).toMatch(/^CLOSED: /);
    expect(await sync(() => n1.sessionProgress(1))).toMatch(/^CLOSED: /);
    expect(await sync(() => n1.sessionOutcome(1))).toMatch(/^CLOSED: /);
    expect(await sync(() => n1.getDataBuffer(1))).toMatch(/^CLOSED: /);
  });
});
