// End to end, real sockets on loopback, nodes in separate processes: the seed's unicast
// section over UDP and TCP links, on a full mesh and on a line where node 2 forwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startController, type Controller } from 'nextmini';
import { Agent, runCli, stopChild, tempToml } from './harness.js';
import { payloadFor } from './payload.mjs';

const SIZES = [10, 8 * 1024, 1024 * 1024];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Delivery {
  srcNodeId: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  messageId: number;
  totalLen: number;
  fragmentCount: number;
  length: number;
  frozenLength: number;
  flowId: string;
  sha256: string;
}

for (const protocol of ['udp', 'tcp'] as const) {
  describe(`unicast over ${protocol}, full mesh of 3 node processes`, () => {
    let controller: Controller;
    const agents: Agent[] = [];

    beforeAll(async () => {
      controller = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: 3 } } });
      for (const id of [1, 2, 3]) agents.push(new Agent({ node_id: id, controller_addr: controller.url, protocol }));
      await Promise.all(agents.map((a) => a.call('open')));
      expect(await Promise.all(agents.map((a) => a.call('ready', { timeoutMs: 10_000 })))).toEqual([true, true, true]);
    });

    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await controller?.close();
    });

    it('delivers 10 B, 8 KiB and 1 MiB intact with correct metadata, both directions', async () => {
      await agents[2]!.call('register', { key: 'a', srcNodeId: 1, srcPort: 40000, dstPort: 50000 });
      await agents[0]!.call('register', { key: 'b', srcNodeId: 3 }); // default ports
      for (const [i, size] of SIZES.entries()) {
        const sent = await agents[0]!.call<{ messageId: number; sha256: string }>('send', { dstNodeId: 3, size, seed: 100 + i, srcPort: 40000, dstPort: 50000 });
        const d = await agents[2]!.call<Delivery | null>('recv', { key: 'a', timeoutMs: 10_000 });
        expect(d).not.toBeNull();
        expect(d!.sha256).toBe(sent.sha256);
        expect(d!.sha256).toBe(sha(payloadFor(size, 100 + i)));
        expect(d).toMatchObject({ srcNodeId: 1, srcIp: '192.168.0.1', dstIp: '192.168.0.3', srcPort: 40000, dstPort: 50000, messageId: sent.messageId, totalLen: size, length: size, frozenLength: size });
        // The sender's MTU: 1400 by default, 65,000 for a node that speaks only TCP.
        const mtu = protocol === 'tcp' ? 65_000 : 1400;
        expect(d!.fragmentCount).toBe(Math.ceil(size / (mtu - 40)));
        expect(BigInt(d!.flowId)).toBe((1n << 32n) | (40000n << 16n) | 50000n);

        const back = await agents[2]!.call<{ sha256: string }>('send', { dstNodeId: 1, size, seed: 200 + i });
        const d2 = await agents[0]!.call<Delivery | null>('recv', { key: 'b', timeoutMs: 10_000 });
        expect(d2?.sha256).toBe(back.sha256);
        expect(d2).toMatchObject({ srcPort: 45535, dstPort: 8888 });
      }
    });

    it('ports select the right receiver', async () => {
      await agents[1]!.call('register', { key: 'p1', srcNodeId: 1, srcPort: 7000, dstPort: 7001 });
      await agents[1]!.call('register', { key: 'p2', srcNodeId: 1, srcPort: 7000, dstPort: 7002 });
      const s1 = await agents[0]!.call<{ sha256: string }>('send', { dstNodeId: 2, size: 100, seed: 1, srcPort: 7000, dstPort: 7002 });
      const s2 = await agents[0]!.call<{ sha256: string }>('send', { dstNodeId: 2, size: 200, seed: 2, srcPort: 7000, dstPort: 7001 });
      expect((await agents[1]!.call<Delivery>('recv', { key: 'p2', timeoutMs: 5000 })).sha256).toBe(s1.sha256);
      expect((await agents[1]!.call<Delivery>('recv', { key: 'p1', timeoutMs: 5000 })).sha256).toBe(s2.sha256);
      expect(await agents[1]!.call('recv', { key: 'p1', timeoutMs: 100 })).toBeNull();
      await expect(agents[1]!.call('register', { key: 'p3', srcNodeId: 1, srcPort: 7000, dstPort: 7001 })).rejects.toMatchObject({ code: 'RECEIVER_EXISTS' });
    });

    it('rejects sends to unknown nodes with NO_ROUTE', async () => {
      await expect(agents[0]!.call('send', { dstNodeId: 9, size: 1, seed: 1 })).rejects.toMatchObject({ code: 'NO_ROUTE' });
    });
  });

  describe(`unicast over ${protocol}, line 1 - 2 - 3 where node 2 is a CLI forwarder`, () => {
    let controller: { child: import('node:child_process').ChildProcess; output: () => string };
    let forwarder: { child: import('node:child_process').ChildProcess; output: () => string };
    const agents: Agent[] = [];

    beforeAll(async () => {
      const ctl = tempToml('controller.toml', `port = 0\n[topology]\nn_nodes = 3\nedges = [[1, 2], [2, 3]]\n[routing]\nprotocol = "shortest_path"\n`);
      controller = await runCli(['controller', '--config', ctl], /controller listening on (ws:\/\/\S+)/);
      const url = /controller listening on (ws:\/\/\S+)/.exec(controller.output())![1]!;
      const node2 = tempToml('node2.toml', `node_id = 2\ncontroller_addr = "${url}"\nprotocol = "${protocol}"\n`);
      forwarder = await runCli(['node', '--config', node2], /node 2 \(/);
      for (const id of [1, 3]) agents.push(new Agent({ node_id: id, controller_addr: url, protocol }));
      await Promise.all(agents.map((a) => a.call('open')));
      expect(await Promise.all(agents.map((a) => a.call('ready', { timeoutMs: 10_000 })))).toEqual([true, true]);
    });

    afterAll(async () => {
      await Promise.all(agents.map((a) => a.stop()));
      if (forwarder) await stopChild(forwarder.child);
      if (controller) await stopChild(controller.child);
    });

    it('1 -> 3 is forwarded by node 2 and arrives intact', async () => {
      await agents[1]!.call('register', { key: 'r', srcNodeId: 1, srcPort: 40000, dstPort: 50000 });
      let packets = 0;
      for (const [i, size] of SIZES.entries()) {
        const sent = await agents[0]!.call<{ sha256: string; messageId: number }>('send', { dstNodeId: 3, size, seed: 300 + i, srcPort: 40000, dstPort: 50000 });
        const d = await agents[1]!.call<Delivery | null>('recv', { key: 'r', timeoutMs: 10_000 });
        expect(d?.sha256).toBe(sent.sha256);
        expect(d).toMatchObject({ srcIp: '192.168.0.1', dstIp: '192.168.0.3', totalLen: size, messageId: sent.messageId });
        packets += d!.fragmentCount;
      }
      const s1 = await agents[0]!.call<{ packetsSent: number; packetsForwarded: number }>('stats');
      expect(s1.packetsSent).toBe(packets);
      expect(s1.packetsForwarded).toBe(0);
      await stopChild(forwarder.child);
      const forwarded = Number(/forwarded (\d+) packets/.exec(forwarder.output())?.[1]);
      expect(forwarded).toBe(packets);
      // The exit summary says what was dropped too (nothing, on these clean links).
      expect(forwarder.output()).toMatch(/node 2: forwarded \d+ packets, delivered \d+ messages, no drops/);
    });
  });
}
