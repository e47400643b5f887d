// The SQL logic shared by the PGlite and PostgreSQL stores, over a minimal connection
// interface that each adapter (pglite.ts, postgres.ts) implements in a few lines. Neither
// driver is imported here.
//
// Writes run one at a time in call order (a write queue); each is a single autocommitted
// statement or one transaction, so its promise resolves only once it is committed. A group's
// creation (group row, trees, members) is one transaction. Reads wait for the writes queued
// before them, so a caller reads its own writes, but do not hold up later writes.
import { NextminiError } from '../../errors.js';
import type { Endpoint, TreeSpec } from '../../control/messages.js';
import type { LinkParamsConfig } from '../../config/link-config.js';
import { migrate } from './migrations.js';
import { checkMetricsQuery } from './memory.js';
import type { FlowResult, MetricRow, MetricsQuery, RouteSpec, Store, StoredGroup, StoredLink, StoredNode, StoredRoute, StoredState, StoreKind } from './store.js';

export type SqlRow = Record<string, unknown>;

/** What a statement needs: parameterised queries ($1, $2, ...) and multi-statement scripts. */
export interface SqlRunner {
  query<R = SqlRow>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** Runs a script of one or more statements without parameters. */
  exec(text: string): Promise<void>;
}

export interface SqlConnection extends SqlRunner {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** LISTENs on `channel`; resolves with a function that stops listening. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The channel that the routes table's trigger notifies (see migrations/001_init.ts). */
export const ROUTES_CHANNEL = 'nextmini_routes';

/** More rows than this in one insertMetrics call are split into several INSERTs in one transaction (5 parameters a row, 65,535 at most a statement). */
export const METRICS_ROWS_PER_INSERT = 10_000;

export const ipToText = (ip: number) => `${(ip >>> 24) & 255}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
export function ipFromText(text: string): number {
  const parts = text.replace(/\/\d+$/, '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new NextminiError('INTERNAL', `the store holds a group address that is not IPv4: ${text}`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** jsonb arrives parsed from both drivers; a string is parsed here in case a driver did not. */
/**
 * jsonb columns are selected as `::text` and parsed here exactly once, whatever the driver's own
 * type parsing: a row holding the JSON string '"[1,2]"' is a string, not a route.
 */
const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;
/** bigint arrives as a string from `pg`, as a number from PGlite. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
/** `$1, $2, ...` groups for a multi-row VALUES list, each row wrapped by `row`. */
function values(rows: number, cols: number, row: (ps: string[]) => string = (ps) => `(${ps.join(', ')})`): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(row(Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}`)));
  return out.join(', ');
}
const MS = (p: string) => `to_timestamp(${p}::float8 / 1000)`;
const AT_MS = (col: string) => `floor(extract(epoch from ${col}) * 1000)::float8`;

const sqlState = (err: unknown): string | undefined => (err as { code?: unknown } | null)?.code as string | undefined;

export class SqlStore implements Store {
  readonly kind: StoreKind;
  readonly location: string;
  readonly #db: SqlConnection;
  /** The last queued write; each new write runs after it. */
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(kind: StoreKind, location: string, db: SqlConnection) {
    this.kind = kind;
    this.location = location;
    this.#db = db;
  }

