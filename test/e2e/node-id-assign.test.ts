// node_id = 0: the controller assigns the id (upstream: "auto-assigned if 0"), by the node's
// address ([[nodes]] public_network_addr, or the id it had at that address:port before), else
// the lowest free id above node_id_offset. Nodes in their own processes, real sockets on 127.0.0.1.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataplane, startController, type Controller, type ControllerConfig } from 'nextmini';
import { Agent, codeOf, runCli, stopChild, tempToml } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(cfg: Partial<ControllerConfig> = {}): Promise<Controller> {
  const c = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } }, ...cfg } as ControllerConfig, { db: false });
  cleanup.push(() => c.close());
  return c;
}

interface Info {
  nodeId: number;
}

async function agent(config: Record<string, unknown>): Promise<{ a: Agent; id: number }> {
  const a = new Agent(config);
  cleanup.push(() => a.stop());
  const info = await a.call<Info>('open');
  return { a, id: info.nodeId };
}

/** A port nothing listens on now (UDP on the same number is free too in practice). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function open(config: Record<string, unknown>): Promise<Dataplane> {
  const dp = await Dataplane.open(config as never);
  cleanup.push(() => dp.close());
  return dp;
}

describe('node_id = 0', () => {
  it('three nodes in their own processes get distinct ids, and exchange data', async () => {
    const c = await controller();
    const nodes = [];
    for (let i = 0; i < 3; i++) nodes.push(await agent({ node_id: 0, controller_addr: c.url, protocol: 'udp' }));
    expect(nodes.map((n) => n.id).sort()).toEqual([1, 2, 3]);
    expect(c.status().connected).toEqual([1, 2, 3]);
    const [x, y] = nodes as [{ a: Agent; id: number }, { a: Agent; id: number }];
    expect(await x.a.call('ready', { timeoutMs: 5000 })).toBe(true);
    await y.a.call('register', { key: 'k', srcNodeId: x.id });
    const sent = await x.a.call<{ sha256: string }>('send', { dstNodeId: y.id, size: 5000, seed: 3 });
    const got = await y.a.call<{ sha256: string; srcNodeId: number } | null>('recv', { key: 'k', timeoutMs: 5000 });
    expect(got).toMatchObject({ sha256: sent.sha256, srcNodeId: x.id });
  });

  it('`nextmini node --config` with node_id = 0 prints the id it was given', async () => {
    const c = await controller();
    const { child, output } = await runCli(['node', '--config', tempToml('n.toml', `node_id = 0\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`)], /node \d+ \(192\.168\.0\.\d+\) speaks/);
    try {
      expect(output()).toMatch(/node 1 \(192\.168\.0\.1\) speaks udp/);
      expect(c.status().connected).toEqual([1]);
    } finally {
      await stopChild(child);
    }
  });

  it('a node file without node_id (upstream\'s default 0, as its examples/bare-metal/dataplane/node.toml) is given an id; a config object without one is still refused', async () => {
    const c = await controller();
    // upstream's example as written, with only controller_addr pointing here.
    const file = tempToml('node.toml', `# Change to the real ip controller_addr.\ncontroller_addr = "${c.url}"\nnum_tun_queues = 1\nnum_packet_processors = 4\nchannel_capacity = 4000\nqueue_capacity = 3000\nfeature = "concurrent"\n`);
    const { child, output } = await runCli(['node', '--config', file], /node \d+ \(192\.168\.0\.\d+\) speaks|CONFIG_INVALID/);
    try {
      expect(output()).toMatch(/node 1 \(192\.168\.0\.1\) speaks/);
      expect(c.status().connected).toEqual([1]);
    } finally {
      await stopChild(child);
    }
    expect(await codeOf(Dataplane.open({ controller_addr: c.url } as never))).toMatch(/^CONFIG_INVALID: node config\.node_id is required/);
  });

  it('a node restarted at the same address and port gets its id back; a node elsewhere does not take it meanwhile', async () => {
    const c = await controller();
    const port = await freePort();
    const first = await agent({ node_id: 0, controller_addr: c.url, protocol: 'udp', private_network_port: port });
    const other = await agent({ node_id: 0, controller_addr: c.url, protocol: 'udp' });
    expect([first.id, other.id]).toEqual([1, 2]);
    await first.a.stop();
    for (let t0 = Date.now(); c.status().connected.includes(1) && Date.now() - t0 < 5000; ) await new Promise((r) => setTimeout(r, 20));
    // Id 1 is free, but kept for 127.0.0.1:<port>: a newcomer gets 3.
    const newcomer = await agent({ node_id: 0, controller_addr: c.url, protocol: 'udp' });
    expect(newcomer.id).toBe(3);
    const again = await agent({ node_id: 0, controller_addr: c.url, protocol: 'udp', private_network_port: port });
    expect(again.id).toBe(1);
  });

  it('after a controller restart on its store, the ids of nodes not back yet are not handed to newcomers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-ids-'));
    const topology = { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } as const;
    const c1 = await startController({ port: 0, topology }, { db: { path: join(dir, 'state') } });
    const before = await open({ node_id: 0, controller_addr: c1.url, protocol: 'udp', controller_connect_timeout_ms: 5000 });
    expect(before.nodeId).toBe(1);
    await c1.close();
    // Elsewhere, so that node 1 cannot come back before the newcomer asks.
    const c2 = await startController({ port: 0, topology }, { db: { path: join(dir, 'state') } });
    cleanup.push(() => c2.close());
    const newcomer = await open({ node_id: 0, controller_addr: c2.url, protocol: 'udp' });
    expect(newcomer.nodeId).toBe(2);
  });

  it('node_id_offset: only ids above it are assigned', async () => {
    const c = await controller({ topology: { type: 'ring', ring_config: { n_nodes: 6 } } });
    const a = await open({ node_id: 0, node_id_offset: 3, controller_addr: c.url, protocol: 'udp' });
    const b = await open({ node_id: 0, node_id_offset: 3, controller_addr: c.url, protocol: 'udp' });
    expect([a.nodeId, b.nodeId]).toEqual([4, 5]);
    expect(a.config.node_id).toBe(4);
    expect(a.getNetworkInfo()).toMatchObject({ nodeId: 4, userSpaceAddr: '192.168.0.4' });
  });

  it('the [[nodes]] entry whose public_network_addr is the node\'s address gives the id; other nodes skip it', async () => {
    const c = await controller({ nodes: [{ node_id: 2, public_network_addr: '127.0.0.2' }] });
    const plain = await open({ node_id: 0, controller_addr: c.url, protocol: 'udp' });
    const there = await open({ node_id: 0, controller_addr: c.url, protocol: 'udp', private_network_addr: '127.0.0.2' });
    const next = await open({ node_id: 0, controller_addr: c.url, protocol: 'udp' });
    expect([plain.nodeId, there.nodeId, next.nodeId]).toEqual([1, 2, 3]);
  });

  it('no free id: open() fails with CONTROLLER_REJECTED naming why', async () => {
    const c = await controller({ topology: { n_nodes: 2, edges: [[1, 2]] } });
    await open({ node_id: 1, controller_addr: c.url, protocol: 'udp' });
    await open({ node_id: 0, controller_addr: c.url, protocol: 'udp' });
    const r = await codeOf(Dataplane.open({ node_id: 0, controller_addr: c.url, protocol: 'udp' }));
    expect(r).toMatch(/^CONTROLLER_REJECTED: .*no free node id.*connected: 1, 2.*Set node_id in the node config/);
    const high = await codeOf(Dataplane.open({ node_id: 0, node_id_offset: 2, controller_addr: c.url, protocol: 'udp' }));
    expect(high).toMatch(/^CONTROLLER_REJECTED: .*no node id above node_id_offset 2 in the topology \(its ids are 1, 2\)/);
  });

  it('with a shared auth_token it proves that token; ids with their own [[nodes]] token are skipped', async () => {
    const c = await controller({ auth_token: 'shared-secret', admin_token: 'admin-secret', nodes: [{ node_id: 1, token: 'own-secret' }] });
    const a = await open({ node_id: 0, controller_addr: c.url, protocol: 'udp', auth_token: 'shared-secret' });
    expect(a.nodeId).toBe(2);
    const wrong = await codeOf(Dataplane.open({ node_id: 0, controller_addr: c.url, protocol: 'udp', auth_token: 'nope' }));
    expect(wrong).toMatch(/^CONTROLLER_REJECTED: .*UNAUTHORIZED/);
  });

  it('with per-node tokens only, node_id = 0 is refused: the node must say which id its token is for', async () => {
    const c = await controller({ admin_token: 'admin-secret', nodes: [{ node_id: 1, token: 'one' }, { node_id: 2, token: 'two' }, { node_id: 3, token: 'three' }] });
    const r = await codeOf(Dataplane.open({ node_id: 0, controller_addr: c.url, protocol: 'udp', auth_token: 'two' }));
    expect(r).toMatch(/^CONTROLLER_REJECTED: .*node_id = 0.*own \[\[nodes\]\] token.*set node_id/);
  });
});

describe('node_id in a node config', () => {
  it.each([
    ['node_id = -1', /node config\.node_id must be a whole number from 0/],
    ['node_id = 0\nnode_id_offset = "x"', /node config\.node_id_offset must be a whole number/],
  ])('%s is CONFIG_INVALID', async (text, message) => {
    const r = await codeOf(Dataplane.open(tempToml('n.toml', `controller_addr = "127.0.0.1:1"\n${text}\n`)));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });

  it('node_id_offset beside a non-zero node_id warns that it is not used', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned: string;
    try {
      await codeOf(Dataplane.open(tempToml('n.toml', 'node_id = 2\nnode_id_offset = 5\ncontroller_addr = "127.0.0.1:1"\ncontroller_connect_timeout_ms = 50\n')));
      warned = spy.mock.calls.flat().join('\n');
    } finally {
      spy.mockRestore();
    }
    expect(warned).toMatch(/node_id_offset applies only with node_id = 0/);
  });
});
