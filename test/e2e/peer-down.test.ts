// Issue 15, item 6: a send to a node that is in the topology but not connected to the
// controller (never started, or left) rejects with PEER_DOWN instead of resolving as if sent.
// A direct neighbour knows at once (the controller says who of its peers is down); a source
// further away learns it from the forwarder that dropped its first message, through the
// controller, and is told where. Nodes are separate processes on UDP sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from 'nextmini';
import { Agent, AgentError } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function line(n: number): Promise<Controller> {
  const c = await startController({ port: 0, topology: { n_nodes: n, edges: Array.from({ length: n - 1 }, (_, i) => [i + 1, i + 2]) } });
  cleanup.push(() => c.close());
  return c;
}

async function agent(c: Controller, id: number): Promise<Agent> {
  const a = new Agent({ node_id: id, controller_addr: c.url, protocol: 'udp', metrics_interval_ms: 0 });
  cleanup.push(() => a.stop());
  await a.call('open');
  return a;
}

/** What a send settles as: 'sent' or the error code. */
async function send(a: Agent, dstNodeId: number): Promise<string> {
  try {
    await a.call('send', { dstNodeId, size: 100, seed: 1 });
    return 'sent';
  } catch (err) {
    return err instanceof AgentError ? err.code : String(err);
  }
}

/** Sends every 50 ms until a send settles as `want`; returns how many it took. */
async function sendUntil(a: Agent, dst: number, want: string, ms = 5000): Promise<number> {
  const end = Date.now() + ms;
  for (let n = 1; ; n++) {
    const got = await send(a, dst);
    if (got === want) return n;
    if (Date.now() > end) throw new Error(`sends from the agent to ${dst} still settle as ${got}, not ${want}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sending to a node of the topology that is not connected', () => {
  it('a neighbour that never started: PEER_DOWN at once', async () => {
    const c = await line(3);
    const two = await agent(c, 2);
    expect(await send(two, 3)).toBe('PEER_DOWN');
  });

  it('a node two hops away: the forwarder drops the first message, the source is told, later sends reject; once it joins they arrive', async () => {
    const c = await line(3);
    const one = await agent(c, 1);
    await agent(c, 2);
    // The first send cannot know: node 2 drops it and reports; node 1 hears from the controller.
    expect(await send(one, 3)).toBe('sent');
    expect(await sendUntil(one, 3, 'PEER_DOWN')).toBeLessThanOrEqual(20);
    const three = await agent(c, 3);
    await three.call('register', { key: 'r', srcNodeId: 1 });
    await sendUntil(one, 3, 'sent');
    expect(await three.call('recv', { key: 'r', timeoutMs: 5000 })).toBeTruthy();
  });

  it('a node that left: its neighbour refuses at once, a source further away after the first drop', async () => {
    const c = await line(3);
    const one = await agent(c, 1);
    const two = await agent(c, 2);
    const three = await agent(c, 3);
    expect(await one.call('ready', { timeoutMs: 10_000 })).toBe(true);
    expect(await send(one, 3)).toBe('sent');
    await three.stop();
    expect(await sendUntil(two, 3, 'PEER_DOWN')).toBeLessThanOrEqual(40);
    expect(await sendUntil(one, 3, 'PEER_DOWN')).toBeLessThanOrEqual(40);
  });
});
