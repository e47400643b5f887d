// Metrics end to end: two nodes report their counters every 100 ms to a running controller,
// which stores them (controller.metrics()) and serves the latest as Prometheus text on
// GET /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane, startController, type Controller, type MetricRow } from 'nextmini';
import { parsePrometheus, samplesOf } from '../helpers/prometheus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `ok` holds (or the deadline passes); returns the last value read. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(50);
  }
}

describe('metrics from nodes to the controller to Prometheus', () => {
  let c: Controller;
  let a: Dataplane;
  let b: Dataplane;

  beforeAll(async () => {
    c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] }, links: [{ src_node_id: 1, dst_node_id: 2, delay_ms: 1 }] });
    [a, b] = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, metrics_interval_ms: 100, protocol: 'udp' }))) as [Dataplane, Dataplane];
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await c?.close();
  });

  it('stores increasing packetsSent samples of node 1', async () => {
    const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
    let sent = 0;
    const traffic = (async () => {
      for (let i = 0; i < 10; i++) {
        await a.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(100).fill(i) });
        sent++;
        await sleep(60);
      }
    })();
    const rows = await until(
      () => c.metrics({ nodeId: 1, name: 'packetsSent' }),
      (r: MetricRow[]) => r.length >= 3 && r[r.length - 1]!.value > r[0]!.value,
    );
    await traffic;
    for (let i = 0; i < sent; i++) expect(await rx.recv({ timeoutMs: 5000 })).not.toBeNull();
    rx.close();

    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) expect(r).toMatchObject({ nodeId: 1, name: 'packetsSent' });
    for (const r of rows) expect(r.neighbor).toBeUndefined();
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.atMs).toBeGreaterThanOrEqual(rows[i - 1]!.atMs);
      expect(rows[i]!.value).toBeGreaterThanOrEqual(rows[i - 1]!.value);
    }
    expect(rows[rows.length - 1]!.value).toBeGreaterThan(rows[0]!.value);

    const since = rows[rows.length - 1]!.atMs;
    const later = await c.metrics({ nodeId: 1, name: 'packetsSent', sinceMs: since });
    expect(later.every((r) => r.atMs >= since)).toBe(true);
    const links = await until(
      () => c.metrics({ nodeId: 1, name: 'link.packetsSent' }),
      (r: MetricRow[]) => r.length > 0,
    );
    expect(links[0]!.neighbor).toBe(2);
  });

  it('drops reports a node sends more often than every 50 ms, and counts them', async () => {
    const c2 = await startController({ port: 0, topology: { n_nodes: 1, edges: [] } });
    const eager = await Dataplane.open({ node_id: 1, controller_addr: c2.url, metrics_interval_ms: 1 });
    try {
      await sleep(500);
      const rows = await c2.metrics({ nodeId: 1, name: 'packetsSent' });
      // ~500 reports sent; at most one per 50 ms taken in.
      expect(rows.length).toBeGreaterThan(2);
      expect(rows.length).toBeLessThanOrEqual(12);
      expect(c2.status().metricsDropped).toBeGreaterThan(100);
    } finally {
      await eager.close();
      await c2.close();
    }
  });

  it('serves the latest values on GET /metrics in the Prometheus text format', async () => {
    // Traffic to a port nobody listens on is dropped at node 2 as no_receiver.
    await a.sendToNode({ dstNodeId: 2, frozen: new Uint8Array(10), dstPort: 4444 });
    const url = c.url.replace('ws://', 'http://') + '/metrics';
    const families = await until(
      async () => {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        return parsePrometheus(await res.text());
      },
      (f) => (samplesOf(f, 'nextmini_drops_total', { node: '2', reason: 'no_receiver' })[0]?.value ?? 0) >= 1,
    );
    const sent = samplesOf(families, 'nextmini_packets_sent_total', { node: '1' });
    expect(families.get('nextmini_packets_sent_total')?.type).toBe('counter');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(families, 'nextmini_packets_received_total', { node: '2' })[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(families, 'nextmini_drops_total', { node: '2', reason: 'no_receiver' })[0]!.value).toBeGreaterThanOrEqual(1);
    expect(families.get('nextmini_queued')?.type).toBe('gauge');
    expect(samplesOf(families, 'nextmini_link_packets_sent_total', { node: '1', neighbor: '2' })[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(families, 'nextmini_nodes_connected')[0]!.value).toBe(2);
    expect(samplesOf(families, 'nextmini_topology_ready')[0]!.value).toBe(1);
    for (const f of families.values()) expect(f.help, f.name).toBeTruthy();
  });
});
