// Upstream nextmini's style of config, end to end: the controller and node TOML files in
// test/fixtures/upstream/ are written as upstream's documented examples write theirs (ports as
// strings, the `topology` alias, no [routing] beside [[routes]], `node_id = 0`, [[link_rates]],
// [[flows]], [lossless_runtime_config] with upstream's defaults). Copied as they are, with only
// the controller's port changed, they load, form a network, run the documented flows, and carry
// the seed's three examples, the lossless one written with upstream's `blockSize`.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dataplane, PacketView, startController, type Controller, type FlowResult } from 'nextmini';
import { runSeedScript } from './harness.js';
import { payloadFor } from './payload.mjs';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/upstream/${name}`, import.meta.url)), 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await Promise.resolve(f()).catch(() => {});
});

/**
 * Starts a controller from the fixture (on a free port: `port = "0"` replaces `"3000"`) and
 * writes the node files beside it with controller_addr pointing there. Returns their paths.
 */
async function upstreamNetwork(): Promise<{ c: Controller; source: string; receiver: string; warnings: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'nextmini-upstream-'));
  const warnings: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void warnings.push(a.map(String).join(' ')));
  cleanup.push(() => spy.mockRestore());
  const controllerToml = fixture('controller.toml');
  expect(controllerToml).toContain('port = "3000"');
  writeFileSync(join(dir, 'controller.toml'), controllerToml.replace('port = "3000"', 'port = "0"'));
  const c = await startController(join(dir, 'controller.toml'));
  cleanup.push(() => c.close());
  const paths = ['source-node.toml', 'receiver-node.toml'].map((name) => {
    const text = fixture(name);
    expect(text).toContain('controller_addr = "ws://127.0.0.1:3000"');
    writeFileSync(join(dir, name), text.replace('ws://127.0.0.1:3000', c.url));
    return join(dir, name);
  });
  return { c, source: paths[0]!, receiver: paths[1]!, warnings };
}

async function open(path: string): Promise<Dataplane> {
  const dp = await Dataplane.open(path);
  cleanup.push(() => dp.close());
  return dp;
}

const ended = (f: FlowResult) => f.state === 'done' || f.state === 'stopped' || f.state === 'failed';

describe("upstream nextmini's style of config files", () => {
  it('load, assign ids to node_id = 0, install only the [[routes]], and deliver the [[flows]]', async () => {
    const { c, source, receiver, warnings } = await upstreamNetwork();
    const src = await open(source);
    const r1 = await open(receiver);
    const r2 = await open(receiver);
    // node_id = 0 with node_id_offset = 1: the controller hands out 2 and 3.
    expect(src.nodeId).toBe(1);
    expect([r1.nodeId, r2.nodeId].sort()).toEqual([2, 3]);
    // Receivers bind 0.0.0.0; peers are told the address the controller saw, not 0.0.0.0.
    expect(r1.getNetworkInfo().publicNetworkAddr).toBe('127.0.0.1');
    // The documented traffic: 2 MB lossless (upstream's flow_transport) 1 -> 2, 500 kB datagram 3 -> 1,
    // and 1 MB over upstream's "tcp" 1 -> 3, which runs over a stream.
    const deadline = Date.now() + 20_000;
    let flows = await c.flows();
    while (!(flows.length === 3 && flows.every(ended)) && Date.now() < deadline) {
      await sleep(100);
      flows = await c.flows();
    }
    expect(flows.map((f) => [f.spec.src, f.spec.dst, f.spec.transport, f.state])).toEqual([
      [1, 2, 'lossless', 'done'],
      [3, 1, 'datagram', 'done'],
      [1, 3, 'stream', 'done'],
    ]);
    expect(flows[2]!.bytesReceived).toBe(1_000_000);
    expect(flows[0]!.bytesReceived).toBe(2_000_000);
    expect(flows[1]!.bytesSent).toBe(500_000);
    expect(flows[1]!.bytesReceived).toBe(500_000);
    // No [routing]: only the [[routes]] are installed, and none joins 2 and 3.
    const two = [r1, r2].find((n) => n.nodeId === 2)!;
    await expect(two.sendToNode({ dstNodeId: 3, frozen: new PacketView(new Uint8Array([1])) })).rejects.toMatchObject({ code: 'NO_ROUTE' });
    // The link rate and upstream's scheduler_type reached the link 1 -> 2.
    expect(c.getLink(1, 2)).toMatchObject({ rate: 50_000_000, bucket_size: 500_000, scheduler: 'wrr' });
    // Upstream's keys with no effect here warn, naming them; nothing else is refused.
    expect(warnings.join('\n')).toMatch(/feature.*num_packet_processors|num_packet_processors.*feature/s);
  }, 40_000);

  it("the seed's unicast example runs on them", async () => {
    const { source, receiver } = await upstreamNetwork();
    const src = await open(source);
    const dst = await open(receiver);
    await open(receiver); // the topology's third node: it is ready once all three are up
    expect(await src.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const rx = dst.registerReceiverFromNode({ srcNodeId: 1, srcPort: 40000, dstPort: 50000 });
    await src.sendToNode({ dstNodeId: dst.nodeId, frozen: new PacketView(new TextEncoder().encode('hello')), srcPort: 40000, dstPort: 50000 });
    const delivery = await rx.recv({ timeoutMs: 5000 });
    expect(delivery).toMatchObject({ srcIp: '192.168.0.1', srcPort: 40000 });
    expect(new TextDecoder().decode(delivery!.payload)).toBe('hello');
  }, 30_000);

  const stop: (() => void)[] = [];
  afterEach(() => {
    for (const s of stop.splice(0)) s();
  });

  it("the seed's multicast example runs on them, each node in its own process", async () => {
    const { source, receiver } = await upstreamNetwork();
    const receivers = [runSeedScript('multicast-receiver.mjs', [receiver], stop), runSeedScript('multicast-receiver.mjs', [receiver], stop)];
    const src = runSeedScript('multicast-source.mjs', [source], stop);
    const outs = await Promise.all(receivers.map((r) => r.done));
    src.kill();
    expect(JSON.parse(await src.done)).toMatchObject({ role: 'source', groupId: 1, srcNodeId: 1 });
    const got = outs.map((o) => JSON.parse(o));
    expect(got.map((g) => g.nodeId).sort()).toEqual([2, 3]);
    for (const g of got) expect(g.text).toMatch(/^hello group #\d+$/);
  }, 60_000);

  it("the seed's lossless example runs on them with upstream's blockSize, FEC off as upstream's defaults say", async () => {
    const { source, receiver } = await upstreamNetwork();
    const receivers = [runSeedScript('lossless-receiver.mjs', [receiver, 'blockSize'], stop), runSeedScript('lossless-receiver.mjs', [receiver, 'blockSize'], stop)];
    const src = runSeedScript('lossless-source.mjs', [source, 'blockSize'], stop);
    const [a, b, s] = await Promise.all([...receivers.map((r) => r.done), src.done]);
    expect(JSON.parse(s!.trim())).toMatchObject({ role: 'source', groupId: 1, completed: true });
    const expected = createHash('sha256').update(payloadFor(1_024_000, 2024)).digest('hex');
    const got = [a!, b!].map((o) => JSON.parse(o.trim()));
    expect(got.map((g) => g.nodeId).sort()).toEqual([2, 3]);
    for (const g of got) expect(g).toMatchObject({ role: 'receiver', length: 1_024_000, sha256: expected });
  }, 90_000);
});
