// Upstream's rule for a controller config FILE: without [routing], no topology-derived routes
// (only [[routes]]); [routing] protocol = "shortest_path" adds shortest paths. A config object
// (startController({...}), startNetwork) keeps shortest paths unless it says otherwise.
// Real sockets on 127.0.0.1: the controller and UDP nodes in this process.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dataplane, startController, type Controller, type ControllerConfig } from 'nextmini';
import { Agent, codeOf, runCli, stopChild, tempToml } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

/** A line 1 - 2 - 3, as a TOML file with `extra` appended. */
const LINE = 'port = 0\n[topology]\nn_nodes = 3\nedges = [[1, 2], [2, 3]]\n';

async function network(config: string | ControllerConfig): Promise<{ c: Controller; nodes: Dataplane[] }> {
  const c = await startController(config, { db: false });
  cleanup.push(() => c.close());
  const nodes: Dataplane[] = [];
  for (const id of [1, 2, 3]) {
    const dp = await Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp' });
    cleanup.push(() => dp.close());
    nodes.push(dp);
  }
  expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
  return { c, nodes };
}

/** Sends one message from `a` to `b`; 'delivered', or the send's error. */
async function deliver(a: Dataplane, b: Dataplane): Promise<string> {
  const rx = b.registerReceiverFromNode({ srcNodeId: a.nodeId });
  try {
    const sent = await codeOf(a.sendToNode({ dstNodeId: b.nodeId, frozen: new TextEncoder().encode(`from ${a.nodeId}`) }));
    if (sent !== 'resolved') return sent;
    const d = await rx.recv({ timeoutMs: 3000 });
    return d ? 'delivered' : 'lost';
  } finally {
    rx.close();
  }
}

describe('a controller config file without [routing]', () => {
  it('installs only its [[routes]]: 1 -> 3 along [1, 2, 3] works, a pair without a route is NO_ROUTE', async () => {
    const { nodes } = await network(tempToml('c.toml', `${LINE}[[routes]]\nroute = [1, 2, 3]\n`));
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    expect(await deliver(n1, n3)).toBe('delivered');
    expect(await deliver(n1, n2)).toMatch(/^NO_ROUTE: no route to node 2: node 2 is not in the topology, or the controller's routes do not take node 1 there\. A controller config file without \[routing\] installs only its \[\[routes\]\]; add \[routing\] protocol = "shortest_path", a \[\[routes\]\] entry from 1 to 2/);
    expect(await deliver(n3, n1)).toMatch(/^NO_ROUTE/);
  });

  it('with [routing] protocol = "shortest_path": every pair has a route, [[routes]] still win', async () => {
    const { nodes } = await network(tempToml('c.toml', `${LINE}[routing]\nprotocol = "shortest_path"\n[[routes]]\nroute = [1, 2, 3]\n`));
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    expect(await deliver(n1, n3)).toBe('delivered');
    expect(await deliver(n1, n2)).toBe('delivered');
    expect(await deliver(n3, n1)).toBe('delivered');
  });

  it('with links but neither [routing] nor [[routes]]: one warning says no routes and how to get shortest paths', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned: string;
    try {
      const c = await startController(tempToml('c.toml', LINE), { db: false });
      cleanup.push(() => c.close());
      warned = spy.mock.calls.flat().join('\n');
    } finally {
      spy.mockRestore();
    }
    const lines = warned.split('\n').filter((l) => /no \[routing\]/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/has no \[routing\] and no \[\[routes\]\]: no routes will be installed.*\[routing\] protocol = "shortest_path"/);
  });

  it('no warning when the topology has no links, or when it has [[routes]]', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned: string;
    try {
      await (await startController(tempToml('c.toml', 'port = 0\n[topology]\nn_nodes = 2\n'), { db: false })).close();
      await (await startController(tempToml('c.toml', `${LINE}[[routes]]\nroute = [1, 2]\n`), { db: false })).close();
      warned = spy.mock.calls.flat().join('\n');
    } finally {
      spy.mockRestore();
    }
    expect(warned).not.toMatch(/no \[routing\]/);
  });
});

describe('`nextmini controller --config` without [routing], nodes in their own processes', () => {
  it('delivers along the [[routes]] and nowhere else', async () => {
    const { child, output } = await runCli(['controller', '--config', tempToml('c.toml', `${LINE}[[routes]]\nroute = [3, 2, 1]\n`), '--in-memory'], /listening on ws:\/\/127\.0\.0\.1:\d+/);
    cleanup.push(() => stopChild(child));
    const url = /listening on (ws:\/\/127\.0\.0\.1:\d+)/.exec(output())![1]!;
    const agents = [1, 2, 3].map((id) => {
      const a = new Agent({ node_id: id, controller_addr: url, protocol: 'udp' });
      cleanup.push(() => a.stop());
      return a;
    });
    for (const a of agents) await a.call('open');
    const [a1, a2, a3] = agents as [Agent, Agent, Agent];
    expect(await a1.call('ready', { timeoutMs: 5000 })).toBe(true);
    await a1.call('register', { key: 'k', srcNodeId: 3 });
    const sent = await a3.call<{ sha256: string }>('send', { dstNodeId: 1, size: 2000, seed: 1 });
    expect((await a1.call<{ sha256: string } | null>('recv', { key: 'k', timeoutMs: 5000 }))?.sha256).toBe(sent.sha256);
    await expect(a1.call('send', { dstNodeId: 3, size: 10, seed: 2 })).rejects.toMatchObject({ code: 'NO_ROUTE' });
    await expect(a2.call('send', { dstNodeId: 1, size: 10, seed: 2 })).rejects.toMatchObject({ code: 'NO_ROUTE' });
  });
});

describe('a controller config object', () => {
  it('without routing keeps shortest paths (no upstream file is involved)', async () => {
    const { nodes } = await network({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] } });
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    expect(await deliver(n1, n2)).toBe('delivered');
    expect(await deliver(n3, n1)).toBe('delivered');
  });

  it('routing: { protocol: "explicit" } installs only the routes given, as a file without [routing] does', async () => {
    const { nodes } = await network({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, routing: { protocol: 'explicit' }, routes: [{ route: [1, 2, 3] }] });
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    expect(await deliver(n1, n3)).toBe('delivered');
    expect(await deliver(n1, n2)).toMatch(/^NO_ROUTE/);
  });

  it('a run-time setRoutes adds a route under explicit routing, and clearRoutes takes it away again', async () => {
    const { c, nodes } = await network(tempToml('c.toml', `${LINE}[[routes]]\nroute = [1, 2, 3]\n`));
    const [n1, n2] = nodes as [Dataplane, Dataplane, Dataplane];
    expect(await deliver(n2, n1)).toMatch(/^NO_ROUTE/);
    await c.setRoutes({ srcNodeId: 2, dstNodeId: 1, route: [2, 1] });
    await new Promise((r) => setTimeout(r, 200));
    expect(await deliver(n2, n1)).toBe('delivered');
    await c.clearRoutes({ srcNodeId: 2, dstNodeId: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await deliver(n2, n1)).toMatch(/^NO_ROUTE/);
  });

  it('refuses an unknown routing protocol, naming the choices', async () => {
    expect(await codeOf(startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] }, routing: { protocol: 'ospf' as 'explicit' } }, { db: false }))).toMatch(
      /CONFIG_INVALID: .*routing\.protocol.*"shortest_path", "explicit"/,
    );
  });
});
