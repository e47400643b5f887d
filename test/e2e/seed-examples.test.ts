// The seed's multicast example, transcribed to TypeScript, with the source and each receiver
// in its own process, configured from TOML files as the seed does.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from 'nextmini';
import { runSeedScript, tempToml } from './harness.js';
import { createHash } from 'node:crypto';
import { payloadFor } from './payload.mjs';
import { selfSignedCert } from '../helpers/tls.js';

let controller: Controller | undefined;
afterAll(async () => controller?.close());

/** Runs a seed script with its config; see runSeedScript. */
const run = (file: string, config: string) => runSeedScript(file, [config], stop);

const stop: (() => void)[] = [];
afterEach(() => {
  for (const s of stop.splice(0)) s();
});

describe("the seed's lossless example", () => {
  it('source 1 sends 1 MB along 1 -> 2 -> 3; receivers 2 and 3 get every byte', async () => {
    const c = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } });
    try {
      const toml = (id: number) => tempToml(`node${id}.toml`, `node_id = ${id}\ncontroller_addr = "${c.url}"\n[lossless_runtime_config]\nfec_enabled = true\n`);
      const receivers = [run('lossless-receiver.mjs', toml(2)), run('lossless-receiver.mjs', toml(3))];
      const source = run('lossless-source.mjs', toml(1));
      const [out2, out3, outSrc] = await Promise.all([...receivers.map((r) => r.done), source.done]);
      expect(JSON.parse(outSrc!.trim())).toEqual({ role: 'source', groupId: 1, groupIp: '239.255.0.1', completed: true });
      const expected = createHash('sha256').update(payloadFor(1_024_000, 2024)).digest('hex');
      for (const [i, out] of [out2!, out3!].entries()) {
        expect(JSON.parse(out.trim())).toEqual({ role: 'receiver', nodeId: i + 2, length: 1_024_000, sha256: expected });
      }
    } finally {
      await c.close();
    }
  });
});

describe("the seed's multicast example", () => {
  it('source creates the group and routes (1,2),(2,3); receivers 2 and 3 join and receive', async () => {
    controller = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } });
    const toml = (id: number) => tempToml(`node${id}.toml`, `node_id = ${id}\ncontroller_addr = "${controller!.url}"\n`);
    const receivers = [run('multicast-receiver.mjs', toml(2)), run('multicast-receiver.mjs', toml(3))];
    const source = run('multicast-source.mjs', toml(1));
    const outs = await Promise.all(receivers.map((r) => r.done));
    source.kill();
    const src = JSON.parse(await source.done);
    expect(src).toMatchObject({ role: 'source', groupId: 1, groupIp: '239.255.0.1', srcNodeId: 1 });
    for (const [i, out] of outs.entries()) {
      const r = JSON.parse(out);
      expect(r).toMatchObject({ role: 'receiver', nodeId: i + 2, srcIp: '192.168.0.1', dstIp: '239.255.0.1' });
      expect(r.text).toMatch(/^hello group #\d+$/);
    }
  });
});

describe("the seed's examples on an authenticated network over wss:// (issue 11)", () => {
  const SECRET = 'seed-examples-secret-0123456789';
  const secureController = async () => {
    const tls = selfSignedCert();
    const c = await startController({ port: 0, auth_token: SECRET, tls: { cert: tls.cert, key: tls.key }, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } });
    expect(c.url).toMatch(/^wss:\/\//);
    // Node configs as a user writes them: the secret and the CA file beside the controller address.
    const toml = (id: number, extra = '') => tempToml(`node${id}.toml`, `node_id = ${id}\ncontroller_addr = "${c.url}"\nauth_token = "${SECRET}"\nca = "${tls.cert}"\n${extra}`);
    return { c, toml };
  };

  it('multicast: source and receivers in their own processes', async () => {
    const { c, toml } = await secureController();
    try {
      const receivers = [run('multicast-receiver.mjs', toml(2)), run('multicast-receiver.mjs', toml(3))];
      const source = run('multicast-source.mjs', toml(1));
      const outs = await Promise.all(receivers.map((r) => r.done));
      source.kill();
      expect(JSON.parse(await source.done)).toMatchObject({ role: 'source', groupId: 1, srcNodeId: 1 });
      for (const [i, out] of outs.entries()) expect(JSON.parse(out)).toMatchObject({ role: 'receiver', nodeId: i + 2, srcIp: '192.168.0.1' });
      expect(c.status()).toMatchObject({ authRequired: true, tls: true });
    } finally {
      await c.close();
    }
  });

  it('lossless: 1 MB to receivers 2 and 3, every byte', async () => {
    const { c, toml } = await secureController();
    try {
      const fec = '[lossless_runtime_config]\nfec_enabled = true\n';
      const receivers = [run('lossless-receiver.mjs', toml(2, fec)), run('lossless-receiver.mjs', toml(3, fec))];
      const source = run('lossless-source.mjs', toml(1, fec));
      const [out2, out3, outSrc] = await Promise.all([...receivers.map((r) => r.done), source.done]);
      expect(JSON.parse(outSrc!.trim())).toMatchObject({ role: 'source', completed: true });
      const expected = createHash('sha256').update(payloadFor(1_024_000, 2024)).digest('hex');
      for (const out of [out2!, out3!]) expect(JSON.parse(out.trim())).toMatchObject({ length: 1_024_000, sha256: expected });
    } finally {
      await c.close();
    }
  });
  // The unicast example over wss:// with a CA runs in security.test.ts.
});
