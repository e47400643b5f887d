// Hostile tests of UDP flow control between node processes on loopback: a receiver that is
// SIGSTOPped while a sender pushes 64 MiB at it, then resumed; 4 senders into one receiver at
// once; a transfer with per-hop MACs (credits are not MAC'd and must never reach the core).
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from 'nextmini';
import { Agent } from './harness.js';

const MiB = 1024 * 1024;
let controller: Controller | undefined;
let agents: Agent[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Flow = { waitingBytes: number; probes: number; creditsSent: number; creditsTaken: number };
type Stats = { drops: Record<string, number>; flow: Flow };
const nonZero = (d: Record<string, number>) => Object.fromEntries(Object.entries(d).filter(([, v]) => v));

afterEach(async () => {
  for (const a of agents) {
    try {
      process.kill(a.pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
  await controller?.close();
  controller = undefined;
});

async function net(n: number, edges: [number, number][], extra: Record<string, unknown> = {}): Promise<Agent[]> {
  controller = await startController({ port: 0, topology: { n_nodes: n, edges }, ...extra }, { db: false });
  agents = Array.from({ length: n }, (_, i) => new Agent({ node_id: i + 1, controller_addr: controller!.url, metrics_interval_ms: 0, ...extra }));
  await Promise.all(agents.map((a) => a.call('open')));
  expect(await Promise.all(agents.map((a) => a.call('ready', { timeoutMs: 10_000 })))).toEqual(agents.map(() => true));
  return agents;
}

async function recvAll(a: Agent, key: string, count: number, timeoutMs: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const d = await a.call<{ sha256: string } | null>('recv', { key, timeoutMs });
    if (!d) break;
    out.push(d.sha256);
  }
  return out;
}

describe('hostile UDP flow control between processes', () => {
  it('a SIGSTOPped receiver: the sender stays bounded and backpressures, probes are rate-limited, and it all recovers on SIGCONT', async () => {
    const [one, two] = await net(2, [[1, 2]]);
    await two!.call('register', { key: 'k', srcNodeId: 1, dstPort: 7300 });
    const rss0 = (await one!.call<{ rss: number }>('memory')).rss;
    process.kill(two!.pid, 'SIGSTOP');
    const p0 = ((await one!.call('stats')) as Stats).flow.probes;
    const t0 = performance.now();
    let done = false;
    const burst = one!.call<string[]>('burst', { dstNodeId: 2, count: 64, size: MiB, seed: 1, dstPort: 7300 }).finally(() => (done = true));
    let maxWaiting = 0;
    let maxRss = 0;
    for (let i = 0; i < 12; i++) {
      await sleep(250);
      const s = (await one!.call('stats')) as Stats;
      maxWaiting = Math.max(maxWaiting, s.flow.waitingBytes);
      maxRss = Math.max(maxRss, (await one!.call<{ rss: number }>('memory')).rss);
    }
    const el = performance.now() - t0;
    const probes = ((await one!.call('stats')) as Stats).flow.probes - p0;
    // sendToNode waits (backpressure): 64 MiB did not all get taken in 3 s while nobody read.
    expect(done, 'the burst finished while the receiver was stopped').toBe(false);
    expect(maxWaiting).toBeLessThanOrEqual(64 * MiB);
    expect(maxRss - rss0, 'sender RSS growth').toBeLessThan(256 * MiB);
    expect(probes, `${probes} probes in ${el.toFixed(0)} ms`).toBeLessThanOrEqual(el / 25 + 4);
    process.kill(two!.pid, 'SIGCONT');
    // The burst finishes (some messages may have been lost to the stopped socket's full buffer).
    await Promise.race([burst, sleep(30_000)]);
    expect(done, 'the burst finished after SIGCONT').toBe(true);
    await recvAll(two!, 'k', 64, 2000);
    // And afterwards the link runs at full speed again: 16 MiB arrives whole, with few probes.
    const pBefore = ((await one!.call('stats')) as Stats).flow.probes;
    const t1 = performance.now();
    const sent = await one!.call<{ sha256: string }>('send', { dstNodeId: 2, size: 16 * MiB, seed: 99, dstPort: 7300 });
    const got = await two!.call<{ sha256: string } | null>('recv', { key: 'k', timeoutMs: 15_000 });
    const t = performance.now() - t1;
    const after = ((await one!.call('stats')) as Stats).flow;
    expect(got?.sha256, `16 MiB after resume, ${t.toFixed(0)} ms, probes ${after.probes - pBefore}`).toBe(sent.sha256);
    expect(after.probes - pBefore, `probes for 16 MiB after resume (${t.toFixed(0)} ms)`).toBeLessThan(10);
  }, 90_000);

  // With 64 KiB probes, 4 x 8 MiB lost messages (reassembly_expired: fragments dropped by the
  // kernel after probes overran a busy receiver); one-datagram probes fixed that. 4 x 16 MiB at
  // once still loses a message or two (reassembly_evicted, then _expired) with either probe:
  // 64 MiB of concurrent incomplete messages press the core's reassembly budget, which this
  // test does not cover. FANIN_MIB=16 to see it.
  it('fan-in: 4 senders x 8 MiB into one receiver at once lose nothing, with bounded probes', async () => {
    const all = await net(5, [[1, 5], [2, 5], [3, 5], [4, 5]]);
    const r = all[4]!;
    for (const s of [1, 2, 3, 4]) await r.call('register', { key: `f${s}`, srcNodeId: s, dstPort: 7400 });
    const sends = [1, 2, 3, 4].map((s) => all[s - 1]!.call<{ sha256: string }>('send', { dstNodeId: 5, size: Number(process.env.FANIN_MIB ?? 8) * MiB, seed: 10 + s, dstPort: 7400 }));
    const gots = [1, 2, 3, 4].map((s) => r.call<{ sha256: string } | null>('recv', { key: `f${s}`, timeoutMs: 30_000 }));
    const sent = await Promise.all(sends);
    const got = await Promise.all(gots);
    const stats = (await Promise.all(all.map((a) => a.call('stats')))) as Stats[];
    const why = JSON.stringify(stats.map((s) => ({ drops: nonZero(s.drops), probes: s.flow.probes })));
    expect(got.map((g) => g?.sha256), why).toEqual(sent.map((s) => s.sha256));
    for (const s of stats) expect(nonZero(s.drops), why).toEqual({});
    const probes = stats.reduce((n, s) => n + s.flow.probes, 0);
    // Probes come from the receiver being busy (> 25 ms turns) more than from lost credits: ~13 per sender.
    expect(probes, why).toBeLessThan(120);
  }, 90_000);

  it('with auth_token: a 16 MiB transfer over UDP passes its MACs, and no credit ever reaches a core (drops stay 0)', async () => {
    const [one, two, three] = await net(3, [[1, 2], [2, 3]], { auth_token: 'hostile-flow-secret' });
    await three!.call('register', { key: 'a', srcNodeId: 1, dstPort: 7500 });
    const sent = await one!.call<{ sha256: string }>('send', { dstNodeId: 3, size: 16 * MiB, seed: 5, dstPort: 7500 });
    const got = await three!.call<{ sha256: string } | null>('recv', { key: 'a', timeoutMs: 20_000 });
    const stats = (await Promise.all([one!, two!, three!].map((a) => a.call('stats')))) as Stats[];
    const why = JSON.stringify(stats.map((s) => ({ drops: nonZero(s.drops), flow: s.flow })));
    expect(got?.sha256, why).toBe(sent.sha256);
    for (const s of stats) expect(nonZero(s.drops), why).toEqual({});
    expect(stats[1]!.flow.creditsSent, why).toBeGreaterThan(10);
    expect(stats[0]!.flow.creditsTaken, why).toBeGreaterThan(10);
  }, 60_000);
});
