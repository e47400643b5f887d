// Misspelt config keys and open() options are refused at once, naming the typo and the key
// meant; upstream nextmini keys with no effect here only warn. Real TOML files, through the
// API and through `nextmini node|controller --config` in a child process.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { Dataplane, startController, type Controller } from 'nextmini';
import { cliPath, codeOf, tempToml } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

/** Runs the CLI to its exit; resolves with its exit code and everything it printed. */
function cli(args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: stdout + stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs `fn` with console.error captured (where warnings go); returns what was printed. */
async function captureWarnings(fn: () => Promise<unknown>): Promise<string> {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await fn();
    return spy.mock.calls.flat().join('\n');
  } finally {
    spy.mockRestore();
  }
}

describe('Dataplane.open checks its options and config keys before connecting', () => {
  it("the issue's reproduction: a misspelt option fails at once, not after the 30 s default", async () => {
    const t0 = Date.now();
    const r = await codeOf(Dataplane.open({ node_id: 9, controller_addr: '127.0.0.1:1' }, { connectTimeout: 1000 } as never));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r).toMatch(/^INVALID_ARGUMENT: Dataplane\.open: unknown option connectTimeout \(known: connectTimeoutMs\)/);
  });

  // Whole milliseconds >= 1, as the CLI's --timeout-ms takes them.
  it.each([[-1], [0], [1.5], ['5000'], [Number.NaN], [Infinity]])('connectTimeoutMs %j is INVALID_ARGUMENT', async (v) => {
    const r = await codeOf(Dataplane.open({ node_id: 9, controller_addr: '127.0.0.1:1' }, { connectTimeoutMs: v as never }));
    expect(r).toMatch(/^INVALID_ARGUMENT: Dataplane\.open: connectTimeoutMs must be a whole number of milliseconds >= 1/);
  });

  it.each([[[]], [null], ['fast'], [5000]])('options %j (not an object) are INVALID_ARGUMENT at once', async (v) => {
    const t0 = Date.now();
    const r = await codeOf(Dataplane.open({ node_id: 9, controller_addr: '127.0.0.1:1' }, v as never));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r).toMatch(/^INVALID_ARGUMENT: Dataplane\.open: options must be an object or undefined, got /);
  });

  it('a misspelt config key is CONFIG_INVALID at once, naming the key meant', async () => {
    const t0 = Date.now();
    const r = await codeOf(Dataplane.open({ node_id: 9, controller_addr: '127.0.0.1:1', connect_timeout_ms: 5, mtuu: 1200 } as never));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r).toMatch(/^CONFIG_INVALID: node config: unknown keys "connect_timeout_ms", "mtuu" \(did you mean `mtu`\?\); known keys: node_id, node_id_offset, controller_addr, protocol, /);
  });
});

describe('node config files', () => {
  it('a misspelt optional key is an error naming the closest known key, not a run on defaults', async () => {
    const f = tempToml('n.toml', 'node_id = 2\ncontroller_addr = "127.0.0.1:1"\nprotocl = "tcp"\n');
    expect(await codeOf(Dataplane.open(f))).toMatch(/^CONFIG_INVALID: node config: unknown key "protocl" \(did you mean `protocol`\?\).* \(in .*n\.toml\)$/);
  });

  it('a misspelt required key is named as the typo, before the missing-key check', async () => {
    const f = tempToml('n.toml', 'node_id = 2\ncontroler_addr = "127.0.0.1:1"\n');
    const r = await codeOf(Dataplane.open(f));
    expect(r).toMatch(/^CONFIG_INVALID: node config: unknown key "controler_addr" \(did you mean `controller_addr`\?\)/);
    expect(r).not.toMatch(/must be a non-empty string/);
  });

  it('keys in [lossless_runtime_config] and data_bucket are checked too', async () => {
    const f = tempToml('n.toml', 'node_id = 2\ncontroller_addr = "127.0.0.1:1"\n[lossless_runtime_config]\nfec_enable = false\n');
    expect(await codeOf(Dataplane.open(f))).toMatch(/^CONFIG_INVALID: node config\.lossless_runtime_config: unknown key "fec_enable" \(did you mean `fec_enabled`\?\)/);
    const g = tempToml('n.toml', 'node_id = 2\ncontroller_addr = "127.0.0.1:1"\n[lossless_runtime_config]\ndata_bucket = { rate = 1000, bucket = 10 }\n');
    expect(await codeOf(Dataplane.open(g))).toMatch(/lossless_runtime_config\.data_bucket: unknown key "bucket" \(did you mean `bucket_size`\?\)/);
  });

  it('a misspelt upstream key is named as such, not left without a guess', async () => {
    const r = await codeOf(Dataplane.open({ node_id: 2, controller_addr: '127.0.0.1:1', featur: 'concurrent' } as never));
    expect(r).toMatch(/^CONFIG_INVALID: node config: unknown key "featur" \(did you mean `feature`, an upstream key with no effect here\?\); known keys: /);
  });

  it('a key nothing resembles is refused without a guess', async () => {
    const r = await codeOf(Dataplane.open({ node_id: 2, controller_addr: '127.0.0.1:1', colour: 'blue' } as never));
    expect(r).toMatch(/^CONFIG_INVALID: node config: unknown key "colour"; known keys: /);
  });

  it("upstream nextmini's keys with no effect here load with a warning naming them", async () => {
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    cleanup.push(() => c.close());
    const f = tempToml('n.toml', `node_id = 1\ncontroller_addr = "${c.url}"\nfeature = "concurrent"\nnum_tun_queues = 1\nnum_packet_processors = 4\n`);
    const warned = await captureWarnings(async () => {
      const dp = await Dataplane.open(f);
      cleanup.push(() => dp.close());
    });
    expect(warned).toMatch(/node config: feature, num_tun_queues, num_packet_processors are upstream nextmini keys with no effect here; ignored/);
  });

  it('`nextmini node --config` with a typo exits non-zero at once, naming the key', async () => {
    const f = tempToml('n2.toml', 'node_id = 2\ncontroller_addr = "127.0.0.1:1"\nprotocl = "tcp"\n');
    const r = await cli(['node', '--config', f]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/unknown key "protocl" \(did you mean `protocol`\?\)/);
    expect(r.ms).toBeLessThan(10_000);
  });
});

