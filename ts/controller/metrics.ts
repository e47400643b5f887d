// The controller's side of metrics, without sockets or SQL: nodes' reports are validated
// into store rows (MetricsBook.ingest), the latest value of every series is kept in memory
// and rendered in the Prometheus text exposition format (version 0.0.4) for GET /metrics,
// and the retention helpers say when to prune the store and up to when.
import type { MetricSample } from '../control/messages.js';
import type { MetricRow } from './store/store.js';

/** Samples accepted from one report; the rest are dropped (counted). */
export const MAX_SAMPLES_PER_REPORT = 4096;
/** Longest metric name accepted. */
export const MAX_METRIC_NAME = 128;
/** Dot-separated segments of letters, digits and underscores, each starting with a letter. */
const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$/;

export interface MetricsBookOptions {
  /** Default MAX_SAMPLES_PER_REPORT (4096). */
  maxSamplesPerReport?: number;
  /** Nodes whose latest values are kept; reports from further nodes are dropped (counted). Default 65 536. */
  maxNodes?: number;
}

/** Controller-level gauges for GET /metrics; absent or non-finite ones are left out. */
export interface ControllerGauges {
  /** Nodes connected now. */
  connected?: number;
  /** Nodes of the topology. */
  expected?: number;
  topologyReady?: boolean;
  /** Multicast groups. */
  groups?: number;
}

type MetricType = 'counter' | 'gauge';

/** Where one sample goes in the exposition: its family, the family's type and help, and an extra label. */
interface Family {
  name: string;
  type: MetricType;
  help: string;
  /** Sort position among families (known ones first, in a fixed order). */
  rank: number;
}
interface Placement {
  family: Family;
  /** A `reason` label (drops), if any. */
  reason?: string;
}

const fam = (name: string, type: MetricType, help: string, rank: number): Family => ({ name, type, help, rank });

