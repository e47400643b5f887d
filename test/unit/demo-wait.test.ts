// The demo's wait for a plain unicast message (ts/cli/demo-wait.ts), against fakes: it names a
// drop on the path as soon as it sees one, gives up after a short grace, speaks at least once a
// second while waiting, and does not take an earlier message for this one.
import { describe, expect, it } from 'vitest';
import { GRACE_MS, pathDrops, waitForMessage, type Hop } from '../../ts/cli/demo-wait.js';
import type { PacketReceiver, PayloadDelivery } from '../../ts/index.node.js';

function fakeNode(links: { neighbor: number; dropsLoss: number; dropsQueue: number }[]): Hop['node'] {
  return { stats: () => ({ links }) } as unknown as Hop['node'];
}

/** A receiver that hands out `queue` in order, then nothing (after the recv timeout). */
function fakeReceiver(queue: { messageId: number }[]): Pick<PacketReceiver, 'recv'> {
  return {
    recv: async ({ timeoutMs }: { timeoutMs: number }) => {
      const next = queue.shift();
      if (next) return next as PayloadDelivery;
      await new Promise((r) => setTimeout(r, timeoutMs));
      return null;
    },
  } as unknown as Pick<PacketReceiver, 'recv'>;
}

describe('demo: waiting for a plain unicast message', () => {
  it('counts drops on the path links only', () => {
    const a = fakeNode([{ neighbor: 2, dropsLoss: 3, dropsQueue: 1 }]);
    const b = fakeNode([
      { neighbor: 1, dropsLoss: 50, dropsQueue: 0 },
      { neighbor: 3, dropsLoss: 2, dropsQueue: 0 },
    ]);
    expect(pathDrops([{ node: a, to: 2 }, { node: b, to: 3 }])).toBe(6);
  });

  it('skips an earlier message and returns this one', async () => {
    const said: string[] = [];
    const r = await waitForMessage(fakeReceiver([{ messageId: 1 }, { messageId: 2 }]), { messageId: 2, path: [], dropsBefore: 0, timeoutMs: 5000, label: 'm2' }, (l) => said.push(l));
    expect(r).toEqual({ delivery: { messageId: 2 } });
    expect(said).toEqual([]);
  });

  it('a drop on the path: says so at once, then gives up after the grace, not the timeout', async () => {
    const links = [{ neighbor: 2, dropsLoss: 0, dropsQueue: 0 }];
    const path = [{ node: fakeNode(links), to: 2 }];
    const said: { at: number; line: string }[] = [];
    const t0 = performance.now();
    setTimeout(() => (links[0]!.dropsLoss = 2), 100);
    const r = await waitForMessage(fakeReceiver([]), { messageId: 7, path, dropsBefore: 0, timeoutMs: 8000, label: 'm7' }, (line) => said.push({ at: performance.now() - t0, line }));
    const took = performance.now() - t0;
    expect(r).toEqual({ lost: 2 });
    expect(said).toHaveLength(1);
    expect(said[0]!.line).toMatch(/^m7: 2 datagrams dropped by the emulated links after 0\.\d s; plain unicast does not resend/);
    expect(said[0]!.at).toBeLessThan(1000);
    expect(took).toBeGreaterThanOrEqual(GRACE_MS);
    expect(took).toBeLessThan(GRACE_MS + 1500);
  });

  it('no drop: a line a second until the timeout', async () => {
    const said: string[] = [];
    const r = await waitForMessage(fakeReceiver([]), { messageId: 3, path: [], dropsBefore: 0, timeoutMs: 2600, label: 'm3' }, (l) => said.push(l));
    expect(r).toEqual({ timedOut: true });
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(said[0]).toMatch(/^m3: still on its way after 1\.\d s \(no drop seen on the links; giving up at 2\.6 s\)$/);
  });
});
