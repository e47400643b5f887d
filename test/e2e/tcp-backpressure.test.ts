// Waiting for a TCP link's backlog to drain must not leave listeners behind: each wait used to
// add a 'close' listener to the busy sockets that stayed until the connection closed, so a long
// bulk transfer grew them without bound (Node warned at 11: MaxListenersExceededWarning).
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane, startController } from 'nextmini';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

describe('TCP backpressure', () => {
  it('256 x 1 MiB sends that wait for the backlog leave no listeners behind (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    cleanup.push(async () => process.off('warning', onWarning));
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } }, { db: false });
    cleanup.push(() => c.close());
    const [a, b] = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'tcp', metrics_interval_ms: 0 })));
    cleanup.push(() => Promise.all([a!.close(), b!.close()]));
    expect(await a!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const rx = b!.registerReceiverFromNode({ srcNodeId: 1 });
    const got = (async () => {
      let n = 0;
      while (n < 256 && (await rx.recv({ timeoutMs: 10_000 }))) n++;
      return n;
    })();
    const msg = new Uint8Array(1 << 20);
    for (let i = 0; i < 256; i++) await a!.sendToNode({ dstNodeId: 2, frozen: msg });
    expect(await got).toBe(256);
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
  }, 60_000);
});
