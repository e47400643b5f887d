// Controller flows over reliable streams (transport "stream", upstream's "tcp") on real UDP
// nodes on 127.0.0.1: a Bytes flow delivers exactly its bytes, a Duration flow with a rate
// sends about rate × duration (and without one as fast as the stream goes), stopFlow aborts
// the source's stream, and the flows' stream port is not the application's.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectController, type Controller, type ControllerConfig, type FlowResult } from 'nextmini';
import { openStore } from '../../ts/controller/store/open.js';
import { ended, flowNetwork, flowsWhen, sleep } from './flow-network.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const network = (cfg: Partial<ControllerConfig>, n = 2) => flowNetwork(cleanup, cfg, n);

describe('stream flows', () => {
  it('a Bytes flow ("tcp" and "stream") delivers exactly its bytes over a stream; results are stored; port 65535 is not the application\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-stream-flows-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    // A lossy link: the stream resends, and framesResent counts it.
    const { c, nodes } = await network({ db: { path: join(dir, 'db') }, links: [{ src_node_id: 1, dst_node_id: 2, loss: 0.02, seed: 5 }], flows: [{ src_node_id: 1, dst_node_id: 2, flow_spec: { flow_len: { Bytes: 3_000_000 }, transport: 'tcp' } }] });
    expect(() => nodes[1]!.listen({ port: 65535 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/listen: stream port 65535 is reserved for the controller's traffic flows .*choose another/) }));
    // A stream to the flow port that is not a flow (no flow header) is reset, not counted.
    await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 });
    const stray = await nodes[0]!.connect({ dstNodeId: 2, dstPort: 65535 });
    const w = stray.writable.getWriter();
    await w.write(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    await expect(stray.closed).rejects.toMatchObject({ code: 'CONNECTION_RESET' });
    const [f] = (await flowsWhen(c, ended)) as [FlowResult];
    expect(f).toMatchObject({ state: 'done', reason: '', bytesSent: 3_000_000, bytesReceived: 3_000_000, loss: 0, spec: { transport: 'stream', bytes: 3_000_000 } });
    expect(f.durationMs!).toBeGreaterThan(0);
    expect(f.completionMs).toBe(f.durationMs);
    expect(f.framesResent).toBeGreaterThan(0);
    // A second one, from the other side, started at run time with our name.
    const id = await c.startFlow({ src: 2, dst: 1, bytes: 100_001, transport: 'stream' });
    const fs = await flowsWhen(c, ended);
    expect(fs[1]).toMatchObject({ flowId: id, state: 'done', bytesSent: 100_001, bytesReceived: 100_001, spec: { transport: 'stream' } });
    await Promise.all(nodes.map((n) => n.close()));
    await c.close();
    const store = await openStore({ path: join(dir, 'db') });
    try {
      expect((await store.loadFlows()).map((x) => [x.spec.transport, x.state, x.bytesReceived])).toEqual([
        ['stream', 'done', 3_000_000],
        ['stream', 'done', 100_001],
      ]);
    } finally {
      await store.close();
    }
  }, 25_000);

  it('a Duration flow with a rate sends about rate × duration; without a rate it goes as fast as the stream allows', async () => {
    const { c } = await network({ flows: [{ src_node_id: 2, dst_node_id: 1, flow_spec: { flow_len: { Duration: 1000 }, flow_rate: 300_000, transport: 'stream' } }] });
    const [f] = (await flowsWhen(c, ended, 8000)) as [FlowResult];
    expect(f.state).toBe('done');
    expect(f.durationMs!).toBeGreaterThan(900);
    expect(f.durationMs!).toBeLessThan(2500);
    // 300 kB/s for 1 s, give or take the timers of a loaded machine.
    expect(f.bytesSent).toBeGreaterThan(150_000);
    expect(f.bytesSent).toBeLessThan(360_000);
    expect(f.bytesReceived).toBe(f.bytesSent);
    expect(f.loss).toBe(0);
    // Through the admin client (what `nextmini admin start-flow --transport stream` calls).
    const admin = await connectController(c.url);
    cleanup.push(() => admin.close());
    const id = await admin.startFlow({ src: 1, dst: 2, durationMs: 400, transport: 'stream' });
    const fs = await flowsWhen(c, ended, 8000);
    expect(fs[1]).toMatchObject({ flowId: id, state: 'done', spec: { transport: 'stream', durationMs: 400 } });
    expect(fs[1]!.spec.rate).toBeUndefined();
    expect(fs[1]!.bytesSent).toBeGreaterThan(400_000);
    expect(fs[1]!.bytesReceived).toBe(fs[1]!.bytesSent);
  }, 20_000);

  it('stopFlow aborts the source\'s stream: the flow ends stopped and nothing more is sent', async () => {
    const { c, nodes } = await network({});
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const id = await c.startFlow({ src: 1, dst: 2, durationMs: 30_000, rate: 200_000, transport: 'stream' });
    await flowsWhen(c, (f) => f.state === 'running' && f.bytesReceived > 0);
    await sleep(600);
    await c.stopFlow(id);
    await sleep(800);
    const [f] = c.flows() as [FlowResult];
    expect(f.state).toBe('stopped');
    expect(f.reason).toMatch(/stopFlow/);
    expect(f.bytesSent).toBeGreaterThan(50_000);
    expect(f.bytesSent).toBeLessThan(400_000);
    expect(f.bytesReceived).toBeGreaterThan(0);
    expect(f.bytesReceived).toBeLessThanOrEqual(f.bytesSent);
    const sent = f.bytesSent;
    await sleep(600);
    expect(c.flows()[0]!.bytesSent).toBe(sent);
    // The same flow's sink is ready for the next one: a new flow to the same node completes.
    const id2 = await c.startFlow({ src: 1, dst: 2, bytes: 50_000, transport: 'stream' });
    const fs = await flowsWhen(c, ended, 8000);
    expect(fs[1]).toMatchObject({ flowId: id2, state: 'done', bytesReceived: 50_000 });
  }, 20_000);
});
