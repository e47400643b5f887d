// sendData({ congestion }): each mode is accepted, shows in the sender's progress and paces
// as documented; anything else is refused naming the option and its values.
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane, PacketView, startController, isNextminiError, type CongestionMode } from 'nextmini';
import { payloadFor } from './payload.mjs';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function pair(lossless: Record<string, unknown> = {}): Promise<[Dataplane, Dataplane]> {
  const c = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } } });
  cleanup.push(() => c.close());
  const nodes = await Promise.all(
    [1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp', lossless_runtime_config: lossless })),
  );
  cleanup.push(() => Promise.all(nodes.map((x) => x.close())));
  expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
  return nodes as [Dataplane, Dataplane];
}

/** A 1 MB unicast from node 1 to node 2 with `congestion`; the sender's last progress. */
async function transfer([a, b]: [Dataplane, Dataplane], congestion: unknown) {
  const data = payloadFor(1_000_000, 16);
  const dest = b.getNetworkInfo().userSpaceAddress;
  const r = b.receiveData({ destIp: dest, sourceNodeId: 1, expectedBytes: data.length });
  const s = a.sendData({ destIp: dest, receiverIds: [2], buffer: new PacketView(data), congestion: congestion as CongestionMode });
  expect(await a.losslessWait(s, { timeoutMs: 20_000 })).toBe(true);
  expect(Buffer.from(b.getDataBuffer(r).read()).equals(data)).toBe(true);
  return a.sessionProgress(s);
}

describe('sendData congestion', () => {
  it('takes rate, loss, off and booleans, and the sender reports its mode', async () => {
    const nodes = await pair();
    const cases: [unknown, CongestionMode][] = [[undefined, 'rate'], ['rate', 'rate'], ['loss', 'loss'], ['off', 'off'], [true, 'rate'], [false, 'off']];
    for (const [given, mode] of cases) {
      const p = await transfer(nodes, given);
      expect(p.congestion, `congestion ${String(given)}`).toBe(mode);
      // No data_bucket configured: 'off' is unpaced; the others stay within the default 125 MB/s.
      if (mode === 'off') expect(p.pacingRate).toBe(Infinity);
      else expect(p.pacingRate).toBeLessThanOrEqual(125_000_000);
    }
    // A receiver's progress has no mode.
    const dest = nodes[1].getNetworkInfo().userSpaceAddress;
    const r = nodes[1].receiveData({ destIp: dest, sourceNodeId: 1, expectedBytes: 10 });
    expect(nodes[1].sessionProgress(r).congestion).toBeUndefined();
  });

  it("'off' paces at exactly the configured data_bucket, whatever the receivers report", async () => {
    const nodes = await pair({ data_bucket: { rate: 20_000_000, bucket_size: 65_536 } });
    const t0 = performance.now();
    const p = await transfer(nodes, 'off');
    const secs = (performance.now() - t0) / 1000;
    expect(p.congestion).toBe('off');
    expect(p.pacingRate).toBe(20_000_000);
    // 1 MB at 20 MB/s takes at least ~50 ms less the first burst: it was paced.
    expect(secs).toBeGreaterThan(0.04);
  });

  it('refuses other values with INVALID_ARGUMENT naming congestion and its values', async () => {
    const [a, b] = await pair();
    const dest = b.getNetworkInfo().userSpaceAddress;
    for (const bad of ['fast', 'RATE', 1, null, {}]) {
      let err: unknown;
      try {
        a.sendData({ destIp: dest, receiverIds: [2], buffer: new PacketView(new Uint8Array(10)), congestion: bad as never });
      } catch (e) {
        err = e;
      }
      expect(isNextminiError(err) && err.code, `congestion ${JSON.stringify(bad)}`).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(/congestion must be 'rate', 'loss' or 'off'/);
    }
  });
});
