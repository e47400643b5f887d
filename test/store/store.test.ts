// The controller's store: one suite run against all three implementations (memory, PGlite in
// a temp directory, and a real PostgreSQL server from test/helpers/postgres.ts), plus what is
// particular to each: PGlite's durability across SIGKILL and its directory lock, PostgreSQL's
// connection errors and hidden password, and openStore's choice of store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type DbConfig } from '../../ts/controller/store/open.js';
import { MemoryStore } from '../../ts/controller/store/memory.js';
import { SqlStore } from '../../ts/controller/store/sql.js';
import { migrate, SCHEMA_VERSION } from '../../ts/controller/store/migrations.js';
import { PGLITE_LOCK_FILE, PGLITE_SETTINGS } from '../../ts/controller/store/pglite.js';
import { postgresTarget } from '../../ts/controller/store/postgres.js';
import type { FlowResult, MetricRow, Store, StoredGroup } from '../../ts/controller/store/store.js';
import { isNextminiError } from '../../ts/errors.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

let pg: TestPostgres | undefined;
let pgSkipped = '';
/** A PGlite directory made and migrated once; each test starts from a copy (initdb takes seconds). */
let pgliteTemplate = '';

beforeAll(async () => {
  const [server] = await Promise.all([
    startPostgres(),
    (async () => {
      pgliteTemplate = join(tempDir('nextmini-store-tpl-'), 'db');
      await (await openStore({ path: pgliteTemplate })).close();
    })(),
  ]);
  if ('skipped' in server) {
    pgSkipped = server.skipped;
    console.warn(`\n${'!'.repeat(78)}\n!! PostgreSQL store tests SKIPPED: ${server.skipped}\n${'!'.repeat(78)}\n`);
  } else {
    pg = server;
  }
});
afterAll(async () => {
  await pg?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty database of one kind; `open` may be called again after a close to reopen it. */
interface Target {
  open(): Promise<Store>;
  /** Runs SQL as another client (PGlite: on the open store's own instance, since a second one may not open the directory). */
  sql?(store: Store, text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  persistent: boolean;
}

let dbCount = 0;
const backends: [string, () => Promise<Target | string>][] = [
  ['memory', async () => ({ open: () => openStore(undefined), persistent: false })],
  [
    'pglite',
    async () => {
      const dir = join(tempDir('nextmini-store-'), 'db');
      cpSync(pgliteTemplate, dir, { recursive: true });
      return {
        open: () => openStore({ path: 'db' }, { baseDir: resolve(dir, '..') }),
        sql: async (store, text, params) => (await (store as SqlStore).connection.query(text, params)).rows,
        persistent: true,
      };
    },
  ],
  [
    'postgres',
    async () => {
      if (!pg) return pgSkipped || 'no server';
      const url = pg.createDatabase(`t${++dbCount}`);
      return {
        open: () => openStore({ url }),
        sql: async (_store, text, params) => {
          const { Client } = await import('pg');
          const c = new Client({ connectionString: url });
          await c.connect();
          try {
            return (await c.query(text, params)).rows;
          } finally {
            await c.end();
          }
        },
        persistent: true,
      };
    },
  ],
];

const group = (id: number, extra: Partial<StoredGroup> = {}): StoredGroup => ({
  groupId: id,
  groupIp: (0xef000000 | id) >>> 0, // 239.0.0.id
  srcNodeId: 1,
  label: `g${id}`,
  trees: [
    { treeId: 0, weight: 3, edges: [[1, 2], [2, 3]] },
    { treeId: 1, weight: 1, edges: [[1, 4], [4, 3]] },
  ],
  members: [3, 2],
  ...extra,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isNextminiError(err) ? `${err.code}: ${err.message}` : `not a NextminiError: ${String(err)}`;
  }
}

describe.each(backends)('store: %s', (kind, makeTarget) => {
  /** Opens a fresh database of this kind and closes every store the test opened. */
  async function withStore(ctx: { skip: (note?: string) => never }, fn: (s: Store, t: Target) => Promise<void>): Promise<void> {
    const t = await makeTarget();
    if (typeof t === 'string') return ctx.skip(t);
    const opened: Store[] = [];
    const target: Target = { ...t, open: async () => opened[opened.push(await t.open()) - 1]! };
    try {
      await fn(await target.open(), target);
    } finally {
      for (const s of opened) await s.close();
    }
  }

  it('kind and location', (ctx) =>
    withStore(ctx, async (s) => {
      expect(s.kind).toBe(kind);
      if (kind === 'memory') expect(s.location).toBe('memory');
      if (kind === 'pglite') expect(statSync(join(s.location, 'PG_VERSION')).isFile()).toBe(true);
      if (kind === 'postgres') {
        expect(s.location).toMatch(/^postgres:\/\/nextmini:\*\*\*@127\.0\.0\.1:\d+\/t\d+$/);
        expect(s.location).not.toContain('secret');
      }
      expect(await s.load()).toEqual({ groups: [], links: [], routes: [], nodes: [] });
    }));

  it('groups: create with trees and members, add/remove members, set trees, delete cascades', (ctx) =>
    withStore(ctx, async (s, t) => {
      await s.createGroup(group(7));
      await s.createGroup(group(9, { members: [], trees: [], label: 'empty' }));
      expect((await s.load()).groups).toEqual([
        { ...group(7), members: [2, 3] },
        { ...group(9), members: [], trees: [], label: 'empty' },
      ]);
      await s.addMember(7, 5);
      await s.addMember(7, 5); // already a member: no-op
      await s.removeMember(7, 2);
      await s.removeMember(7, 42); // not a member: no-op
      await s.setGroupTrees(7, [{ treeId: 2, weight: 9, edges: [[1, 3]] }]);
      await s.addMember(9, 1);
      const g = (await s.load()).groups;
      expect(g[0]).toEqual({ ...group(7), members: [3, 5], trees: [{ treeId: 2, weight: 9, edges: [[1, 3]] }] });
      expect(g[1]!.members).toEqual([1]);

      expect(await codeOf(s.createGroup(group(7)))).toMatch(/^INVALID_ARGUMENT: .*group 7/);
      expect(await codeOf(s.createGroup(group(10, { groupIp: group(7).groupIp })))).toMatch(/^INVALID_ARGUMENT: /);
      expect(await codeOf(s.addMember(404, 1))).toMatch(/^UNKNOWN_GROUP: .*404/);
      expect(await codeOf(s.setGroupTrees(404, []))).toMatch(/^UNKNOWN_GROUP: .*404/);
      // A failed creation left nothing behind (atomic), and the store still works after errors.
      expect((await s.load()).groups.map((x) => x.groupId)).toEqual([7, 9]);

      await s.deleteGroup(7);
      await s.deleteGroup(404); // no such group: no-op
      expect((await s.load()).groups.map((x) => x.groupId)).toEqual([9]);
      if (t.sql) {
        expect(await t.sql(s, 'SELECT count(*)::int AS n FROM group_members WHERE group_id = 7')).toEqual([{ n: 0 }]);
        expect(await t.sql(s, 'SELECT count(*)::int AS n FROM group_trees WHERE group_id = 7')).toEqual([{ n: 0 }]);
      }
      // The id and address of a deleted group may be used again.
      await s.createGroup(group(7, { label: 'again' }));
      expect((await s.load()).groups.map((x) => x.label)).toEqual(['again', 'empty']);
    }));

  it('putLink upserts a directed link', (ctx) =>
    withStore(ctx, async (s) => {
      await s.putLink({ srcNodeId: 2, dstNodeId: 1, params: { rate: 1000 } });
      await s.putLink({ srcNodeId: 1, dstNodeId: 2, params: { rate: 3_000_000, delay_ms: 1.5, loss_burst: { p_good_to_bad: 0.1, p_bad_to_good: 0.5, loss_in_bad: 1 } } });
      await s.putLink({ srcNodeId: 1, dstNodeId: 2, params: { rate: 5, reorder: true } });
      expect((await s.load()).links).toEqual([
        { srcNodeId: 1, dstNodeId: 2, params: { rate: 5, reorder: true } },
        { srcNodeId: 2, dstNodeId: 1, params: { rate: 1000 } },
      ]);
    }));

  it('routes: put (upsert), delete, load', (ctx) =>
    withStore(ctx, async (s) => {
      await s.putRoute({ srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] });
      await s.putRoute({ srcNodeId: 1, dstNodeId: 2, route: [[1, 4], [4, 2], [1, 2]] });
      await s.putRoute({ srcNodeId: 1, dstNodeId: 3, route: [1, 4, 3] });
      const want = [
        { srcNodeId: 1, dstNodeId: 2, route: [[1, 4], [4, 2], [1, 2]] },
        { srcNodeId: 1, dstNodeId: 3, route: [1, 4, 3] },
      ];
      expect(await s.loadRoutes()).toEqual(want);
      expect((await s.load()).routes).toEqual(want);
      await s.deleteRoute(1, 2);
      await s.deleteRoute(5, 6); // none: no-op
      expect(await s.loadRoutes()).toEqual([want[1]]);
    }));

  it('nodes: upsert keeps the last row, lastSeenMs to the millisecond', (ctx) =>
    withStore(ctx, async (s) => {
      const udp = { protocol: 'udp', host: '127.0.0.1', port: 4000 } as const;
      const tcp = { protocol: 'tcp', host: 'h1', port: 1 } as const;
      const several = [{ protocol: 'memory', host: 'realm/t', port: 0 }, { protocol: 'udp', host: '::1', port: 65535 }, { protocol: 'relay', host: '', port: 0 }] as const;
      await s.putNode({ nodeId: 2, endpoints: [udp], connected: true, lastSeenMs: 1_700_000_000_123 });
      await s.putNode({ nodeId: 1, endpoints: [tcp], connected: true, lastSeenMs: 1_700_000_000_000 });
      await s.putNode({ nodeId: 2, endpoints: [...several], connected: false, lastSeenMs: 1_700_000_009_999 });
      expect((await s.load()).nodes).toEqual([
        { nodeId: 1, endpoints: [tcp], connected: true, lastSeenMs: 1_700_000_000_000 },
        { nodeId: 2, endpoints: several, connected: false, lastSeenMs: 1_700_000_009_999 },
      ]);
    }));

  it('metrics: batched insert, filters, newest `limit` oldest first, prune', (ctx) =>
    withStore(ctx, async (s) => {
      const rows: MetricRow[] = [];
      for (let i = 0; i < 30; i++) {
        rows.push({ atMs: 1_000_000 + i * 10, nodeId: 1 + (i % 3), name: i % 2 ? 'tx_bytes' : 'rx_bytes', value: i + 0.5 });
      }
      rows.push({ atMs: 1_000_005, nodeId: 1, name: 'link_tx', value: 7, neighbor: 2 });
      await s.insertMetrics(rows);
      await s.insertMetrics([]);
      await s.insertMetrics([{ atMs: 999_000, nodeId: 9, name: 'late', value: -1 }]); // older than the rest, inserted last
      const all = await s.queryMetrics({});
      expect(all).toHaveLength(32);
      expect(all[0]).toEqual({ atMs: 999_000, nodeId: 9, name: 'late', value: -1 });
      expect(all[1]).toEqual(rows[0]);
      expect(all[2]).toEqual({ atMs: 1_000_005, nodeId: 1, name: 'link_tx', value: 7, neighbor: 2 });
      expect(all.map((m) => m.atMs)).toEqual([...all.map((m) => m.atMs)].sort((a, b) => a - b));

      expect(await s.queryMetrics({ nodeId: 2, name: 'tx_bytes' })).toEqual(rows.filter((r) => r.nodeId === 2 && r.name === 'tx_bytes'));
      expect(await s.queryMetrics({ sinceMs: 1_000_250 })).toEqual(rows.filter((r) => r.atMs >= 1_000_250));
      expect(await s.queryMetrics({ limit: 3 })).toEqual(rows.slice(27, 30));
      expect(await s.queryMetrics({ nodeId: 1, limit: 2 })).toEqual(rows.filter((r) => r.nodeId === 1 && !r.neighbor).slice(-2));
      expect(await s.queryMetrics({ limit: 0 })).toEqual([]);
      expect(await s.queryMetrics({ name: 'nothing' })).toEqual([]);
      expect(await codeOf(s.queryMetrics({ limit: -1 }))).toMatch(/^INVALID_ARGUMENT: /);
      // What no store can answer, or answers with an unbounded reply, is refused the same way everywhere.
      for (const q of [{ limit: 1e15 }, { limit: 2 ** 63 }, { limit: 100_001 }, { sinceMs: 1e20 }, { sinceMs: -8.7e15 }, { nodeId: 2 ** 63 }, { nodeId: 0 }, { name: 'a\0b' }, { name: 'x'.repeat(129) }]) {
        expect(await codeOf(s.queryMetrics(q)), JSON.stringify(q)).toMatch(/^INVALID_ARGUMENT: metrics query: /);
      }

      // Same timestamp: insertion order.
      await s.insertMetrics([
        { atMs: 2_000_000, nodeId: 5, name: 'a', value: 1 },
        { atMs: 2_000_000, nodeId: 5, name: 'b', value: 2 },
      ]);
      expect((await s.queryMetrics({ nodeId: 5 })).map((m) => m.name)).toEqual(['a', 'b']);

      await s.pruneMetrics(1_000_100);
      const left = await s.queryMetrics({});
      expect(left.every((m) => m.atMs >= 1_000_100)).toBe(true);
      expect(left).toHaveLength(20 + 2);

      // A large call (more rows than one INSERT carries) lands whole.
      const many = Array.from({ length: 25_000 }, (_, i) => ({ atMs: 3_000_000 + i, nodeId: 6, name: 'bulk', value: i }));
      await s.insertMetrics(many);
      const bulk = await s.queryMetrics({ name: 'bulk', limit: 100_000 });
      expect(bulk).toHaveLength(25_000);
      expect(bulk[24_999]).toEqual(many[24_999]);
    }));

  it('flows: put (upsert) and load, spec and results, nulls kept', (ctx) =>
    withStore(ctx, async (s, t) => {
      const pending: FlowResult = {
        flowId: 2,
        spec: { src: 1, dst: 3, durationMs: 1500, rate: 250_000.5, weight: 4, transport: 'datagram' },
        state: 'pending',
        reason: '',
        bytesSent: 0,
        bytesReceived: 0,
        packetsSent: 0,
        packetsReceived: 0,
        duplicates: 0,
        framesResent: 0,
        loss: null,
        startedAtMs: null,
        endedAtMs: null,
        durationMs: null,
        completionMs: null,
      };
      const done: FlowResult = {
        flowId: 1,
        spec: { src: 2, dst: 1, bytes: 10_000_000, weight: 1, transport: 'lossless' },
        state: 'done',
        reason: '',
        bytesSent: 10_000_000,
        bytesReceived: 10_000_000,
        packetsSent: 0,
        packetsReceived: 0,
        duplicates: 0,
        framesResent: 17,
        loss: 0,
        startedAtMs: 1_700_000_000_123.5,
        endedAtMs: 1_700_000_002_000,
        durationMs: 1876.5,
        completionMs: 1876.5,
      };
      await s.putFlow(pending);
      await s.putFlow(done);
      expect(await s.loadFlows()).toEqual([done, pending]);
      const failed: FlowResult = { ...pending, state: 'failed', reason: 'node 3 disconnected from the controller', bytesSent: 4096, packetsSent: 4, packetsReceived: 3, bytesReceived: 3072, duplicates: 1, loss: 0.25, startedAtMs: 5, endedAtMs: 9, durationMs: 4, completionMs: 3 };
      await s.putFlow(failed);
      expect(await s.loadFlows()).toEqual([done, failed]);
      if (t.sql) {
        // Results are columns a person can query.
        expect(await t.sql(s, 'SELECT flow_id::int AS id, state, loss FROM flows WHERE src_node_id = 1 AND dst_node_id = 3')).toEqual([{ id: 2, state: 'failed', loss: 0.25 }]);
      }
      // The controller's restored state (load) is unchanged by flows.
      expect(Object.keys(await s.load()).sort()).toEqual(['groups', 'links', 'nodes', 'routes']);
      if (t.persistent) {
        await s.close();
        expect(await (await t.open()).loadFlows()).toEqual([done, failed]);
      }
    }));

  it('writes apply in call order without awaiting each; every awaited write is visible', (ctx) =>
    withStore(ctx, async (s) => {
      const pending: Promise<void>[] = [];
      pending.push(s.createGroup(group(1, { members: [] })));
      for (let i = 2; i <= 20; i++) pending.push(s.addMember(1, i));
      for (let i = 0; i < 20; i++) pending.push(s.putRoute({ srcNodeId: 1, dstNodeId: 2, route: [1, i + 3, 2] }));
      pending.push(s.removeMember(1, 20));
      await Promise.all(pending);
      const state = await s.load();
      expect(state.groups[0]!.members).toEqual(Array.from({ length: 18 }, (_, i) => i + 2));
      expect(state.routes).toEqual([{ srcNodeId: 1, dstNodeId: 2, route: [1, 22, 2] }]);
      // Reads see writes queued before them, even unawaited.
      void s.putRoute({ srcNodeId: 4, dstNodeId: 5, route: [4, 5] });
      expect(await s.loadRoutes()).toHaveLength(2);
    }));

  it('keeps everything across close and reopen', (ctx) =>
    withStore(ctx, async (s, t) => {
      if (!t.persistent) {
        await s.close();
        expect(await codeOf(s.load())).toMatch(/^CLOSED: /);
        expect(await codeOf(s.putRoute({ srcNodeId: 1, dstNodeId: 2, route: [1, 2] }))).toMatch(/^CLOSED: /);
        return;
      }
      await s.createGroup(group(3));
      await s.putLink({ srcNodeId: 1, dstNodeId: 2, params: { delay_ms: 5 } });
      await s.putRoute({ srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] });
      await s.putNode({ nodeId: 1, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: 5000 }], connected: true, lastSeenMs: 1_234_567 });
      await s.insertMetrics([{ atMs: 5000, nodeId: 1, name: 'x', value: 1, neighbor: 3 }]);
      const before = await s.load();
      await s.close();
      await s.close(); // idempotent
      expect(await codeOf(s.loadRoutes())).toMatch(/^CLOSED: /);
      const again = await t.open();
      expect(await again.load()).toEqual(before);
      expect(before.groups).toHaveLength(1);
      expect(await again.queryMetrics({})).toEqual([{ atMs: 5000, nodeId: 1, name: 'x', value: 1, neighbor: 3 }]);
    }));

  it('migrations: idempotent; a newer schema version is refused with CONFIG_INVALID', (ctx) =>
    withStore(ctx, async (s, t) => {
      if (!(s instanceof SqlStore) || !t.sql) return ctx.skip('no schema in the memory store');
      expect(await migrate(s.connection, s.location)).toBe(SCHEMA_VERSION);
      expect(await migrate(s.connection, s.location)).toBe(SCHEMA_VERSION);
      expect(await t.sql(s, "SELECT value FROM nextmini_meta WHERE key = 'schema_version'")).toEqual([{ value: String(SCHEMA_VERSION) }]);
      await s.putRoute({ srcNodeId: 1, dstNodeId: 2, route: [1, 2] });
      await s.close();
      const s2 = await t.open(); // migrations run again on open: no-op, data intact
      expect(await s2.loadRoutes()).toHaveLength(1);
      const newer = SCHEMA_VERSION + 41;
      await t.sql(s2, "UPDATE nextmini_meta SET value = $1 WHERE key = 'schema_version'", [String(newer)]);
      await s2.close();
      for (let i = 0; i < 2; i++) {
        // Twice: a refused open releases what it took (PGlite's directory lock).
        const msg = await codeOf(t.open());
        expect(msg).toMatch(/^CONFIG_INVALID: /);
        expect(msg).toContain(`version ${newer}`);
        expect(msg).toContain(`version ${SCHEMA_VERSION}`);
        expect(msg).toContain(s.location);
      }
    }));

  it('migration 2: a node stored by schema version 1 (one protocol, one address) comes back as its one endpoint', (ctx) =>
    withStore(ctx, async (s, t) => {
      if (!(s instanceof SqlStore) || !t.sql) return ctx.skip('no schema in the memory store');
      // Back to version 1's shape: no endpoints column (nor later tables), one row as version 1 wrote it.
      await t.sql(s, 'DROP TABLE flows');
      await t.sql(s, 'ALTER TABLE nodes DROP COLUMN endpoints');
      await t.sql(s, "UPDATE nextmini_meta SET value = '1' WHERE key = 'schema_version'");
      await t.sql(s, "INSERT INTO nodes (node_id, protocol, data_host, data_port, connected, last_seen) VALUES (4, 'udp', '10.0.0.4', 4004, false, now())");
      await s.close();
      const s2 = await t.open();
      expect((await s2.load()).nodes.map((n) => ({ nodeId: n.nodeId, endpoints: n.endpoints }))).toEqual([{ nodeId: 4, endpoints: [{ protocol: 'udp', host: '10.0.0.4', port: 4004 }] }]);
      expect(await t.sql(s2, "SELECT value FROM nextmini_meta WHERE key = 'schema_version'")).toEqual([{ value: String(SCHEMA_VERSION) }]);
    }));

  it('migration 3: a database of schema version 2 gets the flows table, its other rows intact', (ctx) =>
    withStore(ctx, async (s, t) => {
      if (!(s instanceof SqlStore) || !t.sql) return ctx.skip('no schema in the memory store');
      await s.putRoute({ srcNodeId: 1, dstNodeId: 2, route: [1, 2] });
      await t.sql(s, 'DROP TABLE flows');
      await t.sql(s, "UPDATE nextmini_meta SET value = '2' WHERE key = 'schema_version'");
      await s.close();
      const s2 = await t.open();
      expect(await s2.loadFlows()).toEqual([]);
      expect(await s2.loadRoutes()).toHaveLength(1);
      expect(await t.sql(s2, "SELECT value FROM nextmini_meta WHERE key = 'schema_version'")).toEqual([{ value: '3' }]);
    }));

  it('watchRoutes: fires within 1 s when another client changes the routes table', (ctx) =>
    withStore(ctx, async (s, t) => {
      let calls = 0;
      const stop = await s.watchRoutes(() => calls++);
      if (!t.sql) {
        await s.putRoute({ srcNodeId: 1, dstNodeId: 2, route: [1, 2] });
        await new Promise((r) => setTimeout(r, 100));
        expect(calls).toBe(0); // the memory store has no other clients
        await stop();
        return;
      }
      const waitFor = async (n: number) => {
        const end = Date.now() + 1000;
        while (calls < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        expect(calls).toBeGreaterThanOrEqual(n);
      };
      await t.sql(s, "INSERT INTO routes (src_node_id, dst_node_id, route) VALUES (1, 3, '[1, 2, 3]')");
      await waitFor(1);
      expect(await s.loadRoutes()).toEqual([{ srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] }]);
      const n = calls;
      await t.sql(s, 'DELETE FROM routes');
      await waitFor(n + 1);
      await stop();
      const after = calls;
      await t.sql(s, "INSERT INTO routes (src_node_id, dst_node_id, route) VALUES (1, 4, '[1, 4]')");
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(after);
    }));
});

