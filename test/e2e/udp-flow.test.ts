// Nothing is lost on a clean UDP link (issue 14): large messages and bursts between separate
// processes arrive whole with default settings, because senders never put more on the way to a
// peer than the peer's socket can hold (ts/node/udp-flow.ts). Before flow control, a 6 MiB
// sendToNode over loopback filled the receiver's kernel buffer and never arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type Controller } from 'nextmini';
import { Agent } from './harness.js';

const MiB = 1024 * 1024;
let controller: Controller;
let agents: Agent[] = [];

beforeAll(async () => {
  controller = await startController({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] } }, { db: false });
  // Default settings: no protocol (separate processes pair over UDP), default buffers and MTU.
  agents = [1, 2, 3].map((id) => new Agent({ node_id: id, controller_addr: controller.url, metrics_interval_ms: 0 }));
  await Promise.all(agents.map((a) => a.call('open')));
  expect(await Promise.all(agents.map((a) => a.call('ready', { timeoutMs: 10_000 })))).toEqual([true, true, true]);
}, 30_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.close();
});

type Stats = { drops: Record<string, number>; links: { neighbor: number; transport: string }[] };
const nonZero = (d: Record<string, number>) => Object.fromEntries(Object.entries(d).filter(([, v]) => v));

describe('UDP links lose nothing they could keep', () => {
  it('unicast 1, 6, 8 and 16 MiB from node 1 to node 2 arrive intact, one hop', async () => {
    const [one, two] = agents as [Agent, Agent];
    expect(((await two.call('stats')) as Stats).links.find((l) => l.neighbor === 1)?.transport).toBe('udp');
    await two.call('register', { key: 'big', srcNodeId: 1, dstPort: 7100 });
    for (const [i, mib] of [1, 6, 8, 16].entries()) {
      const sent = await one.call<{ sha256: string }>('send', { dstNodeId: 2, size: mib * MiB, seed: i, dstPort: 7100 });
      const got = await two.call<{ length: number; sha256: string } | null>('recv', { key: 'big', timeoutMs: 15_000 });
      expect(got, `${mib} MiB: drops at the receiver ${JSON.stringify(nonZero(((await two.call('stats')) as Stats).drops))}`).not.toBeNull();
      expect(got!.length).toBe(mib * MiB);
      expect(got!.sha256).toBe(sent.sha256);
    }
    const after = (await two.call('stats')) as Stats & { flow: { creditsSent: number; recvBufferBytes: number } };
    expect(nonZero(after.drops)).toEqual({});
    // The receiver credited what it read, from a buffer the kernel granted.
    expect(after.flow.creditsSent).toBeGreaterThan(100);
    expect(after.flow.recvBufferBytes).toBeGreaterThan(0);
  }, 60_000);

  it('a burst of 64 x 1 MiB from node 1 arrives complete at node 3, forwarded by node 2', async () => {
    const [one, two, three] = agents as [Agent, Agent, Agent];
    await three.call('register', { key: 'burst', srcNodeId: 1, dstPort: 7200 });
    const receiving = (async () => {
      const out: string[] = [];
      for (let i = 0; i < 64; i++) {
        const d = await three.call<{ sha256: string } | null>('recv', { key: 'burst', timeoutMs: 15_000 });
        if (!d) break;
        out.push(d.sha256);
      }
      return out;
    })();
    const sent = await one.call<string[]>('burst', { dstNodeId: 3, count: 64, size: MiB, seed: 100, dstPort: 7200 });
    const got = await receiving;
    const why = JSON.stringify({ one: nonZero(((await one.call('stats')) as Stats).drops), two: nonZero(((await two.call('stats')) as Stats).drops), three: nonZero(((await three.call('stats')) as Stats).drops) });
    expect(got.length, why).toBe(64);
    expect(got).toEqual(sent);
    for (const a of agents) expect(nonZero(((await a.call('stats')) as Stats).drops), why).toEqual({});
  }, 90_000);

  it('a 64 MiB lossless session over a clean link resends nothing and sends no repair symbols', async () => {
    const [one, , three] = agents as [Agent, Agent, Agent];
    const destIp = '192.168.0.3';
    const rid = await three.call<number>('receiveData', { destIp, sourceNodeId: 1, expectedBytes: 64 * MiB });
    const { sessionId, sha256 } = await one.call<{ sessionId: number; sha256: string }>('sendData', { destIp, receiverIds: [3], size: 64 * MiB, seed: 7 });
    const s = await one.call<{ ok: boolean; progress: { retransmitted: number; repairSymbols: number } }>('losslessWait', { sessionId, timeoutMs: 60_000 });
    expect(s.ok).toBe(true);
    expect((await three.call<{ ok: boolean }>('losslessWait', { sessionId: rid, timeoutMs: 10_000 })).ok).toBe(true);
    expect((await three.call<{ sha256: string }>('dataSha', { sessionId: rid })).sha256).toBe(sha256);
    expect({ retransmitted: s.progress.retransmitted, repairSymbols: s.progress.repairSymbols }).toEqual({ retransmitted: 0, repairSymbols: 0 });
  }, 90_000);
});
