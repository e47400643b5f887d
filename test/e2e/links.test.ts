// Link emulation on real loopback sockets: rate, delay, loss, run-time changes, config errors.
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane, startController, isNextminiError, type Controller, type ControllerConfig } from 'nextmini';
import { codeOf } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function pair(extra: Partial<ControllerConfig>, protocol: 'udp' | 'tcp' = 'udp'): Promise<{ c: Controller; a: Dataplane; b: Dataplane }> {
  const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] }, ...extra });
  cleanup.push(() => c.close());
  const [a, b] = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol })));
  cleanup.push(() => a!.close(), () => b!.close());
  expect(await a!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
  return { c, a: a!, b: b! };
}

async function rtt(a: Dataplane, b: Dataplane): Promise<number> {
  const atB = b.registerReceiverFromNode({ srcNodeId: 1, dstPort: 9001 });
  const atA = a.registerReceiverFromNode({ srcNodeId: 2, dstPort: 9002 });
  try {
    const t0 = performance.now();
    await a.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(8), dstPort: 9001 });
    expect(await atB.recv({ timeoutMs: 5000 })).not.toBeNull();
    await b.sendToNode({ dstNodeId: 1, frozen: new Uint8Array(8), dstPort: 9002 });
    expect(await atA.recv({ timeoutMs: 5000 })).not.toBeNull();
    return performance.now() - t0;
  } finally {
    atA.close();
    atB.close();
  }
}

