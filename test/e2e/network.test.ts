// startNetwork: a controller and its whole topology in this process, over the in-realm control
// channel and the memory transport (or UDP); `nextmini emulate`.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Dataplane, PacketView, startNetwork, type ControllerConfig, type Network } from 'nextmini';
import { PipeEnd } from '../../ts/control/realm.js';
import { codeOf, runCli, stopChild, tempToml } from './harness.js';
import { payloadFor } from './payload.mjs';
import { fatTree, tree } from './fat-tree.js';
import { expectLoggedErrors } from '../helpers/quiet-log.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function start(cfg: ControllerConfig, options?: Parameters<typeof startNetwork>[1]): Promise<Network> {
  const net = await startNetwork(cfg, options);
  cleanup.push(() => net.close());
  return net;
}

/** Sends one small message from `src` to `dst` and waits for it. */
async function unicast(net: Network, src: number, dst: number): Promise<boolean> {
  const rx = net.node(dst).registerReceiverFromNode({ srcNodeId: src, dstPort: 7000 + (dst % 1000) });
  try {
    await net.node(src).sendToNode({ dstNodeId: dst, frozen: new TextEncoder().encode(`${src}->${dst}`), dstPort: 7000 + (dst % 1000) });
    const d = await rx.recv({ timeoutMs: 5000 });
    return d !== null && new TextDecoder().decode(d.payload) === `${src}->${dst}`;
  } finally {
    rx.close();
  }
}

