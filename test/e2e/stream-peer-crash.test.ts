// A peer node process killed (SIGKILL) in the middle of a transfer, and a connect given up
// mid-handshake: the surviving side's stream fails with a code (never hangs), its stalled
// write rejects, and nothing is left half-open on the listener.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { Dataplane, startController, startNetwork } from 'nextmini';
import { codeOf, runCli, tempToml, within } from './harness.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await Promise.resolve(f()).catch(() => {});
});


describe('a peer that dies, a connect given up', () => {
  it('SIGKILL of the exposing node mid-transfer: the writer side fails with TIMEOUT within the idle timeout, its write rejects', async () => {
    // A TCP sink that reads slowly, so the transfer is still going when the node dies.
    const sink = createServer((s) => {
      s.on('error', () => {});
      s.pause();
      const t = setInterval(() => s.read(), 50);
      s.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => sink.close(() => r())));
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    cleanup.push(() => c.close());
    const n1 = await Dataplane.open({ node_id: 1, controller_addr: c.url, stream: { keepalive_ms: 300, idle_timeout_ms: 1500 } });
    cleanup.push(() => n1.close());
    const cfg = tempToml('n2.toml', `node_id = 2\ncontroller_addr = "${c.url}"\n`);
    const { child } = await runCli(['node', '--config', cfg, '--expose', `80=${(sink.address() as { port: number }).port}`], /topology ready/);
    cleanup.push(() => void child.kill('SIGKILL'));
    expect(await n1.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const s = await n1.connect({ dstNodeId: 2, dstPort: 80 });
    const w = s.writable.getWriter();
    const writing = codeOf(w.write(new Uint8Array(50_000_000)));
    await new Promise((r) => setTimeout(r, 300));
    expect(s.stats().bytesSent).toBeGreaterThan(0);
    child.kill('SIGKILL');
    const t0 = Date.now();
    expect(await within(codeOf(s.closed), 6000)).toMatch(/^(TIMEOUT|CONNECTION_RESET|PEER_DOWN): /);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await within(writing, 1000)).toMatch(/^(TIMEOUT|CONNECTION_RESET|PEER_DOWN): /);
  });

  it('a connect aborted mid-handshake (300 ms link) rejects ABORTED at once and the listener never gets a stream', async () => {
    const net = await startNetwork(
      { topology: { n_nodes: 2, edges: [[1, 2]] }, links: [{ src_node_id: 1, dst_node_id: 2, delay_ms: 300, bidirectional: true }] },
      { protocol: 'memory' },
    );
    cleanup.push(() => net.close());
    expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
    const l = net.node(2).listen({ port: 80 });
    const ac = new AbortController();
    const p = codeOf(net.node(1).connect({ dstNodeId: 2, dstPort: 80, signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('user gave up')), 50);
    const t0 = Date.now();
    expect(await within(p, 2000)).toMatch(/^ABORTED: connect to node 2 port 80 aborted/);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(await within(l.accept(), 1500)).toBe('hung');
    // A timeout shorter than the round trip: TIMEOUT, and again nothing accepted.
    expect(await within(codeOf(net.node(1).connect({ dstNodeId: 2, dstPort: 80, timeoutMs: 100 })), 2000)).toMatch(/^TIMEOUT: /);
    expect(await within(l.accept(), 1500)).toBe('hung');
    l.close();
  });
});