describe('link emulation', () => {
  for (const protocol of ['udp', 'tcp'] as const) {
    it(`a 2 MB/s link makes a 4 MB transfer take at least 1.8 s (${protocol})`, async () => {
      const { a, b } = await pair({ links: [{ src_node_id: 1, dst_node_id: 2, rate: 2_000_000, bucket_size: 100_000 }] }, protocol);
      const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
      const t0 = performance.now();
      await a.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(4_000_000).fill(7) });
      const d = await rx.recv({ timeoutMs: 15_000 });
      const seconds = (performance.now() - t0) / 1000;
      expect(d?.totalLen).toBe(4_000_000);
      expect(seconds).toBeGreaterThanOrEqual(1.8);
      const link = a.stats().links.find((l) => l.neighbor === 2);
      expect(link?.bytesSent).toBeGreaterThan(4_000_000);
      expect(link?.measuredRate).toBeGreaterThan(1_000_000);
      expect(link?.measuredRate).toBeLessThan(2_300_000);
    });
  }

  it('100 ms of delay shows in a ping-pong round trip', async () => {
    const { a, b } = await pair({ links: [{ src_node_id: 1, dst_node_id: 2, delay_ms: 100, bidirectional: true }] });
    const ms = await rtt(a, b);
    expect(ms).toBeGreaterThanOrEqual(200);
    expect(ms).toBeLessThan(1000);
  });

  it('the seed system\'s [[link_rates]] keeps working', async () => {
    const { c, a } = await pair({ link_rates: [{ src_node_id: 1, dst_node_id: 2, rate: 1_000_000, bucket_size: 50_000 }] });
    expect(c.getLink(1, 2)).toEqual({ rate: 1_000_000, bucket_size: 50_000 });
    expect(a.stats().links.map((l) => l.neighbor)).toEqual([2]);
  });

  it('10% loss shows in stats, reproducibly with a seed', async () => {
    const lostWith = async (seed: number) => {
      const { a, b } = await pair({ link_defaults: { loss: 0.1, seed } });
      const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
      for (let i = 0; i < 1000; i++) await a.sendToNode({ dstNodeId: 2, frozen: Uint8Array.of(i & 255) });
      let got = 0;
      while (await rx.recv({ timeoutMs: 300 })) got++;
      const s = a.stats();
      expect(s.drops.link_loss).toBe(s.links[0]!.dropsLoss);
      expect(got + s.drops.link_loss).toBe(1000);
      await a.close();
      await b.close();
      return s.drops.link_loss;
    };
    const first = await lostWith(42);
    expect(first).toBeGreaterThan(60);
    expect(first).toBeLessThan(140);
    expect(await lostWith(42)).toBe(first);
  });

  it('setLink changes a link at run time without dropping queued packets', async () => {
    const { c, a, b } = await pair({ links: [{ src_node_id: 1, dst_node_id: 2, rate: 200_000, bucket_size: 20_000 }] });
    const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
    const t0 = performance.now();
    await a.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(1_000_000).fill(3) }); // ~5 s at 200 kB/s
    await new Promise((r) => setTimeout(r, 200));
    expect(a.stats().links[0]!.queueDepth).toBeGreaterThan(100);
    await c.setLink({ srcNodeId: 1, dstNodeId: 2, rate: 50_000_000, bucketSize: 200_000 });
    const d = await rx.recv({ timeoutMs: 5000 });
    expect(d?.totalLen).toBe(1_000_000);
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(a.stats().drops.link_queue + a.stats().drops.link_loss).toBe(0);
    expect(c.getLink(1, 2)).toMatchObject({ rate: 50_000_000, bucket_size: 200_000 });
  });

  it.each([
    [{ links: [{ src_node_id: 1, dst_node_id: 3, delay_ms: 5 }] }, /links\[0\] \(1 -> 3\): there is no link from node 1 to node 3/],
    [{ links: [{ src_node_id: 1, dst_node_id: 2, loss: 1.5 }] }, /links\[0\]\.loss must be a number from 0 to 1, got 1\.5/],
    [{ link_defaults: { loss_burst: { p_good_to_bad: 0.1, p_bad_to_good: 2, loss_in_bad: 1 } } }, /link_defaults\.loss_burst\.p_bad_to_good/],
    [{ link_rates: [{ src_node_id: 1, dst_node_id: 2, rate: 1000 }] }, /link_rates\[0\]\.bucket_size is required/],
  ])('bad link config %j -> CONFIG_INVALID naming link and key', async (extra, message) => {
    try {
      await startController({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, ...(extra as object) } as ControllerConfig);
      expect.unreachable('config was accepted');
    } catch (err) {
      expect(isNextminiError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('setLink rejects a non-link and bad values', async () => {
    const { c } = await pair({});
    expect(await codeOf(c.setLink({ srcNodeId: 1, dstNodeId: 5, delayMs: 1 }))).toMatch(/^INVALID_ARGUMENT: .*no link from node 1 to node 5/);
    expect(await codeOf(c.setLink({ srcNodeId: 1, dstNodeId: 2, loss: 2 }))).toMatch(/loss/);
    // The same type and range rules as [[links]] in a config file: nothing odd is stored.
    for (const [bad, key] of [
      [{ rate: -1 }, 'rate'],
      [{ rate: '100' }, 'rate'],
      [{ rate: Number.NaN }, 'rate'],
      [{ jitterMs: -5 }, 'jitter_ms'],
      [{ delayMs: -100 }, 'delay_ms'],
      [{ bucketSize: -1 }, 'bucket_size'],
      [{ queueLimitPackets: 1.5 }, 'queue_limit_packets'],
      [{ seed: -1 }, 'seed'],
      [{ reorder: 'no' }, 'reorder'],
      [{ lossBurst: { pGoodToBad: 'x', pBadToGood: 0.5, lossInBad: 1 } }, 'loss_burst.p_good_to_bad'],
      [{ lossBurst: { pGoodToBad: 0.1, pBadToGood: 0.5, lossInBad: 1, extra: 1 } }, 'unknown option extra'],
    ] as const) {
      expect(await codeOf(c.setLink({ srcNodeId: 1, dstNodeId: 2, ...(bad as object) }))).toMatch(new RegExp(`^INVALID_ARGUMENT: setLink.*${key.replace(/\./g, '\\.')}`));
    }
    expect(await codeOf(c.setLink({ srcNodeId: '1' as never, dstNodeId: 2, delayMs: 1 }))).toMatch(/^INVALID_ARGUMENT: setLink: srcNodeId must be a node id, got "1"/);
    expect(c.getLink(1, 2)).toEqual({});
    expect(() => c.getLink(1, 99)).toThrow(/getLink: there is no link from node 1 to node 99/);
  });
});
