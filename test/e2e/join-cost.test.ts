// Issue 13 (scale): a join costs the controller O(the joiner's degree) in what it sends to the
// other nodes, not a snapshot (with every peer, node id and route) to each neighbour. Measured on
// a 300-node ring of raw control clients: the bytes every other node receives for one join.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startController } from 'nextmini';
import { helloBytes } from '../helpers/raw-wire.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const N = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node that says hello (control protocol only, no data plane) and counts what it receives after its snapshot. */
function rawNode(url: string, id: number): Promise<{ bytesSince(): number; types: number[]; reset(): void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    cleanup.push(async () => ws.terminate());
    let admitted = false;
    let bytes = 0;
    const types: number[] = [];
    ws.on('error', reject);
    ws.on('message', (d: Buffer) => {
      if (d[3] === 13) return ws.send(helloBytes(id, { protocol: 0, host: '127.0.0.1', port: 10_000 + id }));
      if (!admitted) {
        if (d[3] === 3) {
          admitted = true;
          resolve({ bytesSince: () => bytes, types, reset: () => ((bytes = 0), types.splice(0)) });
        }
        return;
      }
      bytes += d.length;
      types.push(d[3]!);
    });
  });
}

describe('join cost', () => {
  it(`one join on a ${N}-node ring sends only a small presence and peers update to the joiner's two neighbours`, async () => {
    const edges = Array.from({ length: N }, (_, i) => [i + 1, ((i + 1) % N) + 1]);
    const c = await startController({ port: 0, topology: { n_nodes: N, edges } } as never);
    cleanup.push(() => c.close());
    const others = [];
    for (let id = 1; id < N; id++) others.push(await rawNode(c.url, id));
    await sleep(200);
    for (const o of others) o.reset();
    const joiner = await rawNode(c.url, N);
    expect(joiner).toBeDefined();
    await sleep(300);
    const got = others.map((o, i) => ({ id: i + 1, bytes: o.bytesSince(), types: [...o.types] })).filter((x) => x.bytes > 0);
    const total = got.reduce((n, x) => n + x.bytes, 0);
    console.log(JSON.stringify({ nodes: N, receivers: got.map((x) => x.id), bytesToOthers: total, types: got.map((x) => x.types) }));
    // Its neighbours 1 and N-1 learn that it is up (presence, type 17, ~20 bytes: they were told
    // it was down when they joined) and its address (one peers message, type 16, ~40 bytes).
    expect(got.map((x) => x.id).sort((a, b) => a - b)).toEqual([1, N - 1]);
    for (const x of got) expect(x.types).toEqual([17, 16]);
    expect(total).toBeLessThan(200);
  });
});
