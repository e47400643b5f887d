// Issue 16: upstream's [lossless_runtime_config]. A file setting upstream's defaults gets
// exactly them (ready grace, FEC off, 32 symbols per block); upstream's bounds on symbols per
// block and symbol size clamp the manifest; its multi-tree FEC keys warn once, saying why.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dataplane, PacketView, startController, type Controller } from 'nextmini';
import { codeOf, tempToml } from './harness.js';
import { payloadFor } from './payload.mjs';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(): Promise<Controller> {
  const c = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 2 } } });
  cleanup.push(() => c.close());
  return c;
}

/** Node `id` from a TOML file with `lossless` as its [lossless_runtime_config] body. */
async function node(c: Controller, id: number, lossless: string): Promise<Dataplane> {
  const text = `node_id = ${id}\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n\n[lossless_runtime_config]\n${lossless}\n`;
  const dp = await Dataplane.open(tempToml(`n${id}.toml`, text));
  cleanup.push(() => dp.close());
  return dp;
}

/** Sends 200 kB from a to b (b receiving) and returns the sender's manifest. */
async function manifestOf(a: Dataplane, b: Dataplane, call: { chunkSize?: number } = {}) {
  const data = payloadFor(200_000, 7);
  const dest = b.getNetworkInfo().userSpaceAddress;
  const r = b.receiveData({ destIp: dest, sourceNodeId: a.nodeId, expectedBytes: data.length });
  const s = a.sendData({ destIp: dest, receiverIds: [b.nodeId], buffer: new PacketView(data), ...call });
  expect(await a.losslessWait(s, { timeoutMs: 15_000 })).toBe(true);
  expect(Buffer.from(b.getDataBuffer(r).read()).equals(data)).toBe(true);
  return a.sessionProgress(s).manifest;
}

/** ms until a sender whose receiver never registers starts its first pass (bytesSent > 0). */
async function firstPassAfter(a: Dataplane, b: Dataplane): Promise<number> {
  const t0 = performance.now();
  const s = a.sendData({ destIp: b.getNetworkInfo().userSpaceAddress, receiverIds: [b.nodeId], buffer: new PacketView(new Uint8Array(50_000)) });
  while (a.sessionProgress(s).bytesSent === 0) {
    if (performance.now() - t0 > 10_000) throw new Error('no first pass in 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = performance.now() - t0;
  a.cancelSession(s);
  return ms;
}

describe('[lossless_runtime_config] from upstream', () => {
  it("upstream's defaults, set: ready_grace_ms 1500, fec_enabled false, 32 symbols per block", async () => {
    const c = await controller();
    const a = await node(c, 1, 'ready_grace_ms = 1500\nfec_enabled = false\nfec_default_symbols_per_block = 32');
    const b = await node(c, 2, 'fec_enabled = true\nfec_default_symbols_per_block = 32');
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    expect((await manifestOf(a, b))?.fec).toBe(false);
    expect(await manifestOf(b, a)).toMatchObject({ fec: true, symbolsPerBlock: 32 });
    // The grace: node 1 waits its 1500 ms for a receiver that never registers; node 2 its 200.
    const slow = await firstPassAfter(a, b);
    expect(slow).toBeGreaterThanOrEqual(1400);
    expect(slow).toBeLessThan(4000);
    const fast = await firstPassAfter(b, a);
    expect(fast).toBeLessThan(1000);
  });

  it('our defaults when unset: FEC on, 128 symbols per block', async () => {
    const c = await controller();
    const a = await node(c, 1, '');
    const b = await node(c, 2, '');
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    expect(await manifestOf(a, b)).toMatchObject({ fec: true, symbolsPerBlock: 128 });
  });

  it("upstream's bounds clamp symbols per block and symbol size; fixed symbol size pins the chunk", async () => {
    const c = await controller();
    const a = await node(c, 1, 'fec_default_symbols_per_block = 128\nfec_symbols_per_block_min = 1\nfec_symbols_per_block_max = 64\nfec_symbol_size_min = 1\nfec_symbol_size_max = 500');
    const b = await node(c, 2, 'fec_symbol_size_policy = "fixed"\nfec_default_symbol_size = 700\nfec_symbols_per_block_min = 200');
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    expect(await manifestOf(a, b)).toEqual({ fec: true, symbolsPerBlock: 64, chunkSize: 500 });
    expect(await manifestOf(a, b, { chunkSize: 300 })).toMatchObject({ chunkSize: 300 });
    expect(await manifestOf(b, a, { chunkSize: 1000 })).toEqual({ fec: true, symbolsPerBlock: 200, chunkSize: 700 });
  });

  it("upstream's documented example table loads; its multi-tree keys warn once, naming them and why", async () => {
    const c = await controller();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned: string[];
    try {
      // upstream docs/content/docs/config/lossless.mdx, "Example" (its keys and values).
      await node(
        c,
        1,
        [
          'default_chunk_size = 8500',
          'ready_grace_ms = 1500',
          'fec_tree_lane_depth = 32',
          'fec_dispatch_burst = 1',
          'fec_max_tree_lanes = 64',
          'fec_collaborative_multitree_enabled = true',
          'fec_enabled = false',
          'fec_require_capability = true',
          'fec_default_symbols_per_block = 32',
          'fec_symbol_size_policy = "chunk_size"',
          'fec_default_symbol_size = 8500',
          'fec_tree_ids_source = "config"',
          'fec_default_tree_ids = [0, 1]',
          'fec_symbols_per_block_min = 1',
          'fec_symbols_per_block_max = 1024',
          'fec_symbol_size_min = 1',
          'fec_symbol_size_max = 16384',
        ].join('\n'),
      );
      warned = spy.mock.calls.flat().map(String).filter((l) => l.includes('lossless_runtime_config'));
    } finally {
      spy.mockRestore();
    }
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(
      /\[lossless_runtime_config\] fec_tree_ids_source, fec_default_tree_ids, fec_max_tree_lanes, fec_dispatch_burst, fec_tree_lane_depth, fec_collaborative_multitree_enabled, fec_require_capability are upstream nextmini keys for multi-tree FEC dispatch, which this SDK does not do; ignored/,
    );
    expect(warned[0]).toMatch(/fec_default_tree_ids = \[0,1\] asks for trees besides 0/);
    expect(warned[0]).toMatch(/one tree per group/);
  });

  it('bad bounds and policies are CONFIG_INVALID naming the key', async () => {
    const open = (body: string) => codeOf(Dataplane.open(tempToml('bad.toml', `node_id = 1\ncontroller_addr = "127.0.0.1:1"\n[lossless_runtime_config]\n${body}\n`)));
    expect(await open('fec_symbols_per_block_min = 100\nfec_symbols_per_block_max = 10')).toMatch(/^CONFIG_INVALID.*fec_symbols_per_block_min \(100\) is above fec_symbols_per_block_max \(10\)/);
    expect(await open('fec_symbol_size_min = 100\nfec_symbol_size_max = 10')).toMatch(/^CONFIG_INVALID.*fec_symbol_size_min/);
    expect(await open('fec_symbol_size_policy = "auto"')).toMatch(/^CONFIG_INVALID.*fec_symbol_size_policy must be one of "chunk_size", "fixed"/);
    expect(await open('fec_symbol_size_policy = "fixed"\nfec_symbol_size_max = 1000')).toMatch(/^CONFIG_INVALID.*fec_default_symbol_size \(8500\) must lie within/);
    expect(await open('fec_symbols_per_block_max = 0')).toMatch(/^CONFIG_INVALID.*fec_symbols_per_block_max/);
  });
});