  /** Migrates the database, then wraps it; closes `db` if migrating fails. */
  static async open(kind: StoreKind, location: string, db: SqlConnection): Promise<SqlStore> {
    try {
      await migrate(db, location);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return new SqlStore(kind, location, db);
  }

  /** The connection itself (tests use it as "another client" where no second one can open). */
  get connection(): SqlConnection {
    return this.#db;
  }

  #checkOpen(): void {
    if (this.#closed) throw new NextminiError('CLOSED', `the ${this.kind} store at ${this.location} is closed`);
  }

  #write<T>(what: string, fn: (db: SqlConnection) => Promise<T>): Promise<T> {
    try {
      this.#checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.#writes.then(() => fn(this.#db)).catch((err: unknown) => {
      throw this.#wrap(what, err);
    });
    this.#writes = run.catch(() => {});
    return run;
  }

  async #read<T>(what: string, fn: (db: SqlConnection) => Promise<T>): Promise<T> {
    this.#checkOpen();
    await this.#writes;
    try {
      return await fn(this.#db);
    } catch (err) {
      throw this.#wrap(what, err);
    }
  }

  #wrap(what: string, err: unknown): unknown {
    if (err instanceof NextminiError) return err;
    return new NextminiError('INTERNAL', `the ${this.kind} store at ${this.location} failed to ${what}: ${(err as Error).message}`, { cause: err });
  }

  load(): Promise<StoredState> {
    return this.#read('load its state', (db) =>
      db.transaction(async (tx) => {
        // One snapshot for every table (READ COMMITTED would give each SELECT its own).
        await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        const groups = await tx.query('SELECT group_id, host(group_ip) AS group_ip, src_node_id, label FROM groups ORDER BY group_id');
        const trees = await tx.query('SELECT group_id, tree_id, weight, edges::text AS edges FROM group_trees ORDER BY group_id, tree_id');
        const members = await tx.query('SELECT group_id, node_id FROM group_members ORDER BY group_id, node_id');
        const links = await tx.query('SELECT src_node_id, dst_node_id, params::text AS params FROM links ORDER BY src_node_id, dst_node_id');
        const routes = await tx.query('SELECT src_node_id, dst_node_id, route::text AS route FROM routes ORDER BY src_node_id, dst_node_id');
        const nodes = await tx.query(`SELECT node_id, endpoints::text AS endpoints, connected, ${AT_MS('last_seen')} AS last_seen_ms FROM nodes ORDER BY node_id`);
        const byId = new Map<number, StoredGroup>();
        const out: StoredGroup[] = groups.rows.map((r) => {
          const g: StoredGroup = { groupId: num(r.group_id), groupIp: ipFromText(String(r.group_ip)), srcNodeId: num(r.src_node_id), label: String(r.label), trees: [], members: [] };
          byId.set(g.groupId, g);
          return g;
        });
        for (const r of trees.rows) byId.get(num(r.group_id))?.trees.push({ treeId: num(r.tree_id), weight: num(r.weight), edges: json<[number, number][]>(r.edges) });
        for (const r of members.rows) byId.get(num(r.group_id))?.members.push(num(r.node_id));
        return {
          groups: out,
          links: links.rows.map((r) => ({ srcNodeId: num(r.src_node_id), dstNodeId: num(r.dst_node_id), params: json<LinkParamsConfig>(r.params) })),
          routes: routes.rows.map(toRoute),
          nodes: nodes.rows.map((r) => ({
            nodeId: num(r.node_id),
            endpoints: json<Endpoint[]>(r.endpoints),
            connected: r.connected === true,
            lastSeenMs: num(r.last_seen_ms),
          })),
        };
      }),
    );
  }

  createGroup(g: StoredGroup): Promise<void> {
    return this.#write(`store group ${g.groupId}`, (db) =>
      db
        .transaction(async (tx) => {
          await tx.query('INSERT INTO groups (group_id, group_ip, src_node_id, label) VALUES ($1, $2::inet, $3, $4)', [g.groupId, ipToText(g.groupIp), g.srcNodeId, g.label]);
          await insertTrees(tx, g.groupId, g.trees);
          const members = [...new Set(g.members)];
          if (members.length) {
            await tx.query(
              `INSERT INTO group_members (group_id, node_id) VALUES ${values(members.length, 2)}`,
              members.flatMap((m) => [g.groupId, m]),
            );
          }
        })
        .catch((err: unknown) => {
          if (sqlState(err) === '23505') {
            throw new NextminiError('INVALID_ARGUMENT', `the ${this.kind} store at ${this.location} already has group ${g.groupId} or a group with address ${ipToText(g.groupIp)}`, { cause: err });
          }
          throw err;
        }),
    );
  }

  setGroupTrees(groupId: number, trees: TreeSpec[]): Promise<void> {
    return this.#write(`store the trees of group ${groupId}`, (db) =>
      db.transaction(async (tx) => {
        await this.#lockGroup(tx, groupId);
        await tx.query('DELETE FROM group_trees WHERE group_id = $1', [groupId]);
        await insertTrees(tx, groupId, trees);
      }),
    );
  }

  addMember(groupId: number, nodeId: number): Promise<void> {
    return this.#write(`store node ${nodeId} joining group ${groupId}`, (db) =>
      db.query('INSERT INTO group_members (group_id, node_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [groupId, nodeId]).then(
        () => {},
        (err: unknown) => {
          if (sqlState(err) === '23503') throw this.#unknownGroup(groupId, err);
          throw err;
        },
      ),
    );
  }

  removeMember(groupId: number, nodeId: number): Promise<void> {
    return this.#write(`store node ${nodeId} leaving group ${groupId}`, async (db) => {
      await db.query('DELETE FROM group_members WHERE group_id = $1 AND node_id = $2', [groupId, nodeId]);
    });
  }

  deleteGroup(groupId: number): Promise<void> {
    return this.#write(`delete group ${groupId}`, async (db) => {
      await db.query('DELETE FROM groups WHERE group_id = $1', [groupId]); // members and trees cascade
    });
  }

  async #lockGroup(tx: SqlRunner, groupId: number): Promise<void> {
    const r = await tx.query('SELECT 1 FROM groups WHERE group_id = $1 FOR UPDATE', [groupId]);
    if (!r.rows.length) throw this.#unknownGroup(groupId);
  }

  #unknownGroup(groupId: number, cause?: unknown): NextminiError {
    return new NextminiError('UNKNOWN_GROUP', `the ${this.kind} store at ${this.location} has no group ${groupId}`, cause === undefined ? undefined : { cause });
  }

  putLink(l: StoredLink): Promise<void> {
    return this.#write(`store link ${l.srcNodeId} -> ${l.dstNodeId}`, async (db) => {
      await db.query(
        `INSERT INTO links (src_node_id, dst_node_id, params) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (src_node_id, dst_node_id) DO UPDATE SET params = EXCLUDED.params, updated_at = now()`,
        [l.srcNodeId, l.dstNodeId, JSON.stringify(l.params)],
      );
    });
  }

  putRoute(r: StoredRoute): Promise<void> {
    return this.#write(`store the route ${r.srcNodeId} -> ${r.dstNodeId}`, async (db) => {
      await db.query(
        `INSERT INTO routes (src_node_id, dst_node_id, route) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (src_node_id, dst_node_id) DO UPDATE SET route = EXCLUDED.route, updated_at = now()`,
        [r.srcNodeId, r.dstNodeId, JSON.stringify(r.route)],
      );
    });
  }

  deleteRoute(srcNodeId: number, dstNodeId: number): Promise<void> {
    return this.#write(`delete the route ${srcNodeId} -> ${dstNodeId}`, async (db) => {
      await db.query('DELETE FROM routes WHERE src_node_id = $1 AND dst_node_id = $2', [srcNodeId, dstNodeId]);
    });
  }

  loadRoutes(): Promise<StoredRoute[]> {
    return this.#read('load the routes', async (db) => (await db.query('SELECT src_node_id, dst_node_id, route::text AS route FROM routes ORDER BY src_node_id, dst_node_id')).rows.map(toRoute));
  }

  async watchRoutes(onChange: () => void): Promise<() => Promise<void>> {
    this.#checkOpen();
    try {
      return await this.#db.listen(ROUTES_CHANNEL, onChange);
    } catch (err) {
      throw this.#wrap('watch the routes table', err);
    }
  }

  putNode(n: StoredNode): Promise<void> {
    // The version-1 columns show the first socket address, for people reading the table.
    const shown = n.endpoints.find((e) => e.protocol === 'udp' || e.protocol === 'tcp') ?? n.endpoints[0] ?? { host: '', port: 0 };
    return this.#write(`store node ${n.nodeId}`, async (db) => {
      await db.query(
        `INSERT INTO nodes (node_id, protocol, data_host, data_port, endpoints, connected, last_seen) VALUES ($1, $2, $3, $4, $5::jsonb, $6, ${MS('$7')})
         ON CONFLICT (node_id) DO UPDATE SET protocol = EXCLUDED.protocol, data_host = EXCLUDED.data_host, data_port = EXCLUDED.data_port,
           endpoints = EXCLUDED.endpoints, connected = EXCLUDED.connected, last_seen = EXCLUDED.last_seen`,
        [n.nodeId, n.endpoints.map((e) => e.protocol).join(','), shown.host, shown.port, JSON.stringify(n.endpoints), n.connected, n.lastSeenMs],
      );
    });
  }

  /** One multi-row INSERT per call (several in one transaction past METRICS_ROWS_PER_INSERT rows). */
  insertMetrics(rows: MetricRow[]): Promise<void> {
    if (!rows.length) return this.#write('store no metric samples', async () => {});
    const chunks: MetricRow[][] = [];
    for (let i = 0; i < rows.length; i += METRICS_ROWS_PER_INSERT) chunks.push(rows.slice(i, i + METRICS_ROWS_PER_INSERT));
    const insert = (db: SqlRunner, chunk: MetricRow[]) =>
      db.query(
        `INSERT INTO metrics (at, node_id, name, neighbor, value) VALUES ${values(chunk.length, 5, ([at, ...rest]) => `(${MS(at!)}, ${rest.join(', ')})`)}`,
        chunk.flatMap((m) => [m.atMs, m.nodeId, m.name, m.neighbor ?? null, m.value]),
      );
    return this.#write(`store ${rows.length} metric samples`, async (db) => {
      if (chunks.length === 1) await insert(db, chunks[0]!);
      else await db.transaction(async (tx) => {
        for (const c of chunks) await insert(tx, c);
      });
    });
  }

  /** The newest `limit` matching samples (by time; ties in insertion order), oldest first. */
  queryMetrics(q: MetricsQuery): Promise<MetricRow[]> {
    let query: ReturnType<typeof checkMetricsQuery>;
    try {
      this.#checkOpen();
      query = checkMetricsQuery(q);
    } catch (err) {
      return Promise.reject(err);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.nodeId !== undefined) where.push(`node_id = $${params.push(query.nodeId)}`);
    if (query.name !== undefined) where.push(`name = $${params.push(query.name)}`);
    if (query.sinceMs !== undefined) where.push(`at >= ${MS(`$${params.push(query.sinceMs)}`)}`);
    if (query.limit === 0) return Promise.resolve([]);
    const text = `SELECT * FROM (
        SELECT id, ${AT_MS('at')} AS at_ms, node_id, name, neighbor, value FROM metrics
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC LIMIT $${params.push(query.limit)}
      ) newest ORDER BY at_ms, id`;
    return this.#read('query metrics', async (db) =>
      (await db.query(text, params)).rows.map((r) => {
        const m: MetricRow = { atMs: num(r.at_ms), nodeId: num(r.node_id), name: String(r.name), value: num(r.value) };
        if (r.neighbor !== null && r.neighbor !== undefined) m.neighbor = num(r.neighbor);
        return m;
      }),
    );
  }

  pruneMetrics(beforeMs: number): Promise<void> {
    return this.#write('prune metrics', async (db) => {
      await db.query(`DELETE FROM metrics WHERE at < ${MS('$1')}`, [beforeMs]);
    });
  }

  putFlow(f: FlowResult): Promise<void> {
    return this.#write(`store flow ${f.flowId}`, async (db) => {
      await db.query(
        `INSERT INTO flows (flow_id, src_node_id, dst_node_id, spec, state, reason, bytes_sent, bytes_received, packets_sent, packets_received,
           duplicates, frames_resent, loss, started_at_ms, ended_at_ms, duration_ms, completion_ms)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (flow_id) DO UPDATE SET src_node_id = EXCLUDED.src_node_id, dst_node_id = EXCLUDED.dst_node_id, spec = EXCLUDED.spec,
           state = EXCLUDED.state, reason = EXCLUDED.reason, bytes_sent = EXCLUDED.bytes_sent, bytes_received = EXCLUDED.bytes_received,
           packets_sent = EXCLUDED.packets_sent, packets_received = EXCLUDED.packets_received, duplicates = EXCLUDED.duplicates,
           frames_resent = EXCLUDED.frames_resent, loss = EXCLUDED.loss, started_at_ms = EXCLUDED.started_at_ms, ended_at_ms = EXCLUDED.ended_at_ms,
           duration_ms = EXCLUDED.duration_ms, completion_ms = EXCLUDED.completion_ms, updated_at = now()`,
        [f.flowId, f.spec.src, f.spec.dst, JSON.stringify(f.spec), f.state, f.reason, f.bytesSent, f.bytesReceived, f.packetsSent, f.packetsReceived,
          f.duplicates, f.framesResent, f.loss, f.startedAtMs, f.endedAtMs, f.durationMs, f.completionMs],
      );
    });
  }

  loadFlows(): Promise<FlowResult[]> {
    const opt = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
    return this.#read('load the flows', async (db) =>
      (
        await db.query(
          `SELECT flow_id, spec::text AS spec, state, reason, bytes_sent, bytes_received, packets_sent, packets_received, duplicates, frames_resent,
             loss, started_at_ms, ended_at_ms, duration_ms, completion_ms FROM flows ORDER BY flow_id`,
        )
      ).rows.map((r) => ({
        flowId: num(r.flow_id),
        spec: json<FlowResult['spec']>(r.spec),
        state: String(r.state) as FlowResult['state'],
        reason: String(r.reason),
        bytesSent: num(r.bytes_sent),
        bytesReceived: num(r.bytes_received),
        packetsSent: num(r.packets_sent),
        packetsReceived: num(r.packets_received),
        duplicates: num(r.duplicates),
        framesResent: num(r.frames_resent),
        loss: opt(r.loss),
        startedAtMs: opt(r.started_at_ms),
        endedAtMs: opt(r.ended_at_ms),
        durationMs: opt(r.duration_ms),
        completionMs: opt(r.completion_ms),
      })),
    );
  }

  /** Waits for the queued writes, then closes the connection. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = this.#writes.then(() => this.#db.close());
    }
    return this.#closing;
  }
}

async function insertTrees(tx: SqlRunner, groupId: number, trees: TreeSpec[]): Promise<void> {
  if (!trees.length) return;
  await tx.query(
    `INSERT INTO group_trees (group_id, tree_id, weight, edges) VALUES ${values(trees.length, 4, ([g, t, w, e]) => `(${g}, ${t}, ${w}, ${e}::jsonb)`)}`,
    trees.flatMap((t) => [groupId, t.treeId, t.weight, JSON.stringify(t.edges)]),
  );
}

function toRoute(r: SqlRow): StoredRoute {
  let route: RouteSpec;
  try {
    route = json<RouteSpec>(r.route);
  } catch {
    // Rows come from any client (psql): one that cannot be read is handed on as its text, for
    // the controller to refuse by name instead of failing the whole table.
    route = String(r.route) as unknown as RouteSpec;
  }
  return { srcNodeId: num(r.src_node_id), dstNodeId: num(r.dst_node_id), route };
}
