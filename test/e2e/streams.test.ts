// Reliable streams through the SDK on real loopback sockets: connect/listen, WHATWG streams,
// half-close, errors with their codes, and a lossy, delayed, rate-limited path.
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane, startController, type Controller, type ControllerConfig, type NextminiStream } from 'nextmini';
import { codeOf } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function line(n: number, extra: Partial<ControllerConfig> = {}, protocol: 'udp' | 'tcp' = 'udp'): Promise<{ c: Controller; nodes: Dataplane[] }> {
  const edges: [number, number][] = [];
  for (let i = 1; i < n; i++) edges.push([i, i + 1]);
  const c = await startController({ port: 0, topology: { n_nodes: n, edges }, ...extra });
  cleanup.push(() => c.close());
  const nodes = await Promise.all(Array.from({ length: n }, (_, i) => Dataplane.open({ node_id: i + 1, controller_addr: c.url, protocol })));
  for (const d of nodes) cleanup.push(() => d.close());
  for (const d of nodes) expect(await d.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
  return { c, nodes };
}

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function readAll(s: NextminiStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of s) {
    parts.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function writeAll(s: NextminiStream, data: Uint8Array, chunk = 100_000): Promise<void> {
  const w = s.writable.getWriter();
  for (let o = 0; o < data.length; o += chunk) await w.write(data.subarray(o, o + chunk));
  await w.close();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('streams', () => {
  it.each(['udp', 'tcp'] as const)('echoes 2 MB each way between two nodes, with half-close and stats (%s)', async (protocol) => {
    const { nodes } = await line(2, {}, protocol);
    const [a, b] = nodes as [Dataplane, Dataplane];
    const listener = b.listen({ port: 7000 });
    const server = (async () => {
      for await (const s of listener) {
        expect(s.remoteNodeId).toBe(1);
        // Echo: everything read is written back, then the writing side closes.
        await s.readable.pipeTo(s.writable);
        await s.closed;
        return s;
      }
      return null;
    })();
    const s = await a.connect({ dstNodeId: 2, dstPort: 7000 });
    expect(s.remoteNodeId).toBe(2);
    expect(s.remotePort).toBe(7000);
    expect(s.localPort).toBeGreaterThanOrEqual(49152);
    const data = pattern(2_000_000);
    const [, back] = await Promise.all([writeAll(s, data), readAll(s)]);
    expect(sameBytes(back, data)).toBe(true);
    await s.closed;
    const st = s.stats();
    expect(st.bytesSent).toBe(2_000_000);
    expect(st.bytesReceived).toBe(2_000_000);
    expect(st.rttMs).not.toBeNull();
    expect(st.cwndBytes).toBeGreaterThan(0);
    expect((await server)?.stats().bytesReceived).toBe(2_000_000);
    listener.close();
  });

  it('CONNECTION_REFUSED without a listener, NO_ROUTE without a route, INVALID_ARGUMENT for bad ports', async () => {
    const { nodes } = await line(2);
    const [a] = nodes as [Dataplane, Dataplane];
    expect(await codeOf(a.connect({ dstNodeId: 2, dstPort: 7001 }))).toMatch(/^CONNECTION_REFUSED:/);
    expect(await codeOf(a.connect({ dstNodeId: 9, dstPort: 7001 }))).toMatch(/^NO_ROUTE:/);
    expect(await codeOf(a.connect({ dstNodeId: 2, dstPort: 0 }))).toMatch(/^INVALID_ARGUMENT:/);
    expect(await codeOf(a.connect({ dstNodeId: 2, dstPort: 70000 }))).toMatch(/^INVALID_ARGUMENT:/);
    expect(() => a.listen({ port: 0 })).toThrow(/port/);
    const l = a.listen({ port: 5 });
    expect(() => a.listen({ port: 5 })).toThrow(/in use/);
    l.close();
    a.listen({ port: 5 }).close();
  });

  it('abort resets the peer (CONNECTION_RESET); the aborting side sees ABORTED', async () => {
    const { nodes } = await line(2);
    const [a, b] = nodes as [Dataplane, Dataplane];
    const listener = b.listen({ port: 7002 });
    const accepted = listener.accept();
    const s = await a.connect({ dstNodeId: 2, dstPort: 7002 });
    const t = (await accepted)!;
    const reading = readAll(t);
    reading.catch(() => {});
    s.abort(new Error('test'));
    expect(await codeOf(reading)).toMatch(/^CONNECTION_RESET:/);
    expect(await codeOf(t.closed)).toMatch(/^CONNECTION_RESET:/);
    expect(await codeOf(s.closed)).toMatch(/^ABORTED:/);
    expect(await codeOf(s.writable.getWriter().write(new Uint8Array(1)))).toMatch(/^ABORTED:/);
  });

  it('a connect is aborted by its signal and bounded by timeoutMs', async () => {
    const { c, nodes } = await line(2, { links: [{ src_node_id: 1, dst_node_id: 2, loss: 1 }] });
    void c;
    const [a, b] = nodes as [Dataplane, Dataplane];
    b.listen({ port: 7003 });
    expect(await codeOf(a.connect({ dstNodeId: 2, dstPort: 7003, timeoutMs: 300 }))).toMatch(/^TIMEOUT:/);
    const ac = new AbortController();
    const p = a.connect({ dstNodeId: 2, dstPort: 7003, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    expect(await codeOf(p)).toMatch(/^ABORTED:/);
  });

  it('closing the node fails its streams with CLOSED and resets the peer', async () => {
    const { nodes } = await line(2);
    const [a, b] = nodes as [Dataplane, Dataplane];
    const listener = b.listen({ port: 7004 });
    const accepted = listener.accept();
    const s = await a.connect({ dstNodeId: 2, dstPort: 7004 });
    const t = (await accepted)!;
    const reading = readAll(t);
    reading.catch(() => {});
    await a.close();
    expect(await codeOf(s.closed)).toMatch(/^CLOSED:/);
    expect(await codeOf(reading)).toMatch(/^CONNECTION_RESET:/);
  });

  it('3 MB arrive intact over two hops with 5% loss each way and 20 ms delay', async () => {
    const lossy = { loss: 0.05, delay_ms: 20, bidirectional: true };
    const { nodes } = await line(3, {
      links: [
        { src_node_id: 1, dst_node_id: 2, ...lossy },
        { src_node_id: 2, dst_node_id: 3, ...lossy },
      ],
    });
    const [a, , z] = nodes as [Dataplane, Dataplane, Dataplane];
    const listener = z.listen({ port: 80 });
    const got = (async () => readAll((await listener.accept())!))();
    const s = await a.connect({ dstNodeId: 3, dstPort: 80 });
    const data = pattern(3_000_000, 7);
    await writeAll(s, data);
    expect(sameBytes(await got, data)).toBe(true);
    expect(s.stats().retransmits).toBeGreaterThan(0);
  }, 60_000);
});

describe('[stream] config', () => {
  it('is checked with the names users write, and applied (a small idle timeout ends a silent peer)', async () => {
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    cleanup.push(() => c.close());
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: c.url, stream: { keepalive_ms: 5000, idle_timeout_ms: 5000 } }))).toBe(
      'CONFIG_INVALID: node config.stream.keepalive_ms (5000) must be below idle_timeout_ms (5000)',
    );
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: c.url, stream: { idle_timeout_ms: 900 } }))).toMatch(/^CONFIG_INVALID: node config\.stream\.idle_timeout_ms \(900\) must be above keepalive_ms \(10000\)/);
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: c.url, stream: { recv_windw: 1 } as never }))).toMatch(/^CONFIG_INVALID: .*recv_windw/);
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: c.url, stream: { congestion: 'cubic' } as never }))).toBe('CONFIG_INVALID: node config.stream.congestion must be one of "model", "newreno", got "cubic"');
    const cfg = { stream: { keepalive_ms: 100, idle_timeout_ms: 400 } };
    const [a, b] = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, ...cfg })));
    cleanup.push(() => a!.close(), () => b!.close());
    expect(await a!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const listener = b!.listen({ port: 9 });
    const accepted = listener.accept();
    const s = await a!.connect({ dstNodeId: 2, dstPort: 9 });
    const t = (await accepted)!;
    // Keepalives hold a quiet connection open well past the idle timeout…
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.stats().bytesInFlight).toBe(0);
    // …until the peer's links go silent: then TIMEOUT after 400 ms.
    await c.setLink({ srcNodeId: 1, dstNodeId: 2, loss: 1, bidirectional: true });
    expect(await codeOf(s.closed)).toMatch(/^TIMEOUT:/);
    expect(await codeOf(t.closed)).toMatch(/^TIMEOUT:/);
  });
});