/** camelCase (and dots) -> snake_case: `packetsSent` -> `packets_sent`, `a.bC` -> `a_b_c`. */
export function snakeCase(name: string): string {
  return name
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

// The families of the counters nodes report today (see node/metrics-reporter.ts), in the
// order they are rendered. Anything else a node reports becomes a gauge named after it.
let rank = 0;
const CONTROLLER_FAMILIES = {
  connected: fam('nextmini_nodes_connected', 'gauge', 'Nodes connected to the controller.', rank++),
  expected: fam('nextmini_nodes_expected', 'gauge', 'Nodes in the topology.', rank++),
  topologyReady: fam('nextmini_topology_ready', 'gauge', '1 once every node is connected with its links up, else 0.', rank++),
  groups: fam('nextmini_groups', 'gauge', 'Multicast groups.', rank++),
};
const LAST_REPORT = fam('nextmini_node_last_report_timestamp_seconds', 'gauge', 'When the node last reported its counters (Unix time).', rank++);
const DROPPED_SAMPLES = fam('nextmini_metric_samples_dropped_total', 'counter', 'Reported metric samples the controller refused (bad name or value, too many).', rank++);
const TOP = new Map<string, Family>();
for (const [name, type, help] of [
  ['messagesSent', 'counter', 'Messages the node sent.'],
  ['packetsSent', 'counter', 'Datagrams the node put on its links.'],
  ['packetsReceived', 'counter', 'Datagrams the node received.'],
  ['packetsForwarded', 'counter', 'Datagrams the node forwarded for others.'],
  ['messagesDelivered', 'counter', 'Messages delivered to receivers on the node.'],
  ['bytesDelivered', 'counter', 'Payload bytes delivered to receivers on the node.'],
  ['queued', 'gauge', 'Datagrams waiting in the node for a link.'],
  ['sessions.active', 'gauge', 'Lossless sessions sending or receiving on the node.'],
  ['sessions.completed', 'counter', 'Lossless sessions on the node that completed.'],
  ['sessions.failed', 'counter', 'Lossless sessions on the node that ended without completing.'],
] as const) {
  TOP.set(name, fam(`nextmini_${snakeCase(name)}${type === 'counter' ? '_total' : ''}`, type, help, rank++));
}
const DROPS = fam('nextmini_drops_total', 'counter', 'Traffic the node dropped, by reason.', rank++);
const LINK = new Map<string, Placement>();
for (const [name, type, help] of [
  ['bytesSent', 'counter', 'Bytes that left the emulated link.'],
  ['packetsSent', 'counter', 'Datagrams that left the emulated link.'],
] as const) {
  LINK.set(name, { family: fam(`nextmini_link_${snakeCase(name)}_total`, type, help, rank++) });
}
const LINK_DROPS = fam('nextmini_link_drops_total', 'counter', 'Datagrams the emulated link dropped, by reason (loss, queue, red).', rank++);
LINK.set('dropsLoss', { family: LINK_DROPS, reason: 'loss' });
LINK.set('dropsQueue', { family: LINK_DROPS, reason: 'queue' });
LINK.set('dropsRed', { family: LINK_DROPS, reason: 'red' });
for (const [name, help] of [
  ['queueDepth', 'Datagrams waiting for the emulated link rate limiter.'],
  ['inFlight', 'Datagrams in emulated propagation delay.'],
  ['measuredRate', 'Bytes per second that left the emulated link over the last second.'],
] as const) {
  LINK.set(name, { family: fam(`nextmini_link_${snakeCase(name)}`, 'gauge', help, rank++) });
}
const GENERIC_RANK = rank;

/** Family names with a fixed meaning; a node's other names may not map onto them. */
const RESERVED = new Set<string>([
  ...Object.values(CONTROLLER_FAMILIES).map((f) => f.name),
  LAST_REPORT.name,
  DROPPED_SAMPLES.name,
  ...[...TOP.values()].map((f) => f.name),
  DROPS.name,
  ...[...LINK.values()].map((p) => p.family.name),
]);

const generic = new Map<string, Family>();

/** Where a (valid) name goes; undefined when it would collide with a reserved family. */
function place(name: string): Placement | undefined {
  const top = TOP.get(name);
  if (top) return { family: top };
  const dot = name.indexOf('.');
  if (dot > 0 && name.indexOf('.', dot + 1) < 0) {
    const head = name.slice(0, dot);
    const tail = name.slice(dot + 1);
    if (head === 'drops') return { family: DROPS, reason: tail };
    const link = head === 'link' ? LINK.get(tail) : undefined;
    if (link) return link;
  }
  const family = `nextmini_${snakeCase(name)}`;
  if (RESERVED.has(family)) return undefined;
  let f = generic.get(family);
  if (!f) {
    f = fam(family, 'gauge', `Reported by nodes as ${name}.`, GENERIC_RANK);
    if (generic.size < 65_536) generic.set(family, f);
  }
  return { family: f };
}

interface Series {
  name: string;
  neighbor: number;
  value: number;
}

interface NodeState {
  atMs: number;
  /** The latest report's samples, by `name/neighbor`. */
  series: Map<string, Series>;
  dropped: number;
}

const isNodeId = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffff_ffff;

/**
 * Metric reports from nodes: `ingest` validates one report into store rows and keeps it as
 * the node's latest values; `prometheus` renders those. Bad input is dropped and counted,
 * never thrown.
 */
export class MetricsBook {
  readonly #maxSamples: number;
  readonly #maxNodes: number;
  readonly #nodes = new Map<number, NodeState>();
  /** Samples dropped with no node to charge them to (a bad node id, too many nodes). */
  #unattributed = 0;
  #dropped = 0;

  constructor(options: MetricsBookOptions = {}) {
    this.#maxSamples = Math.max(0, Math.floor(options.maxSamplesPerReport ?? MAX_SAMPLES_PER_REPORT));
    this.#maxNodes = Math.max(0, Math.floor(options.maxNodes ?? 65_536));
  }

  /** Samples dropped so far, all nodes together. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Samples of this node dropped so far. */
  droppedOf(nodeId: number): number {
    return this.#nodes.get(nodeId)?.dropped ?? 0;
  }

  /**
   * One report of node `nodeId` taken at `atMs`: returns the rows to insert into the store
   * (one per valid sample; a repeated name/neighbor keeps the last) and makes them the node's
   * latest values, replacing the previous report's (a report is the node's complete set).
   * Invalid samples (name not matching `a.b_c`-style segments or longer than 128, value not
   * finite, neighbor not an id) and samples beyond the per-report limit are dropped.
   */
  ingest(nodeId: number, samples: readonly MetricSample[], atMs: number): MetricRow[] {
    const count = Array.isArray(samples) ? samples.length : 0;
    let state = isNodeId(nodeId) ? this.#nodes.get(nodeId) : undefined;
    if (!state && isNodeId(nodeId) && this.#nodes.size < this.#maxNodes) {
      state = { atMs: 0, series: new Map(), dropped: 0 };
      this.#nodes.set(nodeId, state);
    }
    if (!state) {
      this.#unattributed += count;
      this.#dropped += count;
      return [];
    }
    const at = Number.isFinite(atMs) ? Math.floor(atMs) : Date.now();
    const series = new Map<string, Series>();
    let bad = Math.max(0, count - this.#maxSamples);
    const n = Math.min(count, this.#maxSamples);
    for (let i = 0; i < n; i++) {
      const s = samples[i] as Partial<MetricSample> | null | undefined;
      const name = s?.name;
      const value = s?.value;
      const neighbor = s?.neighbor ?? 0;
      if (
        typeof name !== 'string' ||
        name.length > MAX_METRIC_NAME ||
        !NAME_RE.test(name) ||
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        typeof neighbor !== 'number' ||
        !Number.isInteger(neighbor) ||
        neighbor < 0 ||
        neighbor > 0xffff_ffff ||
        place(name) === undefined
      ) {
        bad++;
        continue;
      }
      const key = `${name}/${neighbor}`;
      series.delete(key); // keeps insertion order = last occurrence
      series.set(key, { name, neighbor, value });
    }
    state.dropped += bad;
    this.#dropped += bad;
    state.atMs = at;
    state.series = series;
    const rows: MetricRow[] = [];
    for (const s of series.values()) {
      const row: MetricRow = { atMs: at, nodeId, name: s.name, value: s.value };
      if (s.neighbor > 0) row.neighbor = s.neighbor;
      rows.push(row);
    }
    return rows;
  }

  /** Forgets a node's latest values (they leave GET /metrics). */
  forgetNode(nodeId: number): void {
    this.#nodes.delete(nodeId);
  }

  /** The latest value of every series (of one node, or all), as rows. */
  latest(nodeId?: number): MetricRow[] {
    const out: MetricRow[] = [];
    for (const [id, st] of this.#nodes) {
      if (nodeId !== undefined && id !== nodeId) continue;
      for (const s of st.series.values()) {
        const row: MetricRow = { atMs: st.atMs, nodeId: id, name: s.name, value: s.value };
        if (s.neighbor > 0) row.neighbor = s.neighbor;
        out.push(row);
      }
    }
    return out;
  }

  /**
   * The latest values in the Prometheus text format (0.0.4): one `# HELP` and `# TYPE` per
   * family, families grouped; counters end in `_total`; labels `node`, `neighbor`, `reason`.
   */
  prometheus(extra: ControllerGauges = {}): string {
    type Row = { labels: [string, string][]; value: number; sort: (number | string)[] };
    const families = new Map<string, { f: Family; rows: Map<string, Row> }>();
    const add = (f: Family, labels: [string, string][], value: number, sort: (number | string)[]) => {
      let e = families.get(f.name);
      if (!e) families.set(f.name, (e = { f, rows: new Map() }));
      e.rows.set(labels.map(([k, v]) => `${k}=${v}`).join(','), { labels, value, sort });
    };
    const g = extra ?? {};
    for (const k of ['connected', 'expected', 'groups'] as const) {
      const v = g[k];
      if (typeof v === 'number' && Number.isFinite(v)) add(CONTROLLER_FAMILIES[k], [], v, []);
    }
    if (typeof g.topologyReady === 'boolean') add(CONTROLLER_FAMILIES.topologyReady, [], g.topologyReady ? 1 : 0, []);
    if (this.#unattributed > 0) add(DROPPED_SAMPLES, [], this.#unattributed, [0]);
    for (const [id, st] of this.#nodes) {
      const node: [string, string] = ['node', String(id)];
      add(LAST_REPORT, [node], st.atMs / 1000, [id]);
      add(DROPPED_SAMPLES, [node], st.dropped, [id]);
      for (const s of st.series.values()) {
        const p = place(s.name);
        if (!p) continue;
        const labels: [string, string][] = [node];
        if (s.neighbor > 0) labels.push(['neighbor', String(s.neighbor)]);
        if (p.reason !== undefined) labels.push(['reason', p.reason]);
        add(p.family, labels, s.value, [id, s.neighbor, p.reason ?? '']);
      }
    }
    const cmp = (a: (number | string)[], b: (number | string)[]): number => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const x = a[i] ?? '';
        const y = b[i] ?? '';
        if (x === y) continue;
        if (typeof x === 'number' && typeof y === 'number') return x - y;
        return String(x) < String(y) ? -1 : 1;
      }
      return 0;
    };
    const lines: string[] = [];
    const ordered = [...families.values()].sort((a, b) => a.f.rank - b.f.rank || (a.f.name < b.f.name ? -1 : a.f.name > b.f.name ? 1 : 0));
    for (const { f, rows } of ordered) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      for (const r of [...rows.values()].sort((a, b) => cmp(a.sort, b.sort))) {
        const labels = r.labels.length ? `{${r.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
        lines.push(`${f.name}${labels} ${formatValue(r.value)}`);
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

/** A label value escaped for the text format: backslash, double quote and newline. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escaped for the text format: backslash and newline. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Object.is(v, -0) ? '0' : String(v);
}

/** How often the controller prunes old samples from the store by default. */
export const METRICS_PRUNE_INTERVAL_MS = 60_000;

/**
 * How often to prune for a retention: every minute, or more often for retentions under ten
 * minutes (a tenth of the retention, at least a second), so samples outlive it by ≤ 10 %.
 */
export function metricsPruneIntervalMs(retentionS: number): number {
  return Math.max(1000, Math.min(METRICS_PRUNE_INTERVAL_MS, Math.floor((retentionS * 1000) / 10)));
}

/** Samples older than this (ms since the epoch) are past the retention: `store.pruneMetrics(cutoff)`. */
export function metricsCutoffMs(retentionS: number, nowMs: number): number {
  return nowMs - retentionS * 1000;
}

/**
 * When to prune: `due(now)` returns the cutoff for `store.pruneMetrics` once every
 * `intervalMs` (the first call included), otherwise null. For callers that prune on a path
 * they already run (e.g. each ingest) rather than on a timer.
 */
export class MetricsRetention {
  readonly retentionS: number;
  readonly intervalMs: number;
  #last = -Infinity;

  constructor(retentionS: number, intervalMs = metricsPruneIntervalMs(retentionS)) {
    this.retentionS = retentionS;
    this.intervalMs = intervalMs;
  }

  cutoff(nowMs: number): number {
    return metricsCutoffMs(this.retentionS, nowMs);
  }

  due(nowMs: number): number | null {
    if (nowMs - this.#last < this.intervalMs) return null;
    this.#last = nowMs;
    return this.cutoff(nowMs);
  }
}
