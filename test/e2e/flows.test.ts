// Traffic flows from the controller (upstream's [[flows]]) on real UDP nodes on 127.0.0.1:
// config flows over a lossy emulated link, a Duration flow, startFlow/stopFlow at run time
// (in process and through the admin client), weights reaching the nodes, /metrics series,
// and results kept in a PGlite store across a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectController, Dataplane, startController, type ControllerConfig, type FlowResult } from 'nextmini';
import { openStore } from '../../ts/controller/store/open.js';
import { tempToml } from './harness.js';
import { ended, flowNetwork, flowsWhen, sleep } from './flow-network.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const network = (cfg: Partial<ControllerConfig>, n = 2) => flowNetwork(cleanup, cfg, n);

describe('traffic flows', () => {
  it('[[flows]]: a datagram and a lossless flow over a 5% lossy link both finish; metrics show bytes, loss and completion', async () => {
    const { c } = await network({
      links: [{ src_node_id: 1, dst_node_id: 2, loss: 0.05, seed: 7 }],
      flows: [
        { src_node_id: 1, dst_node_id: 2, flow_spec: { flow_len: { Bytes: 1_000_000 }, flow_rate: 4_000_000, transport: 'datagram' } },
        { src_node_id: 1, dst_node_id: 2, flow_spec: { flow_len: { Bytes: 2_000_000 }, flow_weight: 3, transport: 'lossless_unicast' } },
      ],
    });
    const fs = await flowsWhen(c, ended, 12_000);
    expect(fs.map((f) => f.state)).toEqual(['done', 'done']);
    const [dg, ll] = fs as [FlowResult, FlowResult];
    expect(dg.spec).toEqual({ src: 1, dst: 2, bytes: 1_000_000, rate: 4_000_000, weight: 1, transport: 'datagram' });
    expect(dg.bytesSent).toBe(1_000_000);
    expect(dg.packetsSent).toBe(Math.ceil(1_000_000 / 1024));
    expect(dg.packetsReceived).toBeLessThan(dg.packetsSent);
    expect(dg.loss!).toBeGreaterThan(0.01);
    expect(dg.loss!).toBeLessThan(0.12);
    expect(dg.loss!).toBeCloseTo(1 - dg.packetsReceived / dg.packetsSent, 10);
    expect(dg.bytesReceived).toBeGreaterThan(800_000);
    // 1 MB at 4 MB/s: about a quarter of a second of sending.
    expect(dg.durationMs!).toBeGreaterThan(150);
    expect(dg.durationMs!).toBeLessThan(3000);
    expect(dg.completionMs!).toBeGreaterThan(0);

    expect(ll.spec.transport).toBe('lossless');
    expect(ll.spec.weight).toBe(3);
    expect(ll.bytesReceived).toBe(2_000_000);
    expect(ll.bytesSent).toBe(2_000_000);
    expect(ll.loss).toBe(0);
    expect(ll.framesResent).toBeGreaterThan(0);
    expect(ll.completionMs!).toBeGreaterThan(0);

    // The same through metrics() and GET /metrics.
    const m = await c.metrics({ limit: 1 });
    expect(m.flows.map((f) => f.flowId)).toEqual([dg.flowId, ll.flowId]);
    const text = await (await fetch(c.url.replace('ws://', 'http://') + '/metrics')).text();
    expect(text).toContain(`nextmini_flow_bytes_sent_total{flow="${dg.flowId}",src="1",dst="2",transport="datagram"} 1000000`);
    expect(text).toContain(`nextmini_flow_bytes_received_total{flow="${ll.flowId}",src="1",dst="2",transport="lossless"} 2000000`);
    expect(text).toMatch(new RegExp(`nextmini_flow_loss_ratio\\{flow="${dg.flowId}",[^}]*\\} 0\\.\\d+`));
    expect(text).toContain(`nextmini_flow_state{flow="${ll.flowId}",src="1",dst="2",transport="lossless",state="done"} 1`);
  }, 20_000);

  // Upstream's example also sets scheduler_type = "fifo", a key of the queue-discipline item of
  // this issue, left out here until that lands.
  it("upstream's simple-flow controller file runs: a 10 MB lossless_unicast flow from node 1 to node 2 is delivered", async () => {
    const file = tempToml(
      'controller-config.toml',
      `port = 0
flow_transport = "lossless_unicast"

[topology]
type = "full_mesh"
full_mesh_config = { n_nodes = 4 }

[[routes]]
route = [1, 2]

[[routes]]
route = [2, 1]

[[flows]]
src_node_id = 1
dst_node_id = 2
flow_spec = { flow_len = { Bytes = 10_000_000 }, flow_weight = 1 }
`,
    );
    const c = await startController(file);
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2, 3, 4].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp' })));
    cleanup.push(() => Promise.all(nodes.map((x) => x.close())));
    const [f] = (await flowsWhen(c, ended, 12_000)) as [FlowResult];
    expect(f).toMatchObject({ state: 'done', spec: { src: 1, dst: 2, bytes: 10_000_000, weight: 1, transport: 'lossless' }, bytesSent: 10_000_000, bytesReceived: 10_000_000 });
    expect(f.completionMs!).toBeGreaterThan(0);
  }, 20_000);

  it('without [routing], a flow between nodes the [[routes]] do not join fails at once saying so (a lossless one needs routes both ways)', async () => {
    const file = tempToml(
      'controller-config.toml',
      `port = 0
[topology]
type = "full_mesh"
full_mesh_config = { n_nodes = 3 }

[[routes]]
route = [1, 2]

[[routes]]
route = [3, 1]

[[flows]]
src_node_id = 3
dst_node_id = 1
flow_spec = { flow_len = { Bytes = 100_000 } }

[[flows]]
src_node_id = 2
dst_node_id = 3
flow_spec = { flow_len = { Bytes = 100_000 }, flow_rate = 1_000_000, transport = "datagram" }
`,
    );
    const c = await startController(file);
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp' })));
    cleanup.push(() => Promise.all(nodes.map((x) => x.close())));
    const t0 = Date.now();
    const [lossless, datagram] = (await flowsWhen(c, ended, 12_000)) as [FlowResult, FlowResult];
    // A lossless session without a way back used to run ~10 s and end receiver_unreachable.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(lossless).toMatchObject({ state: 'failed', bytesSent: 0 });
    expect(lossless.reason).toMatch(/^no route from node 1 to node 3 \(a lossless flow needs routes both ways: its receiver reports back\): the controller computes no routes \(its config file has no \[routing\], or protocol = "explicit"\), so only \[\[routes\]\] and run-time routes exist; add \[routing\] protocol = "shortest_path", a \[\[routes\]\] entry, or controller\.setRoutes before starting the flow/);
    expect(datagram).toMatchObject({ state: 'failed', bytesSent: 0 });
    expect(datagram.reason).toMatch(/^no route from node 2 to node 3: the controller computes no routes/);
  }, 20_000);

  it('a pending flow says what it waits for: an end that has not connected, or a neighbour of its ends', async () => {
    const c = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 4 } }, flows: [{ src_node_id: 1, dst_node_id: 2, flow_spec: { flow_len: { Bytes: 100_000 } } }] });
    cleanup.push(() => c.close());
    expect(c.flows()[0]).toMatchObject({ state: 'pending', reason: 'waiting for nodes 1, 2 to connect' });
    const nodes = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp' })));
    cleanup.push(() => Promise.all(nodes.map((x) => x.close())));
    await sleep(500);
    // Nodes 1 and 2 are both here, yet the flow waits: their links to 3 and 4 are not up.
    expect(c.flows()[0]).toMatchObject({ state: 'pending', reason: 'waiting for nodes 3, 4 to connect: a flow starts once both its nodes have all their links up, and nodes 1 and 2 have links to them' });
    expect((await c.metrics({ limit: 0 })).flows[0]!.reason).toMatch(/^waiting for nodes 3, 4 to connect/);
  });

  it('a [[flows]] entry naming a node outside the topology is CONFIG_INVALID', async () => {
    const flows = [{ src_node_id: 1, dst_node_id: 9, flow_spec: { flow_len: { Bytes: 5 } } }];
    await expect(startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, flows })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/controller config\.flows\[0\]\.dst_node_id is node 9, which is not in the topology \(nodes are 1, 2\)/),
    });
  });

  it('a Duration flow stops after about its duration', async () => {
    const { c } = await network({ flows: [{ src_node_id: 2, dst_node_id: 1, flow_spec: { flow_len: { Duration: 1000 }, flow_rate: 300_000, transport: 'datagram' } }] });
    const [f] = (await flowsWhen(c, ended, 8000)) as [FlowResult];
    expect(f.state).toBe('done');
    expect(f.durationMs!).toBeGreaterThan(900);
    expect(f.durationMs!).toBeLessThan(2000);
    // 300 kB/s for 1 s, give or take the timers of a loaded machine.
    expect(f.bytesSent).toBeGreaterThan(150_000);
    expect(f.bytesSent).toBeLessThan(340_000);
    expect(f.loss).toBe(0);
  }, 15_000);

  it('flow_weight reaches the WRR queues: two flows over one wrr bottleneck split it by their weights', async () => {
    // A line 1 - 2 - 3: flows 1 -> 2 (weight 1) and 1 -> 3 (weight 3) both cross the link 1 -> 2,
    // each offering twice that link's rate, so its queue decides who gets through.
    const c = await startController({
      port: 0,
      topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] },
      links: [{ src_node_id: 1, dst_node_id: 2, rate: 300_000, bucket_size: 2000, queue_limit_packets: 40, scheduler: 'wrr' }],
      flows: [
        { src_node_id: 1, dst_node_id: 2, flow_spec: { flow_len: { Duration: 2000 }, flow_rate: 600_000, flow_weight: 1, transport: 'datagram' } },
        { src_node_id: 1, dst_node_id: 3, flow_spec: { flow_len: { Duration: 2000 }, flow_rate: 600_000, flow_weight: 3, transport: 'datagram' } },
      ],
    });
    cleanup.push(() => c.close());
    const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, protocol: 'udp' })));
    cleanup.push(() => Promise.all(nodes.map((x) => x.close())));
    const [light, heavy] = (await flowsWhen(c, ended, 12_000)) as [FlowResult, FlowResult];
    expect([light.state, heavy.state]).toEqual(['done', 'done']);
    // Without the weights in the queue the two would share about equally (ratio near 1).
    const ratio = heavy.bytesReceived / light.bytesReceived;
    expect(ratio, `1 -> 3 got ${heavy.bytesReceived} bytes, 1 -> 2 got ${light.bytesReceived}`).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(4.5);
  }, 20_000);

  it('startFlow and stopFlow at run time, in process and through the admin client; weights reach every node', async () => {
    const { c, nodes } = await network({}, 3);
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    // The flow port is the flows' own: an application cannot take it, and flow datagrams never reach one.
    expect(() => nodes[2]!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 65535, dstPort: 65535 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/port 65535 is reserved for the controller's traffic flows/) }));
    const app = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1 });
    const id = await c.startFlow({ src: 1, dst: 3, durationMs: 30_000, rate: 200_000, transport: 'datagram', weight: 5 });
    await flowsWhen(c, (f) => f.state === 'running');
    // Every node holds the running flow's weight (the one place WRR queues will take it from).
    for (const n of nodes) await expect.poll(() => n.flowWeights, { timeout: 3000 }).toEqual([{ src: 1, dst: 3, weight: 5 }]);
    await sleep(600);
    await c.stopFlow(id);
    const [f] = (await flowsWhen(c, (x) => x.state === 'stopped' && x.endedAtMs !== null && x.bytesReceived === x.bytesSent, 5000)) as [FlowResult];
    expect(f.state).toBe('stopped');
    expect(f.reason).toMatch(/stopFlow/);
    expect(f.bytesSent).toBeGreaterThan(50_000);
    expect(f.bytesSent).toBeLessThan(400_000);
    expect(f.bytesReceived).toBe(f.bytesSent);
    expect(await app.recv({ timeoutMs: 10 })).toBeNull();
    expect(nodes[2]!.stats().drops.no_receiver).toBe(0);
    // Ended flows carry no weight.
    for (const n of nodes) await expect.poll(() => n.flowWeights, { timeout: 3000 }).toEqual([]);
    await c.stopFlow(id); // already ended: nothing changes

    await expect(c.stopFlow(99)).rejects.toMatchObject({ code: 'UNKNOWN_FLOW', message: expect.stringMatching(/no flow 99 \(flows are 1\)/) });
    await expect(c.startFlow({ src: 1, dst: 9, bytes: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/dst is node 9, which is not in the topology \(nodes are 1, 2, 3\)/) });
    await expect(c.startFlow({ src: 1, dst: 1, bytes: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/dst/) });
    await expect(c.startFlow({ src: 1, dst: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/bytes or durationMs needs exactly one length/) });
    await expect(c.startFlow({ src: 1, dst: 2, bytes: 10, transport: 'datagram' })).rejects.toMatchObject({ message: expect.stringMatching(/startFlow: rate is required/) });
    await expect(c.startFlow({ src: 1, dst: 2, durationMs: 10 })).rejects.toMatchObject({ message: expect.stringMatching(/startFlow: rate is required/) });
    await expect(c.startFlow({ src: 1, dst: 2, bytes: 10, transport: 'quic' as never })).rejects.toMatchObject({ message: expect.stringMatching(/transport must be one of "datagram", "lossless", "stream", "lossless_unicast", "tcp", got "quic"/) });
    await expect(c.startFlow({ src: 1, dst: 2, bytes: 10, weight: 0 })).rejects.toMatchObject({ message: expect.stringMatching(/weight must be a whole number from 1/) });
    await expect(c.startFlow({ src: 1, dst: 2, bytes: 10, size: 3 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/size/) });
    // No argument at all (plain JavaScript) is refused the same way, not a TypeError.
    for (const none of [undefined, null]) {
      await expect(c.startFlow(none as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^startFlow: .*\{ src, dst, bytes\? \| durationMs\?, rate\?, weight\?, transport\? \}/) });
    }

    // The admin client mirrors startFlow / stopFlow / metrics().flows.
    const admin = await connectController(c.url);
    cleanup.push(() => admin.close());
    const id2 = await admin.startFlow({ src: 2, dst: 3, bytes: 300_000 });
    expect(id2).toBe(id + 1);
    const done = await flowsWhen(admin, (x) => ended(x), 8000);
    expect(done[1]).toMatchObject({ flowId: id2, state: 'done', bytesReceived: 300_000, spec: { transport: 'lossless' } });
    expect((await admin.metrics({ limit: 0 })).flows).toHaveLength(2);
    await expect(admin.stopFlow(42)).rejects.toMatchObject({ code: 'UNKNOWN_FLOW' });
  }, 25_000);

  it('a flow whose sink leaves fails, naming it, and its source stops sending; a lossless Duration flow sends rate × duration', async () => {
    const { c, nodes } = await network({ links: [{ src_node_id: 1, dst_node_id: 3, rate: 2_000_000 }] }, 4);
    const id = await c.startFlow({ src: 1, dst: 2, durationMs: 30_000, rate: 200_000, transport: 'datagram' });
    await flowsWhen(c, (f) => f.state === 'running' && f.bytesReceived > 0);
    await nodes[1]!.close();
    const [f] = (await flowsWhen(c, ended, 5000)) as [FlowResult];
    expect(f).toMatchObject({ flowId: id, state: 'failed', reason: 'node 2 disconnected from the controller' });
    await sleep(300); // the source's flow-stop arrives
    const before = nodes[0]!.stats().messagesSent;
    await sleep(300);
    expect(nodes[0]!.stats().messagesSent).toBe(before);

    // A lossless source whose sink leaves is told to stop: its session ends at once, not at its timeout.
    const id3 = await c.startFlow({ src: 1, dst: 3, bytes: 50_000_000 });
    await flowsWhen(c, (x) => x.flowId !== id3 || (x.state === 'running' && x.bytesReceived > 0));
    expect(nodes[0]!.stats().sessions.active).toBe(1);
    await nodes[2]!.close();
    await expect.poll(() => nodes[0]!.stats().sessions.active, { timeout: 1000 }).toBe(0);
    expect((await c.flows())[1]).toMatchObject({ flowId: id3, state: 'failed', reason: 'node 3 disconnected from the controller' });

    const id2 = await c.startFlow({ src: 4, dst: 1, durationMs: 500, rate: 400_000 });
    const fs = await flowsWhen(c, ended, 8000);
    expect(fs[2]).toMatchObject({ flowId: id2, state: 'done', bytesSent: 200_000, bytesReceived: 200_000, spec: { transport: 'lossless', durationMs: 500, rate: 400_000 } });
  }, 20_000);

  it('flow results are stored, and a restarted controller still lists them (PGlite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-flows-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const cfg = { db: { path: join(dir, 'db') }, flows: [{ src_node_id: 1, dst_node_id: 2, flow_spec: { flow_len: { Bytes: 200_000 }, flow_rate: 2_000_000, transport: 'datagram' as const } }] };
    const { c, nodes } = await network(cfg);
    const [f] = (await flowsWhen(c, ended)) as [FlowResult];
    expect(f.state).toBe('done');
    await Promise.all(nodes.map((n) => n.close()));
    await c.close();
    const store = await openStore({ path: join(dir, 'db') });
    try {
      expect(await store.loadFlows()).toEqual([f]);
    } finally {
      await store.close();
    }
    // Started again on the same store: the old flow is listed as it ended, the config's flow is
    // added again after it (pending: no node is connected).
    const again = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } }, ...cfg });
    cleanup.push(() => again.close());
    expect(again.flows()).toEqual([f, expect.objectContaining({ flowId: f.flowId + 1, state: 'pending' })]);
  }, 20_000);
});
