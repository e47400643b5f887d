// What the controller's logic needs from a store: load everything at start, apply each
// change (committed before the caller is answered), watch run-time routes written by other
// clients, and keep metrics. Three implementations share this interface: memory.ts (no
// database), pglite.ts (PGlite, in memory or in a directory) and postgres.ts (a server
// through `pg`); the two SQL stores run the same migrations (migrations.ts).
import type { LinkParamsConfig } from '../../config/link-config.js';
import type { Endpoint, TreeSpec } from '../../control/messages.js';
import type { FlowResult } from '../flow-book.js';

export type { FlowResult };

export type StoreKind = 'memory' | 'pglite' | 'postgres';

/** A run-time route: a path `[1, 2, 3]` or DAG edges `[[1, 2], [2, 3]]`, as in `[[routes]]`. */
export type RouteSpec = number[] | [number, number][];

export interface StoredRoute {
  srcNodeId: number;
  dstNodeId: number;
  route: RouteSpec;
}

export interface StoredLink {
  srcNodeId: number;
  dstNodeId: number;
  /** The link's full emulation after the change (snake_case keys as in the config). */
  params: LinkParamsConfig;
}

export interface StoredGroup {
  groupId: number;
  /** The group address as a 32-bit number. */
  groupIp: number;
  srcNodeId: number;
  label: string;
  trees: TreeSpec[];
  members: number[];
}

export interface StoredNode {
  nodeId: number;
  /** Every transport the node announced in its last hello. */
  endpoints: Endpoint[];
  connected: boolean;
  lastSeenMs: number;
}

/** One metric sample as stored and served. */
export interface MetricRow {
  atMs: number;
  nodeId: number;
  name: string;
  value: number;
  /** Per-link counters: the neighbour at the link's other end. */
  neighbor?: number;
}

export interface MetricsQuery {
  nodeId?: number;
  name?: string;
  sinceMs?: number;
  /** At most this many rows, newest last. Default 10 000. */
  limit?: number;
}

export interface StoredState {
  groups: StoredGroup[];
  links: StoredLink[];
  routes: StoredRoute[];
  nodes: StoredNode[];
}

export interface Store {
  readonly kind: StoreKind;
  /** Where the data lives, for status(): a directory, a URL with the password hidden, or 'memory'. */
  readonly location: string;
  /** Everything the controller restores at start. */
  load(): Promise<StoredState>;

  createGroup(g: StoredGroup): Promise<void>;
  setGroupTrees(groupId: number, trees: TreeSpec[]): Promise<void>;
  addMember(groupId: number, nodeId: number): Promise<void>;
  removeMember(groupId: number, nodeId: number): Promise<void>;
  /** Removes the group, its members and its trees. */
  deleteGroup(groupId: number): Promise<void>;

  /** Upserts a directed link's emulation. */
  putLink(l: StoredLink): Promise<void>;

  /** Upserts the run-time route for (src, dst). */
  putRoute(r: StoredRoute): Promise<void>;
  /** Removes the run-time route for (src, dst); a no-op when there is none. */
  deleteRoute(srcNodeId: number, dstNodeId: number): Promise<void>;
  loadRoutes(): Promise<StoredRoute[]>;
  /**
   * Calls `onChange` when the routes table changes, including by another client (LISTEN/NOTIFY
   * on the SQL stores; the memory store has no other clients and never calls it). Resolves
   * with a function that stops watching.
   */
  watchRoutes(onChange: () => void): Promise<() => Promise<void>>;

  /** Upserts a node's row (addresses, connected, last seen). */
  putNode(n: StoredNode): Promise<void>;

  insertMetrics(rows: MetricRow[]): Promise<void>;
  queryMetrics(q: MetricsQuery): Promise<MetricRow[]>;
  /** Deletes samples older than `beforeMs`. */
  pruneMetrics(beforeMs: number): Promise<void>;

  /** Upserts a traffic flow's row: its spec, state and results. */
  putFlow(f: FlowResult): Promise<void>;
  /** Every stored flow, by id. */
  loadFlows(): Promise<FlowResult[]>;

  close(): Promise<void>;
}
