// An unmodified TCP client and server across the emulated network: Debian's curl fetches
// 10 MiB from a node:http server through forward() on node 1 and expose() on node 3, over two
// hops with 5% loss and 20 ms delay each way. The bytes are checked by SHA-256.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataplane, startController, forward, expose } from 'nextmini';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await Promise.resolve(f()).catch(() => {});
});

function body(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function httpServer(payload: Buffer): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/blob') {
      res.writeHead(404).end('not here\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': payload.length });
    res.end(payload);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 150_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('forwarding unmodified TCP applications', () => {
  it('curl fetches 10 MiB through two lossy, delayed hops, byte for byte', async () => {
    const payload = body(10 * 1024 * 1024);
    const { server, port: httpPort } = await httpServer(payload);
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const lossy = { loss: 0.05, delay_ms: 20, bidirectional: true };
    const c = await startController({
      port: 0,
      topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] },
      links: [
        { src_node_id: 1, dst_node_id: 2, ...lossy },
        { src_node_id: 2, dst_node_id: 3, ...lossy },
      ],
    });
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url })));
    for (const d of nodes) cleanup.push(() => d.close());
    for (const d of nodes) expect(await d.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const [n1, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
    const ex = expose({ dataplane: n3, port: 80, target: { port: httpPort } });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: n1, listen: 0, to: { nodeId: 3, port: 80 } });
    cleanup.push(() => fw.close());

    const dir = mkdtempSync(join(tmpdir(), 'nextmini-curl-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'blob');
    const t0 = performance.now();
    const r = await curl(['-sS', '--max-time', '140', '-o', out, '-w', '%{http_code} %{size_download}', `http://127.0.0.1:${fw.address.port}/blob`]);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`200 ${payload.length}`);
    const got = readFileSync(out);
    expect(got.length).toBe(payload.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    // It went through the lossy path: node 2 forwarded it, and the links dropped some of it.
    expect(n2.stats().packetsForwarded).toBeGreaterThan(7000);
    const dropped = n2.stats().links.reduce((s, l) => s + l.dropsLoss, 0) + n3.stats().links.reduce((s, l) => s + l.dropsLoss, 0);
    expect(dropped).toBeGreaterThan(100);
    expect(fw.stats()).toMatchObject({ connections: 1, failed: 0, bytesFromNetwork: expect.any(Number) });
    expect(fw.stats().bytesFromNetwork).toBeGreaterThan(payload.length);
    console.log(`curl: 10 MiB through 2 hops (5% loss, 20 ms each way) in ${seconds.toFixed(1)} s (${(payload.length / seconds / 1e6).toFixed(2)} MB/s); ${dropped} datagrams lost on the links`);
    // A 404 and a second connection through the same forwarder.
    const again = await curl(['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${fw.address.port}/nothing`]);
    expect(again.stdout).toBe('404');
    await new Promise((r) => setTimeout(r, 100));
    expect(fw.stats().connections).toBe(2);
  }, 180_000);

  it('a forward to a port nobody exposes closes the client connection and counts a failure', async () => {
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url })));
    for (const d of nodes) cleanup.push(() => d.close());
    for (const d of nodes) expect(await d.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const fw = await forward({ dataplane: nodes[0]!, listen: 0, to: { nodeId: 2, port: 81 } });
    cleanup.push(() => fw.close());
    const r = await curl(['-sS', '--max-time', '10', `http://127.0.0.1:${fw.address.port}/`]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(28); // not a timeout: the connection was closed at once
    expect(fw.stats()).toMatchObject({ connections: 1, failed: 1 });
    expect(fw.stats().lastError).toMatch(/refused/);
  });

  it('an exposed target that refuses resets the stream, and the TCP client sees its connection closed', async () => {
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url })));
    for (const d of nodes) cleanup.push(() => d.close());
    for (const d of nodes) expect(await d.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    // A port with nothing listening: bind one and close it.
    const { server, port: dead } = await httpServer(Buffer.alloc(0));
    await new Promise<void>((r) => server.close(() => r()));
    const ex = expose({ dataplane: nodes[1]!, port: 82, target: dead });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: nodes[0]!, listen: 0, to: { nodeId: 2, port: 82 } });
    cleanup.push(() => fw.close());
    const r = await curl(['-sS', '--max-time', '10', `http://127.0.0.1:${fw.address.port}/`]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(28);
    await new Promise((r2) => setTimeout(r2, 200));
    expect(ex.stats().failed).toBe(1);
    expect(ex.stats().lastError).toMatch(/ECONNREFUSED/);
  });
});
