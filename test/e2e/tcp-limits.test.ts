// Issue 12, item 3: a TCP link listener holds only so much. Slowloris frames time out, silent
// connections are closed, connections are capped in all and per peer, and a peer's working
// connection cannot be evicted by someone naming that peer; real traffic keeps flowing.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Dataplane, PacketView, startController } from 'nextmini';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pair(limits: Record<string, number>): Promise<[Dataplane, Dataplane]> {
  const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
  cleanup.push(() => c.close());
  const one = await Dataplane.open({ node_id: 1, controller_addr: c.url, protocol: 'tcp' });
  const two = await Dataplane.open({ node_id: 2, controller_addr: c.url, protocol: 'tcp', ...limits });
  cleanup.push(() => one.close(), () => two.close());
  expect(await one.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
  return [one, two];
}

/** A raw connection to a node's TCP port; `closed` resolves with how long it stayed open. */
function raw(port: number): { s: Socket; closed: Promise<number> } {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  const t0 = performance.now();
  const closed = new Promise<number>((r) => s.once('close', () => r(performance.now() - t0)));
  cleanup.push(async () => s.destroy());
  return { s, closed };
}

const linkHello = (nodeId: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(0x4e4d544c, 0);
  b.writeUInt32BE(nodeId, 4);
  return b;
};

async function roundTrip(from: Dataplane, to: Dataplane, text: string): Promise<string | undefined> {
  const rx = to.registerReceiverFromNode({ srcNodeId: from.nodeId, srcPort: 9, dstPort: 9 });
  try {
    await from.sendToNode({ dstNodeId: to.nodeId, frozen: new PacketView(new TextEncoder().encode(text)), srcPort: 9, dstPort: 9 });
    const d = await rx.recv({ timeoutMs: 5000 });
    return d ? new TextDecoder().decode(d.payload) : undefined;
  } finally {
    rx.close();
  }
}

describe('TCP link limits', () => {
  it('a frame that trickles in is cut off after tcp_frame_timeout_ms; a silent connection after tcp_idle_timeout_ms', async () => {
    const [one, two] = await pair({ tcp_frame_timeout_ms: 400, tcp_idle_timeout_ms: 800 });
    const port = two.getNetworkInfo().privateNetworkPort;
    // Slowloris: a valid link hello, a 65,000-byte frame announced, then one byte every 100 ms.
    const slow = raw(port);
    slow.s.write(linkHello(1));
    const head = Buffer.alloc(5);
    head.writeUInt32BE(65_000, 0);
    slow.s.write(head);
    const drip = setInterval(() => slow.s.writable && slow.s.write(Buffer.from([0x41])), 100);
    cleanup.push(async () => clearInterval(drip));
    // Silent: a link hello, then nothing.
    const idle = raw(port);
    idle.s.write(linkHello(1));
    const [slowMs, idleMs] = await Promise.all([slow.closed, idle.closed]);
    clearInterval(drip);
    expect(slowMs).toBeGreaterThanOrEqual(350);
    expect(slowMs).toBeLessThan(3000);
    expect(idleMs).toBeGreaterThanOrEqual(700);
    expect(idleMs).toBeLessThan(4000);
    expect(two.stats().drops.link_framing).toBeGreaterThanOrEqual(1);
    // The real link still works (node 1 re-dials if its own connection went idle meanwhile).
    expect(await roundTrip(one, two, 'after slowloris')).toBe('after slowloris');
  });

  it('connections beyond tcp_max_connections are refused; a peer working connection is not evicted by impostors', async () => {
    const [one, two] = await pair({ tcp_max_connections: 6, tcp_max_connections_per_peer: 2 });
    const port = two.getNetworkInfo().privateNetworkPort;
    expect(await roundTrip(one, two, 'before')).toBe('before');
    const refusedBefore = two.stats().drops.link_refused;
    // Impostors naming node 1 (same host, so the address check cannot tell them apart): beyond
    // the per-peer cap, the newcomers are refused while node 1's own connection is busy.
    const impostors = Array.from({ length: 4 }, () => raw(port));
    for (const i of impostors) i.s.write(linkHello(1));
    await sleep(300);
    // Fill the rest with connections that never say hello; beyond 6 in all they are refused.
    const floods = Array.from({ length: 10 }, () => raw(port));
    await sleep(300);
    const open = [...impostors, ...floods].filter((x) => !x.s.destroyed && x.s.readyState === 'open').length;
    expect(open).toBeLessThanOrEqual(6);
    expect(two.stats().drops.link_refused - refusedBefore).toBeGreaterThanOrEqual(8);
    expect(await roundTrip(one, two, 'during')).toBe('during');
  });
});
