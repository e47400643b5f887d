// The store for a controller without a database: plain Maps, gone when the process ends.
// Metrics are bounded: at most `maxMetricRows` samples (default 1,000,000, about 100 MB), and
// inserting past that drops the oldest-inserted samples first. No other client can change it,
// so watchRoutes never calls back.
import { NextminiError } from '../../errors.js';
import type { TreeSpec } from '../../control/messages.js';
import type { FlowResult, MetricRow, MetricsQuery, Store, StoredGroup, StoredLink, StoredNode, StoredRoute, StoredState } from './store.js';

/** Default bound on the memory store's metric samples. */
export const MEMORY_METRICS_MAX_ROWS = 1_000_000;
/** queryMetrics' default `limit`. */
export const METRICS_DEFAULT_LIMIT = 10_000;

export interface MemoryStoreOptions {
  /** Keep at most this many metric samples, dropping the oldest inserted. Default 1,000,000. */
  maxMetricRows?: number;
}

/** Validates a metrics query and fills in its default limit (shared by every store). */
/** The most rows one metrics query may return: an answer stays a few MiB at most. */
export const METRICS_MAX_LIMIT = 100_000;

/** Checks a metrics query the same way for every store; what no store can answer is INVALID_ARGUMENT. */
export function checkMetricsQuery(q: MetricsQuery): { nodeId?: number; name?: string; sinceMs?: number; limit: number } {
  const bad = (what: string, v: unknown) => new NextminiError('INVALID_ARGUMENT', `metrics query: ${what}, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(v)}`);
  const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (q.nodeId !== undefined && !int(q.nodeId, 1, 0xffff_ffff)) throw bad('nodeId must be a node id (1 to 4294967295)', q.nodeId);
  // Dates reach 8.64e15 ms either side of the epoch.
  if (q.sinceMs !== undefined && !(typeof q.sinceMs === 'number' && Number.isFinite(q.sinceMs) && Math.abs(q.sinceMs) <= 8.64e15)) {
    throw bad('sinceMs must be a time in ms since the epoch', q.sinceMs);
  }
  if (q.limit !== undefined && !int(q.limit, 0, METRICS_MAX_LIMIT)) throw bad(`limit must be a whole number from 0 to ${METRICS_MAX_LIMIT}`, q.limit);
  if (q.name !== undefined && !(typeof q.name === 'string' && q.name.length <= 128 && !q.name.includes('\0'))) {
    throw bad('name must be a metric name (a string of at most 128 characters)', q.name);
  }
  return { nodeId: q.nodeId, name: q.name, sinceMs: q.sinceMs, limit: q.limit ?? METRICS_DEFAULT_LIMIT };
}

