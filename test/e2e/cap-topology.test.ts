// Issue 13 (scale): a topology at the node cap (100,000) loads in a controller with its state in
// memory, and a node joining it gets its route table in compact form (runs of destinations that
// share next hops), not 100,000 entries. No nodes beyond the one raw client: this is about what
// the controller holds and computes, and it stays fast.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startController } from 'nextmini';
import { decode, type ControlMessage } from '../../ts/control/messages.js';
import { helloBytes } from '../helpers/raw-wire.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

/** Joins as `id` (control protocol only) and resolves with the snapshot the controller sends. */
function snapshotOf(url: string, id: number): Promise<Extract<ControlMessage, { t: 'snapshot' }>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    cleanup.push(async () => ws.terminate());
    ws.on('error', reject);
    ws.on('message', (d: Buffer) => {
      const m = decode(new Uint8Array(d.buffer, d.byteOffset, d.length));
      if (m.t === 'challenge') ws.send(helloBytes(id, { protocol: 0, host: '127.0.0.1', port: 10_000 }));
      if (m.t === 'reject') reject(new Error(`${m.code}: ${m.message}`));
      if (m.t === 'snapshot') resolve(m);
    });
  });
}

describe('a topology at the node cap', () => {
  it.each([
    ['a ring of 100,000', { type: 'ring', ring_config: { n_nodes: 100_000 } }, 100_000],
    ['a 316 × 316 torus', { type: 'torus', torus_config: { dim: 2, n: 316 } }, 99_856],
  ])('%s loads in a controller (memory store), and a joiner gets a compact route table', async (_label, topology, n) => {
    const c = await startController({ port: 0, topology } as never, { db: false });
    cleanup.push(() => c.close());
    expect(c.status().expected.length).toBe(n);
    expect(c.status().store).toBe('memory');
    const s = await snapshotOf(c.url, 1);
    expect(s.neighbors.length).toBeGreaterThanOrEqual(2);
    // A table of one entry per destination would be ~1.6 MB; runs are a few per row.
    expect(s.routeTable.length).toBeLessThan(64 * 1024);
    await c.close();
  });
});
