// The data address peers use: a node that binds 0.0.0.0 is reached at the address the
// controller sees its control connection come from; public_network_addr / public_network_port
// announce another (NAT, a port forward). Nodes in their own processes, real sockets on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server } from 'node:net';
import { Dataplane, startController, type Controller } from 'nextmini';
import { Agent, codeOf, tempToml } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(): Promise<Controller> {
  const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } }, { db: false });
  cleanup.push(() => c.close());
  return c;
}

function agent(config: Record<string, unknown>): Agent {
  const a = new Agent(config);
  cleanup.push(() => a.stop());
  return a;
}

interface Info {
  publicNetworkAddr: string | null;
  publicNetworkPort: number | null;
  privateNetworkAddr: string;
  privateNetworkPort: number;
  endpoints: { protocol: string; host: string; port: number }[];
}

/** Node 1 sends to node 2 and node 2 to node 1; both arrive intact. */
async function exchange(a: Agent, b: Agent): Promise<void> {
  await a.call('register', { key: 'from2', srcNodeId: 2 });
  await b.call('register', { key: 'from1', srcNodeId: 1 });
  for (const [from, to, key, dst] of [[a, b, 'from1', 2], [b, a, 'from2', 1]] as const) {
    const sent = await from.call<{ sha256: string }>('send', { dstNodeId: dst, size: 3000, seed: dst });
    const got = await to.call<{ sha256: string } | null>('recv', { key, timeoutMs: 5000 });
    expect(got?.sha256).toBe(sent.sha256);
  }
}

describe('a node bound to 0.0.0.0', () => {
  it.each(['udp', 'tcp'])('over %s: two such nodes exchange datagrams, and getNetworkInfo() reports the address peers use', async (protocol) => {
    const c = await controller();
    const a = agent({ node_id: 1, controller_addr: c.url, protocol, private_network_addr: '0.0.0.0' });
    const b = agent({ node_id: 2, controller_addr: c.url, protocol, private_network_addr: '0.0.0.0' });
    const [ia, ib] = [await a.call<Info>('open'), await b.call<Info>('open')];
    expect(await a.call('ready', { timeoutMs: 5000 })).toBe(true);
    await exchange(a, b);
    for (const i of [ia, ib]) {
      expect(i.privateNetworkAddr).toBe('0.0.0.0');
      // Not 0.0.0.0: the controller hands out the address the node connected from.
      expect(i.publicNetworkAddr).toBe('127.0.0.1');
      expect(i.publicNetworkPort).toBe(i.privateNetworkPort);
    }
  });
});

/** A TCP port forward: connections to its port are piped to `target`, as a NAT's would be. */
async function portForward(target: number): Promise<number> {
  const server: Server = createServer((inbound) => {
    const out = connect(target, '127.0.0.1');
    inbound.pipe(out).pipe(inbound);
    const end = () => {
      inbound.destroy();
      out.destroy();
    };
    inbound.on('error', end).on('close', end);
    out.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return (server.address() as { port: number }).port;
}

/** A TCP port nothing listens on now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('an IPv6 wildcard bind', () => {
  it('private_network_addr = "::" works for TCP; for UDP (IPv4 here) it is CONFIG_INVALID saying so, not a bare EINVAL', async () => {
    const c = await controller();
    const t = await Dataplane.open({ node_id: 1, controller_addr: c.url, protocol: 'tcp', private_network_addr: '::' });
    cleanup.push(() => t.close());
    expect(t.getNetworkInfo().publicNetworkAddr).toBe('127.0.0.1');
    expect(await codeOf(Dataplane.open({ node_id: 2, controller_addr: c.url, protocol: 'udp', private_network_addr: '::' }))).toMatch(
      /^CONFIG_INVALID: cannot bind UDP to "::": UDP links here are IPv4; give an IPv4 private_network_addr \("0\.0\.0\.0" for every interface\), or protocol = "tcp" for IPv6/,
    );
  });
});

describe('public_network_port', () => {
  it('is the port peers are told: behind a port forward, node 2 reaches node 1 through it', async () => {
    const c = await controller();
    const bound = await freePort();
    const forwarded = await portForward(bound);
    const a = agent({ node_id: 1, controller_addr: c.url, protocol: 'tcp', private_network_port: bound, public_network_addr: '127.0.0.1', public_network_port: String(forwarded) });
    const b = agent({ node_id: 2, controller_addr: c.url, protocol: 'tcp' });
    const ia = await a.call<Info>('open');
    await b.call('open');
    expect(ia).toMatchObject({ privateNetworkPort: bound, publicNetworkAddr: '127.0.0.1', publicNetworkPort: forwarded });
    expect(await a.call('ready', { timeoutMs: 5000 })).toBe(true);
    await exchange(a, b);
  });

  it('without private_network_port (any free port) it is also the port the node binds, as upstream listens on it (its examples/dataplane_headless/config.toml sets only public_network_port)', async () => {
    const c = await controller();
    const port = await freePort();
    const a = agent({ node_id: 1, controller_addr: c.url, protocol: 'udp', public_network_port: String(port) });
    const b = agent({ node_id: 2, controller_addr: c.url, protocol: 'udp' });
    const ia = await a.call<Info>('open');
    await b.call('open');
    expect(ia).toMatchObject({ privateNetworkPort: port, publicNetworkPort: port });
    expect(await a.call('ready', { timeoutMs: 5000 })).toBe(true);
    await exchange(a, b);
  });

  it.each([
    ['public_network_port = "80a"', /node config\.public_network_port must be a port from 1 to 65535 \(a number, or a string of digits\), got "80a"/],
    ['public_network_port = 0', /node config\.public_network_port must be a port from 1 to 65535/],
    ['public_network_addr = "0.0.0.0"', /node config\.public_network_addr must be an address peers can send to, not the wildcard "0\.0\.0\.0"/],
  ])('%s is CONFIG_INVALID naming the key', async (line, message) => {
    const r = await codeOf(Dataplane.open(tempToml('n.toml', `node_id = 1\ncontroller_addr = "127.0.0.1:1"\n${line}\n`)));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });
});