export const routeKey = (src: number, dst: number) => `${src}>${dst}`;
const copyTrees = (trees: TreeSpec[]): TreeSpec[] => trees.map((t) => ({ treeId: t.treeId, weight: t.weight, edges: t.edges.map(([a, b]) => [a, b] as [number, number]) }));
const copyGroup = (g: StoredGroup): StoredGroup => ({ groupId: g.groupId, groupIp: g.groupIp, srcNodeId: g.srcNodeId, label: g.label, trees: copyTrees(g.trees), members: [...g.members] });
const copyJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const copyMetric = (m: MetricRow): MetricRow => {
  const out: MetricRow = { atMs: m.atMs, nodeId: m.nodeId, name: m.name, value: m.value };
  if (m.neighbor !== undefined && m.neighbor !== null) out.neighbor = m.neighbor;
  return out;
};
const byPair = <T extends { srcNodeId: number; dstNodeId: number }>(a: T, b: T) => a.srcNodeId - b.srcNodeId || a.dstNodeId - b.dstNodeId;

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly location = 'memory';
  readonly maxMetricRows: number;
  readonly #groups = new Map<number, StoredGroup>();
  readonly #links = new Map<string, StoredLink>();
  readonly #routes = new Map<string, StoredRoute>();
  readonly #nodes = new Map<number, StoredNode>();
  readonly #flows = new Map<number, FlowResult>();
  /** Samples in insertion order; the live ones are #metrics[#head..]. */
  #metrics: MetricRow[] = [];
  #head = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxMetricRows ?? MEMORY_METRICS_MAX_ROWS;
    if (!Number.isInteger(max) || max < 0) throw new NextminiError('INVALID_ARGUMENT', `maxMetricRows must be a non-negative integer, got ${String(max)}`);
    this.maxMetricRows = max;
  }

  /** How many metric samples are held. */
  get metricRows(): number {
    return this.#metrics.length - this.#head;
  }

  #open(): void {
    if (this.#closed) throw new NextminiError('CLOSED', 'the memory store is closed');
  }

  async load(): Promise<StoredState> {
    this.#open();
    return {
      groups: [...this.#groups.values()].sort((a, b) => a.groupId - b.groupId).map(copyGroup),
      links: [...this.#links.values()].sort(byPair).map(copyJson),
      routes: await this.loadRoutes(),
      nodes: [...this.#nodes.values()].sort((a, b) => a.nodeId - b.nodeId).map((n) => ({ ...n })),
    };
  }

  #group(groupId: number): StoredGroup {
    const g = this.#groups.get(groupId);
    if (!g) throw new NextminiError('UNKNOWN_GROUP', `the memory store has no group ${groupId}`);
    return g;
  }

  async createGroup(g: StoredGroup): Promise<void> {
    this.#open();
    if (this.#groups.has(g.groupId)) throw new NextminiError('INVALID_ARGUMENT', `the memory store already has group ${g.groupId}`);
    for (const other of this.#groups.values()) {
      if (other.groupIp === g.groupIp) throw new NextminiError('INVALID_ARGUMENT', `the memory store already has a group with address ${g.groupIp} (group ${other.groupId})`);
    }
    const copy = copyGroup(g);
    copy.members = [...new Set(copy.members)].sort((a, b) => a - b);
    copy.trees.sort((a, b) => a.treeId - b.treeId);
    this.#groups.set(g.groupId, copy);
  }

  async setGroupTrees(groupId: number, trees: TreeSpec[]): Promise<void> {
    this.#open();
    this.#group(groupId).trees = copyTrees(trees).sort((a, b) => a.treeId - b.treeId);
  }

  async addMember(groupId: number, nodeId: number): Promise<void> {
    this.#open();
    const g = this.#group(groupId);
    if (!g.members.includes(nodeId)) g.members = [...g.members, nodeId].sort((a, b) => a - b);
  }

  async removeMember(groupId: number, nodeId: number): Promise<void> {
    this.#open();
    const g = this.#groups.get(groupId);
    if (g) g.members = g.members.filter((m) => m !== nodeId);
  }

  async deleteGroup(groupId: number): Promise<void> {
    this.#open();
    this.#groups.delete(groupId);
  }

  async putLink(l: StoredLink): Promise<void> {
    this.#open();
    this.#links.set(routeKey(l.srcNodeId, l.dstNodeId), copyJson(l));
  }

  async putRoute(r: StoredRoute): Promise<void> {
    this.#open();
    this.#routes.set(routeKey(r.srcNodeId, r.dstNodeId), copyJson(r));
  }

  async deleteRoute(srcNodeId: number, dstNodeId: number): Promise<void> {
    this.#open();
    this.#routes.delete(routeKey(srcNodeId, dstNodeId));
  }

  async loadRoutes(): Promise<StoredRoute[]> {
    this.#open();
    return [...this.#routes.values()].sort(byPair).map(copyJson);
  }

  /** Nothing else can change this store: `onChange` is never called. */
  async watchRoutes(_onChange: () => void): Promise<() => Promise<void>> {
    this.#open();
    return async () => {};
  }

  async putNode(n: StoredNode): Promise<void> {
    this.#open();
    this.#nodes.set(n.nodeId, { ...n, endpoints: n.endpoints.map((e) => ({ ...e })) });
  }

  async insertMetrics(rows: MetricRow[]): Promise<void> {
    this.#open();
    if (this.maxMetricRows === 0) return;
    const from = Math.max(0, rows.length - this.maxMetricRows);
    for (let i = from; i < rows.length; i++) this.#metrics.push(copyMetric(rows[i]!));
    const over = this.metricRows - this.maxMetricRows;
    if (over > 0) this.#head += over;
    this.#compact();
  }

  /** Drops the dead prefix once it is large and at least half the array (amortised O(1) per row). */
  #compact(): void {
    if (this.#head > 4096 && this.#head * 2 >= this.#metrics.length) {
      this.#metrics = this.#metrics.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The newest `limit` matching samples (by atMs; ties in insertion order), oldest first. */
  async queryMetrics(q: MetricsQuery): Promise<MetricRow[]> {
    this.#open();
    const { nodeId, name, sinceMs, limit } = checkMetricsQuery(q);
    if (limit === 0) return [];
    const hits: MetricRow[] = [];
    let sorted = true;
    for (let i = this.#head; i < this.#metrics.length; i++) {
      const m = this.#metrics[i]!;
      if (nodeId !== undefined && m.nodeId !== nodeId) continue;
      if (name !== undefined && m.name !== name) continue;
      if (sinceMs !== undefined && m.atMs < sinceMs) continue;
      if (hits.length && hits[hits.length - 1]!.atMs > m.atMs) sorted = false;
      hits.push(m);
    }
    if (!sorted) hits.sort((a, b) => a.atMs - b.atMs); // stable: ties keep insertion order
    return hits.slice(Math.max(0, hits.length - limit)).map(copyMetric);
  }

  async pruneMetrics(beforeMs: number): Promise<void> {
    this.#open();
    const kept: MetricRow[] = [];
    for (let i = this.#head; i < this.#metrics.length; i++) {
      const m = this.#metrics[i]!;
      if (m.atMs >= beforeMs) kept.push(m);
    }
    this.#metrics = kept;
    this.#head = 0;
  }

  async putFlow(f: FlowResult): Promise<void> {
    this.#open();
    this.#flows.set(f.flowId, copyJson(f));
  }

  async loadFlows(): Promise<FlowResult[]> {
    this.#open();
    return [...this.#flows.values()].sort((a, b) => a.flowId - b.flowId).map(copyJson);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