describe('controller config files', () => {
  it.each([
    ['metrics_retension_s = 60\n[topology]\nn_nodes = 1\nedges = []\n', /controller config: unknown key "metrics_retension_s" \(did you mean `metrics_retention_s`\?\)/],
    // Before the missing-key check: a misspelt [topology] is named, not reported missing.
    ['[topolgy]\nn_nodes = 1\nedges = []\n', /controller config: unknown key "topolgy" \(did you mean `topology`\?\)/],
    ['[topology]\ntyp = "ring"\nring_config = { n_nodes = 3 }\n', /controller config\.topology: unknown key "typ" \(did you mean `type`\?\)/],
    ['[topology]\ntype = "ring"\nring_config = { n_node = 3 }\n', /controller config\.topology\.ring_config: unknown key "n_node" \(did you mean `n_nodes`\?\)/],
    ['[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[link_defaults]\ndelay = 5\n', /controller config\.link_defaults: unknown key "delay" \(did you mean `delay_ms`\?\)/],
    ['[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[[links]]\nsrc_node_id = 1\ndst_node_id = 2\nbidirectonal = true\n', /controller config\.links\[0\]: unknown key "bidirectonal" \(did you mean `bidirectional`\?\)/],
    ['[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[[nodes]]\nnode_id = 1\ntokne = "x"\n', /controller config\.nodes\[0\]: unknown key "tokne" \(did you mean `token`\?\)/],
    ['[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[db]\npth = "x"\n', /controller config\.db: unknown key "pth" \(did you mean `path`\?\)/],
    ['[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[[link]]\nsrc_node_id = 1\ndst_node_id = 2\n', /controller config: unknown key "link" \(did you mean `links`\?\)/],
    ['[topology]\nn_nodes = 1\nedges = []\n[[flow]]\nsrc_node_id = 1\ndst_node_id = 1\n', /controller config: unknown key "flow" \(did you mean `flows`\?\)/],
    // Upstream keys are candidates too, said to have no effect here.
    ['protocl = "tcp"\n[topology]\nn_nodes = 1\nedges = []\n', /controller config: unknown key "protocl" \(did you mean `protocol`, an upstream key with no effect here\?\)/],
  ])('%j is CONFIG_INVALID naming the key meant', async (text, message) => {
    const r = await codeOf(startController(tempToml('c.toml', `port = 0\n${text}`)));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });

  it("upstream's controller key protocol loads with a warning", async () => {
    let c: Controller | undefined;
    const warned = await captureWarnings(async () => {
      c = await startController(tempToml('c.toml', 'port = 0\nprotocol = "tcp"\n[topology]\nn_nodes = 1\nedges = []\n'));
    });
    cleanup.push(() => c!.close());
    expect(warned).toMatch(/controller config: protocol is an upstream nextmini key with no effect here; ignored/);
  });

  it('`nextmini controller --config` with a typo exits non-zero, naming the key', async () => {
    const f = tempToml('c.toml', 'port = 0\nmulticast_pool_bse = "239.255.0.0"\n[topology]\nn_nodes = 1\nedges = []\n');
    const r = await cli(['controller', '--config', f, '--in-memory']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/unknown key "multicast_pool_bse" \(did you mean `multicast_pool_base`\?\)/);
  });
});
