// A controller in a child process, killed with SIGKILL mid-traffic and started again on the
// same store (PGlite in a directory, and a real PostgreSQL server): nodes reconnect on their
// own and get back their groups, memberships, trees, link settings and run-time routes; a
// lossless multicast in flight completes; group ids are not handed out again.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { connectController, Dataplane, PacketBuilder, type ControllerClient } from 'nextmini';
import { codeOf, runCli, stopChild, tempToml } from './harness.js';
import { usePostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/ports.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const pg = usePostgres('PostgreSQL restart tests');

/** Diamond 1-2-3 and 1-4-3; 1 -> 2 is slow enough that a 6 MiB transfer spans the kill. */
function configToml(port: number, db: string): string {
  return `port = ${port}
host = "127.0.0.1"
[topology]
n_nodes = 4
edges = [[1, 2], [2, 3], [1, 4], [4, 3]]
[routing]
protocol = "shortest_path"
${db}
`;
}

async function startChild(config: string): Promise<ChildProcess> {
  const { child } = await runCli(['controller', '--config', config], /controller listening on/, { NEXTMINI_LOG: 'warn' });
  cleanup.push(() => stopChild(child));
  return child;
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function admin(port: number): Promise<ControllerClient> {
  const a = await connectController(`ws://127.0.0.1:${port}`, { timeoutMs: 10_000 });
  cleanup.push(() => a.close());
  return a;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stores = [
  ['PGlite in a directory', () => `[db]\npath = "${mkdtempSync(join(tmpdir(), 'nextmini-pglite-')).replace(/\\/g, '/')}/state"`],
  ['PostgreSQL', () => {
    const server = pg();
    return server ? `[db]\nurl = "${server.url}"` : null;
  }],
] as const;

describe.each(stores)('controller restart on %s', (_name, dbSection) => {
  it('SIGKILL mid-traffic: nodes get back groups, trees, members, links and routes; a lossless session completes; ids are not reused', async (ctx) => {
    const db = dbSection();
    if (db === null) return ctx.skip();
    const port = await freePort();
    const config = tempToml('controller.toml', configToml(port, db));
    let child = await startChild(config);
    const nodes = await Promise.all(
      [1, 2, 3, 4].map(async (id) => {
        const dp = await Dataplane.open({ node_id: id, controller_addr: `127.0.0.1:${port}`, metrics_interval_ms: 0, protocol: 'udp' });
        cleanup.push(() => dp.close());
        return dp;
      }),
    );
    const [n1, n2, n3, n4] = nodes as [Dataplane, Dataplane, Dataplane, Dataplane];
    expect(await n1.waitForTopologyReady({ timeoutMs: 20_000 })).toBe(true);

    // State to survive: a group with a tree and members, link settings, a run-time route.
    const g = await n1.createGroup('weights');
    await n1.setGroupRoutes(g.groupId, [[1, 2], [2, 3], [1, 4]]);
    await n3.joinGroup(g.groupId);
    await n4.joinGroup(g.groupId);
    expect(await n3.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    const a1 = await admin(port);
    await a1.setLink({ srcNodeId: 1, dstNodeId: 2, rate: 3_000_000, bucketSize: 64_000, delayMs: 1 });
    await a1.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [1, 4, 3] });
    await a1.close();

    // A lossless multicast of 6 MiB through the 3 MB/s link: about 2 s, across the kill.
    const bytes = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const sha = createHash('sha256').update(bytes).digest('hex');
    const recv = [n3, n4].map((n) => ({ n, sid: n.receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: 1, expectedBytes: bytes.length }) }));
    const frozen = new PacketBuilder({ size: bytes.length });
    frozen.write(bytes);
    const sendSid = n1.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: [3, 4], buffer: frozen.freeze() });
    const sent = n1.losslessWaitAsync(sendSid, { timeoutMs: 60_000 });

    // Unicast 1 -> 3 flows all along; it must keep arriving through the outage and after.
    const rx = n3.registerReceiverFromNode({ srcNodeId: 1, srcPort: 7000, dstPort: 7001 });
    let sentMsgs = 0;
    let sending = true;
    const pump = (async () => {
      while (sending) {
        await n1.sendToNode({ dstNodeId: 3, frozen: Uint8Array.of(sentMsgs & 255), srcPort: 7000, dstPort: 7001 });
        sentMsgs++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    await new Promise((r) => setTimeout(r, 400));
    await kill9(child);
    await new Promise((r) => setTimeout(r, 300));
    child = await startChild(config);

    const a2 = await admin(port);
    await until('all four nodes reconnected', async () => (await a2.status()).connected.length === 4);
    sending = false;
    await pump;

    expect(await sent).toBe(true);
    for (const { n, sid } of recv) {
      expect(await n.losslessWaitAsync(sid, { timeoutMs: 30_000 })).toBe(true);
      expect(createHash('sha256').update(n.getDataBuffer(sid).read()).digest('hex')).toBe(sha);
    }
    for (const n of [n1, n3, n4]) expect(n.stats().sessions).toEqual({ active: 0, completed: 1, failed: 0 });
    let got = 0;
    while ((await rx.recv({ timeoutMs: 500 })) !== null) got++;
    const drops = nodes.map((n) => Object.fromEntries(Object.entries(n.stats().drops).filter(([, v]) => v)));
    expect(got, `drops per node: ${JSON.stringify(drops)}`).toBe(sentMsgs);

    // What the restarted controller holds.
    const s = await a2.status();
    expect(s.store).toBe(db.includes('url') ? 'postgres' : 'pglite');
    expect(s.storeLocation).not.toMatch(/secret/);
    expect(s.groups).toBe(1);
    expect(s.routes).toEqual([{ srcNodeId: 1, dstNodeId: 3 }]);
    expect(await a2.getLink(1, 2)).toMatchObject({ rate: 3_000_000, bucket_size: 64_000, delay_ms: 1 });

    // The source sends to its group again with no action of the application.
    const gr3 = n3.registerReceiverForGroup({ groupIp: g.groupIp, srcNodeId: 1 });
    const gr4 = n4.registerReceiverForGroup({ groupIp: g.groupIp, srcNodeId: 1 });
    await n1.sendToGroup({ groupId: g.groupId, frozen: new TextEncoder().encode('after restart') });
    expect(new TextDecoder().decode((await gr3.recv({ timeoutMs: 5000 }))!.payload)).toBe('after restart');
    expect((await gr4.recv({ timeoutMs: 5000 }))?.payload.length).toBe(13);
    expect(n2.getGroup(g.groupId)?.label).toBe('weights');

    // The next group gets a new id and address, not the live group's.
    const g2 = await n2.createGroup('second');
    expect(g2.groupId).not.toBe(g.groupId);
    expect(g2.groupIp).not.toBe(g.groupIp);
  }, 120_000);
});

describe('deleteGroup', () => {
  it('only the source may delete; members drop the group; the id may be handed out again only after', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-pglite-'));
    const config = tempToml('controller.toml', configToml(port, `[db]\npath = "${dir}/state"`));
    let child = await startChild(config);
    const open = async (id: number) => {
      const dp = await Dataplane.open({ node_id: id, controller_addr: `127.0.0.1:${port}`, metrics_interval_ms: 0, protocol: 'udp' });
      cleanup.push(() => dp.close());
      return dp;
    };
    const [n1, n2, n3] = await Promise.all([open(1), open(2), open(3)]);
    const g = await n1.createGroup('doomed');
    await n1.setGroupRoutes(g.groupId, [[1, 2], [2, 3]]);
    await n3.joinGroup(g.groupId);
    expect(await n3.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    expect(await codeOf(n3.deleteGroup(g.groupId))).toMatch(/^NOT_GROUP_SOURCE: /);
    await n1.deleteGroup(g.groupId);
    await until('node 3 dropped the group', () => n3.getGroup(g.groupId) === undefined);
    expect(await n3.waitForLocalMembership(g.groupId, { timeoutMs: 200 })).toBe(false);
    expect(await codeOf(n1.sendToGroup({ groupId: g.groupId, frozen: Uint8Array.of(1) }))).toMatch(/^(NO_ROUTE|UNKNOWN_GROUP): /);
    expect(await codeOf(n1.deleteGroup(g.groupId))).toMatch(/^UNKNOWN_GROUP: /);
    // Deleted groups stay deleted across a restart.
    await kill9(child);
    child = await startChild(config);
    const a = await admin(port);
    await until('nodes reconnected', async () => (await a.status()).connected.length === 3);
    expect((await a.status()).groups).toBe(0);
    expect(n2.listGroups()).toEqual([]);
  }, 60_000);
});