describe('openStore and what is particular to each store', () => {
  it('picks memory without a [db], and refuses path with url or keys', async () => {
    const m = await openStore(undefined);
    expect(m).toBeInstanceOf(MemoryStore);
    await m.close();
    const m2 = await openStore({});
    expect(m2.kind).toBe('memory');
    await m2.close();
    for (const bad of [{ path: 'x', url: 'postgres://a@b/c' }, { path: 'x', host: 'h' }] as DbConfig[]) {
      expect(await codeOf(openStore(bad))).toMatch(/^CONFIG_INVALID: .*not both/);
    }
    expect(await codeOf(openStore({ paht: 'x' } as DbConfig))).toMatch(/^CONFIG_INVALID: db\.paht is not a \[db\] key/);
    expect(await codeOf(openStore({ port: 0 }))).toMatch(/^CONFIG_INVALID: db\.port/);
    expect(await codeOf(openStore({ url: 'mysql://u:p@h/d' }))).toMatch(/^CONFIG_INVALID: db\.url must start with postgres/);
  });

  it('memory: metrics are bounded, dropping the oldest inserted', async () => {
    const m = new MemoryStore({ maxMetricRows: 1000 });
    for (let b = 0; b < 30; b++) {
      await m.insertMetrics(Array.from({ length: 250 }, (_, i) => ({ atMs: b * 250 + i, nodeId: 1, name: 'n', value: b * 250 + i })));
      expect(m.metricRows).toBe(Math.min(1000, (b + 1) * 250));
    }
    const rows = await m.queryMetrics({ limit: 5000 });
    expect(rows.map((r) => r.value)).toEqual(Array.from({ length: 1000 }, (_, i) => 6500 + i));
    await m.insertMetrics(Array.from({ length: 1500 }, (_, i) => ({ atMs: 10_000 + i, nodeId: 2, name: 'n', value: i })));
    expect((await m.queryMetrics({ limit: 5000 })).map((r) => r.value)).toEqual(Array.from({ length: 1000 }, (_, i) => 500 + i));
    expect(new MemoryStore().maxMetricRows).toBe(1_000_000);
  });

  it('PostgreSQL: an unreachable server is CONFIG_INVALID naming the URL without its password', async () => {
    const net = await import('node:net');
    const port = await new Promise<number>((done) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => done(p));
      });
    });
    const msg = await codeOf(openStore({ url: `postgres://u:hunter2@127.0.0.1:${port}/db` }));
    expect(msg).toMatch(new RegExp(`^CONFIG_INVALID: cannot connect to PostgreSQL at postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/db: .*ECONNREFUSED`));
    expect(msg).not.toContain('hunter2');
    const keys = await codeOf(openStore({ user: 'u', password: 'hunter2', host: '127.0.0.1', port, database: 'db' }));
    expect(keys).toMatch(new RegExp(`^CONFIG_INVALID: cannot connect to PostgreSQL at postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/db: `));
    expect(keys).not.toContain('hunter2');
  });

  it('PostgreSQL: location hides the password; keys override the URL', () => {
    expect(postgresTarget({ url: 'postgres://me:p%40ss@db.example:6543/app?sslmode=disable' }).location).toBe('postgres://me:***@db.example:6543/app?sslmode=disable');
    expect(postgresTarget({ url: 'postgresql://me@h/app', password: 'x', port: 7 })).toEqual({ client: { connectionString: 'postgresql://me:x@h:7/app' }, location: 'postgresql://me:***@h:7/app' });
    expect(postgresTarget({ url: 'postgres://h/app?password=zzz' }).location).toBe('postgres://h/app?password=***');
    expect(postgresTarget({ host: 'h', user: 'me', password: 'x', database: 'd' }).location).toBe('postgres://me:***@h:5432/d');
  });

  it('PGlite: a relative path is relative to baseDir; a second open of the directory is refused while the first is open', async () => {
    const base = tempDir('nextmini-store-lock-');
    cpSync(pgliteTemplate, join(base, 'state'), { recursive: true });
    const a = await openStore({ path: 'state' }, { baseDir: base });
    expect(a.location).toBe(join(base, 'state'));
    expect(readFileSync(join(base, 'state', PGLITE_LOCK_FILE), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    expect(await codeOf(openStore({ path: join(base, 'state') }))).toMatch(/^CONFIG_INVALID: .*in use by this process/);
    await a.close();
    expect(readdirSync(join(base, 'state'))).not.toContain(PGLITE_LOCK_FILE);
    // A lock left by a process that is gone is taken over.
    writeFileSync(join(base, 'state', PGLITE_LOCK_FILE), '2147483600 1\n');
    const b = await openStore({ path: join(base, 'state') });
    await b.close();
    // A directory with other things in it is not a database.
    writeFileSync(join(base, 'notes.txt'), 'hi');
    expect(await codeOf(openStore({ path: base }))).toMatch(/^CONFIG_INVALID: .*not empty/);
  });

  it('PGlite: a write that resolved survives SIGKILL of the process right after', async () => {
    const dir = join(tempDir('nextmini-store-kill-'), 'db');
    cpSync(pgliteTemplate, dir, { recursive: true });
    // The child opens the directory with the store's own PGlite settings, writes N rows one
    // statement at a time, says so, and keeps writing until it is killed.
    const child = `
      const { PGlite } = await import('@electric-sql/pglite');
      const [dir, settings] = [process.argv[1], JSON.parse(process.argv[2])];
      const db = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, ...settings] });
      for (let i = 0; ; i++) {
        await db.query('INSERT INTO routes (src_node_id, dst_node_id, route) VALUES ($1, 0, $2::jsonb)', [i, JSON.stringify([i, 0])]);
        if (i === 199) process.stdout.write('written\\n');
      }`;
    const p = spawn(process.execPath, ['--input-type=module', '-e', child, dir, JSON.stringify(PGLITE_SETTINGS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((done, fail) => {
      p.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('written')) {
          p.kill('SIGKILL');
          done();
        }
      });
      p.once('exit', (code) => fail(new Error(`the writer exited on its own (${code})`)));
    });
    await new Promise((r) => p.once('exit', r));
    const s = await openStore({ path: dir });
    try {
      const got = (await s.loadRoutes()).map((r) => r.srcNodeId);
      expect(got.length).toBeGreaterThanOrEqual(200);
      expect(got.slice(0, 200)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    } finally {
      await s.close();
    }
  });

  it('neither database driver is imported at the top level of any module', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    walk(join(root, 'ts'));
    const offenders = files.filter((f) => /^\s*(import|export)\s+(?!type\b)[^;]*from\s+['"](@electric-sql\/pglite|pg)['"]/m.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
