// Run-time routes on a diamond 1-2-3 / 1-4-3: setRoutes and clearRoutes switch flows 1 -> 3
// between the two paths while messages flow, losing none; a row inserted with psql into the
// PostgreSQL store's routes table reroutes too.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Dataplane, startController, type Controller } from 'nextmini';
import { codeOf } from './harness.js';
import { usePostgres } from '../helpers/postgres.js';
import { expectLoggedErrors } from '../helpers/quiet-log.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const pg = usePostgres('psql reroute test');

async function diamond(db?: { url: string }): Promise<{ c: Controller; n: Dataplane[] }> {
  const c = await startController({ port: 0, topology: { n_nodes: 4, edges: [[1, 2], [2, 3], [1, 4], [4, 3]] }, ...(db ? { db } : {}) });
  cleanup.push(() => c.close());
  const n = await Promise.all(
    [1, 2, 3, 4].map(async (id) => {
      const dp = await Dataplane.open({ node_id: id, controller_addr: c.url, metrics_interval_ms: 0, protocol: 'udp' });
      cleanup.push(() => dp.close());
      return dp;
    }),
  );
  expect(await n[0]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
  return { c, n };
}

/** Sends `count` messages 1 -> 3 and returns how many packets nodes 2 and 4 forwarded meanwhile. */
async function burst(n: Dataplane[], count: number): Promise<{ via2: number; via4: number }> {
  const before = [n[1]!.stats().packetsForwarded, n[3]!.stats().packetsForwarded];
  for (let i = 0; i < count; i++) await n[0]!.sendToNode({ dstNodeId: 3, frozen: Uint8Array.of(i & 255), srcPort: 5000 + (i % 16) });
  await new Promise((r) => setTimeout(r, 100));
  return { via2: n[1]!.stats().packetsForwarded - before[0]!, via4: n[3]!.stats().packetsForwarded - before[1]! };
}

describe('run-time routes', () => {
  it('switch 1 -> 3 between the two paths while messages flow; nothing is lost', async () => {
    const { c, n } = await diamond();
    const received: number[] = [];
    const rxs = Array.from({ length: 16 }, (_, i) => n[2]!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 5000 + i }));
    let stop = false;
    const drains = rxs.map(async (rx) => {
      while (!stop) {
        const d = await rx.recv({ timeoutMs: 50 });
        if (d) received.push(d.payload[0]!);
      }
    });
    // Background traffic all along, across every switch.
    let flowing = true;
    let background = 0;
    const pump = (async () => {
      while (flowing) {
        await n[0]!.sendToNode({ dstNodeId: 3, frozen: Uint8Array.of(background & 255), srcPort: 5000 + (background % 16) });
        background++;
        await new Promise((r) => setImmediate(r));
      }
    })();

    await c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] });
    await new Promise((r) => setTimeout(r, 100)); // "within 100 ms"
    const viaTwo = await burst(n, 200);
    expect(viaTwo.via2).toBeGreaterThanOrEqual(200);
    expect(viaTwo.via4).toBe(0);

    await c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [[1, 4], [4, 3]] });
    await new Promise((r) => setTimeout(r, 100));
    const viaFour = await burst(n, 200);
    expect(viaFour.via4).toBeGreaterThanOrEqual(200);
    expect(viaFour.via2).toBe(0);
    expect(c.status().routes).toEqual([{ srcNodeId: 1, dstNodeId: 3 }]);

    await c.clearRoutes({ srcNodeId: 1, dstNodeId: 3 });
    expect(c.status().routes).toEqual([]);
    flowing = false;
    await pump;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(drains);
    expect(received.length).toBe(background + 400);
    const s = n.map((x) => x.stats().drops);
    for (const d of s) expect(d.no_route ?? 0).toBe(0);
  }, 60_000);

  it('refuses bad routes with INVALID_ROUTES naming the hop, and keeps the routes in force', async () => {
    const { c } = await diamond();
    expect(await codeOf(c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [1, 3] }))).toMatch(/^INVALID_ROUTES: setRoutes\(1 -> 3\): hop \(1,3\) is not a topology link/);
    expect(await codeOf(c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [1, 2, 9] }))).toMatch(/^INVALID_ROUTES: .*not from 1 to 3|node 9/);
    expect(await codeOf(c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [2, 3] }))).toMatch(/^INVALID_ROUTES: setRoutes: the route goes from node 2 to node 3, not from 1 to 3/);
    expect(await codeOf(c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [] }))).toMatch(/^INVALID_ROUTES: /);
    expect(await codeOf(c.setRoutes({ srcNodeId: 1, dstNodeId: 3, rout: [1, 2, 3] } as never))).toMatch(/^INVALID_ARGUMENT: setRoutes: unknown option rout/);
    expect(c.status().routes).toEqual([]);
  });

  it('a row inserted with psql into the PostgreSQL routes table reroutes within 1 s', async (ctx) => {
    const logged = expectLoggedErrors(); // the errors this test provokes: kept and checked, not printed
    const server = pg();
    if (!server) return ctx.skip();
    const { c, n } = await diamond({ url: server.url });
    const psql = (sql: string) => {
      const r = spawnSync('psql', [server.url, '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    };
    psql(`INSERT INTO routes (src_node_id, dst_node_id, route) VALUES (1, 3, '[1, 2, 3]')`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await burst(n, 50)).toMatchObject({ via4: 0 });
    psql(`UPDATE routes SET route = '[1, 4, 3]' WHERE src_node_id = 1 AND dst_node_id = 3`);
    await new Promise((r) => setTimeout(r, 1000));
    const b = await burst(n, 50);
    expect(b.via2).toBe(0);
    expect(b.via4).toBeGreaterThanOrEqual(50);
    // Rows that are no route, or that this topology cannot carry, are logged and left out;
    // the other rows still apply, now and after a restart on the same database.
    psql(`INSERT INTO routes (src_node_id, dst_node_id, route) VALUES (2, 4, '"hello"'), (4, 2, '{}'), (2, 1, '[2, 3, 1]'), (7, 9, '[7, 9]'), (3, 1, '"[3, 2, 1]"')`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await burst(n, 20)).toMatchObject({ via2: 0 });
    psql(`UPDATE routes SET route = '[1, 2, 3]' WHERE src_node_id = 1 AND dst_node_id = 3`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await burst(n, 20)).toMatchObject({ via4: 0 });
    await c.close();
    const c2 = await startController({ port: 0, topology: { n_nodes: 4, edges: [[1, 2], [2, 3], [1, 4], [4, 3]] }, db: { url: server.url } });
    cleanup.push(() => c2.close());
    expect(c2.status().routes).toEqual([{ srcNodeId: 1, dstNodeId: 3 }]);
    psql(`DELETE FROM routes`);
    expect(logged.join('\n')).toContain('ignoring a row of the routes table');
  }, 60_000);
});