describe('startNetwork', () => {
  const topologies: [string, ControllerConfig['topology'], number, number[]][] = [
    ['full_mesh', { type: 'full_mesh', full_mesh_config: { n_nodes: 6 } }, 6, [1]],
    ['ring', { type: 'ring', ring_config: { n_nodes: 12 } }, 12, [1]],
    ['torus', { type: 'torus', torus_config: { dim: 2, n: 4 } }, 16, [1]],
    ['fat_tree k=4', { type: 'fat_tree', fat_tree_config: { k: 4 } }, 36, [21]],
    ['custom', { n_nodes: 6, edges: [[1, 2], [2, 3], [3, 4], [4, 5], [5, 6]] }, 6, [1]],
  ];
  for (const [name, topology, n, sources] of topologies) {
    it(`${name}: every node over memory, ready, and a unicast from node ${sources[0]} to every other node (the farthest included)`, async () => {
      const net = await start({ topology });
      expect(net.nodes.map((d) => d.nodeId)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(await net.ready({ timeoutMs: 10_000 })).toBe(true);
      expect(net.nodes.every((d) => d.getNetworkInfo().protocol === 'memory')).toBe(true);
      expect(net.controller.status()).toMatchObject({ topologyReady: true });
      expect(net.controller.status().connected.length).toBe(n);
      for (const src of sources) {
        const oks = await Promise.all(net.nodes.filter((d) => d.nodeId !== src).map((d) => unicast(net, src, d.nodeId)));
        expect(oks.every(Boolean)).toBe(true);
      }
      // The fat tree's diameter: a host in pod 0 to the last host of the last pod, both ways.
      if (name.startsWith('fat_tree')) {
        expect(await unicast(net, 36, 21)).toBe(true);
      }
      const s = net.nodes.reduce((a, d) => a + d.stats().drops.send_error + d.stats().drops.unknown_peer, 0);
      expect(s).toBe(0);
    });
  }

  it('link emulation applies on memory links: seeded loss and a rate limit show in stats().links', async () => {
    const lossy = await start({ topology: { n_nodes: 2, edges: [[1, 2]] }, link_defaults: { loss: 0.1, seed: 42 } });
    expect(await lossy.ready({ timeoutMs: 5000 })).toBe(true);
    const rx = lossy.node(2).registerReceiverFromNode({ srcNodeId: 1 });
    for (let i = 0; i < 1000; i++) await lossy.node(1).sendToNode({ dstNodeId: 2, frozen: Uint8Array.of(i & 255) });
    let got = 0;
    while (await rx.recv({ timeoutMs: 300 })) got++;
    const s = lossy.node(1).stats();
    expect(s.links[0]!.neighbor).toBe(2);
    expect(s.links[0]!.dropsLoss).toBe(s.drops.link_loss);
    expect(s.drops.link_loss).toBeGreaterThan(60);
    expect(s.drops.link_loss).toBeLessThan(140);
    expect(got + s.drops.link_loss).toBe(1000);
    await lossy.close();

    const slow = await start({ topology: { n_nodes: 2, edges: [[1, 2]] }, link_defaults: { rate: 2_000_000, bucket_size: 100_000 } });
    expect(await slow.ready({ timeoutMs: 5000 })).toBe(true);
    const rx2 = slow.node(2).registerReceiverFromNode({ srcNodeId: 1 });
    const t0 = performance.now();
    await slow.node(1).sendToNode({ dstNodeId: 2, frozen: new Uint8Array(2_000_000).fill(7) });
    const d = await rx2.recv({ timeoutMs: 10_000 });
    const seconds = (performance.now() - t0) / 1000;
    expect(d?.totalLen).toBe(2_000_000);
    expect(seconds).toBeGreaterThanOrEqual(0.85);
    const link = slow.node(1).stats().links.find((l) => l.neighbor === 2);
    expect(link?.bytesSent).toBeGreaterThan(2_000_000);
    expect(link?.measuredRate).toBeLessThan(2_300_000);
  });

  it('a fat tree k = 8 (208 nodes) in one process: ready, and a lossless multicast reaches every host', async () => {
    const t0 = performance.now();
    const net = await start({ topology: { type: 'fat_tree', fat_tree_config: { k: 8 } } });
    expect(net.nodes.length).toBe(208);
    expect(await net.ready({ timeoutMs: 20_000 })).toBe(true);
    const readyMs = performance.now() - t0;
    const { edges, hosts } = fatTree(8);
    const src = hosts[0]!;
    const members = hosts.slice(1);
    const sender = net.node(src);
    const g = await sender.createGroup('k8');
    await sender.setGroupRoutes(g.groupId, tree(edges, src, members));
    await Promise.all(members.map((m) => net.node(m).joinGroup(g.groupId)));
    const joined = await Promise.all(members.map((m) => net.node(m).waitForLocalMembership(g.groupId, { timeoutMs: 10_000 })));
    expect(joined.every(Boolean)).toBe(true);
    const data = payloadFor(256 * 1024, 8);
    const rx = members.map((m) => net.node(m).receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: src, expectedBytes: data.length }));
    const s = sender.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: members, buffer: new PacketView(data) });
    expect(await sender.losslessWait(s, { timeoutMs: 20_000 })).toBe(true);
    expect(sender.sessionOutcome(s)).toEqual({ status: 'completed' });
    const want = sha(data);
    for (const [i, m] of members.entries()) {
      const node: Dataplane = net.node(m);
      expect(await node.losslessWait(rx[i]!, { timeoutMs: 5000 })).toBe(true);
      expect(sha(node.getDataBuffer(rx[i]!).read())).toBe(want);
    }
    const rss = process.memoryUsage().rss;
    console.log(`fat tree k=8: 208 nodes ready in ${readyMs.toFixed(0)} ms; lossless multicast of 256 KiB to ${members.length} hosts; RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
  }, 30_000);

  it('authentication on: nodes prove the controller\'s auth_token over the in-realm channel, and datagrams carry MACs', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const net = await start({ topology: { type: 'ring', ring_config: { n_nodes: 4 } }, auth_token: 'in-realm-secret-0123456789' });
    expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
    expect(net.controller.status().authRequired).toBe(true);
    expect(await unicast(net, 1, 3)).toBe(true);
    expect(net.nodes.reduce((a, d) => a + (d.stats().drops.auth ?? 0), 0)).toBe(0);
    // A node with the wrong secret is refused, through the same admission as a WebSocket.
    await expect(startNetwork({ topology: { n_nodes: 1, edges: [] }, auth_token: 'right-secret-0123456789' }, { node: () => ({ auth_token: 'wrong-secret-0123456789' }) })).rejects.toMatchObject({ code: 'CONTROLLER_REJECTED', message: expect.stringMatching(/did not prove the right secret.*UNAUTHORIZED/) });
    expect(logged.join('\n')).not.toContain('UNAUTHORIZED');
  });

  it("protocol 'udp' (and 'tcp', 'relay'): nodes on sockets, joined over the in-realm control channel", async () => {
    const net = await start({ topology: { type: 'ring', ring_config: { n_nodes: 6 } } }, { protocol: 'udp' });
    expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
    const info = net.node(1).getNetworkInfo();
    expect(info).toMatchObject({ protocol: 'udp', privateNetworkAddr: '127.0.0.1', controllerAddr: net.controller.realmUrl });
    expect(info.privateNetworkPort).toBeGreaterThan(0);
    expect(await unicast(net, 1, 4)).toBe(true);
    await net.close();
    // tcp joins over the in-realm channel too; the relay joins over the controller's WebSocket.
    for (const protocol of ['tcp', 'relay'] as const) {
      const other = await start({ topology: { type: 'ring', ring_config: { n_nodes: 4 } } }, { protocol });
      expect(await other.ready({ timeoutMs: 5000 })).toBe(true);
      expect(other.node(2).getNetworkInfo().controllerAddr).toBe(protocol === 'relay' ? `${other.controller.url}/` : other.controller.realmUrl);
      expect(await unicast(other, 1, 3)).toBe(true);
    }
  });

  it('options are checked strictly, and node(id) knows only the topology', async () => {
    const topology = { n_nodes: 2, edges: [[1, 2]] as [number, number][] };
    expect(await codeOf(startNetwork({ topology }, { protocl: 'udp' } as never))).toMatch(/^INVALID_ARGUMENT: startNetwork: unknown option protocl/);
    expect(await codeOf(startNetwork({ topology }, { protocol: 'carrier-pigeon' } as never))).toMatch(/^INVALID_ARGUMENT/);
    const net = await start({ topology }, { node: (id) => ({ mtu: 1000 + id }) });
    expect(net.node(2).config.mtu).toBe(1002);
    expect(() => net.node(3)).toThrow(/no node 3/);
    expect(await codeOf(net.ready({ timeout: 5 } as never))).toMatch(/^INVALID_ARGUMENT/);
  });

  it('a node id is taken once (a second memory node 2 is refused), and an in-realm pipe is capped at max_hello_bytes before its hello', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const net = await start({ topology: { n_nodes: 2, edges: [[1, 2]] }, max_hello_bytes: 2048 });
    expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
    expect(await codeOf(Dataplane.open({ node_id: 2, controller_addr: net.controller.realmUrl, protocol: 'memory' }))).toMatch(/^CONTROLLER_REJECTED: .*node id 2 is already connected \(DUPLICATE_NODE\)/);
    expect(await unicast(net, 1, 2)).toBe(true);
    // A pipe that sends more than max_hello_bytes before its hello is cut off and counted.
    let closed: number | undefined;
    const end = new PipeEnd({ onOpen: () => {}, onMessage: () => {}, onClose: (code) => (closed = code), onError: () => {} });
    end.open();
    net.controller.acceptPipe(end as never); // the source module's PipeEnd, the built controller's duck type
    const before = net.controller.status().refusedConnections;
    end.fromNode(new Uint8Array(1500));
    end.fromNode(new Uint8Array(1500));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(1006);
    expect(net.controller.status().refusedConnections).toBe(before + 1);
    expect(logged.join('\n')).not.toContain('DUPLICATE_NODE');
  });

  it('close() frees everything: the same network starts again, and a closed controller refuses pipes', async () => {
    const cfg: ControllerConfig = { topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 4 } } };
    const first = await startNetwork(cfg);
    expect(await first.ready({ timeoutMs: 5000 })).toBe(true);
    const url = first.controller.realmUrl;
    await first.close();
    await first.close(); // idempotent
    expect(first.controller.status().connected).toEqual([]);
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: url, protocol: 'memory' }, { connectTimeoutMs: 300 }))).toMatch(/^CONTROLLER_UNREACHABLE: .*no controller is registered at realm:/);
    const second = await start(cfg);
    expect(second.controller.realmUrl).not.toBe(url);
    expect(await second.ready({ timeoutMs: 5000 })).toBe(true);
    expect(await unicast(second, 1, 4)).toBe(true);
    const third = await startNetwork({ topology: { n_nodes: 2, edges: [[1, 2]] } });
    expect(await third.ready({ timeoutMs: 5000 })).toBe(true);
    await third[Symbol.asyncDispose]();
    expect(third.controller.status().connected).toEqual([]);
  });
});

describe('nextmini emulate', () => {
  it('runs a config\'s whole topology, prints every node when ready, and stops on a signal', async () => {
    const cfg = tempToml('controller.toml', '[topology]\ntype = "ring"\nring_config = { n_nodes = 5 }\n[routing]\nprotocol = "shortest_path"\n');
    for (const protocol of ['memory', 'udp']) {
      const { child, output } = await runCli(['emulate', '--config', cfg, '--protocol', protocol], /topology ready in \d+ ms/);
      try {
        const out = output();
        for (let id = 1; id <= 5; id++) expect(out).toMatch(new RegExp(`node ${id} 192\\.168\\.0\\.${id} ${protocol}`));
        if (protocol === 'udp') expect(out).toMatch(/node 1 192\.168\.0\.1 udp 127\.0\.0\.1:\d+/);
        expect(out).toMatch(/5 nodes over (memory|udp)/);
      } finally {
        await stopChild(child);
      }
      expect(child.exitCode).toBe(0);
    }
  });
});
