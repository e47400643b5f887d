import { NextminiError } from '../errors.js';
import { TableReader, ipv4ToInt, type Table } from './reader.js';
import { LINK_KEYS, readLinkParams, type LinkParamsConfig } from './link-config.js';
import { readDbConfig, type DbConfig } from './db-config.js';
import { logger } from '../log.js';
import { readSecurityConfig, type SecurityConfig, type SecurityConfigInput } from './security-config.js';
import { readFlows, type FlowSpec, type FlowTransportName } from './flow-config.js';

/** Controller configuration, as in a controller TOML file (snake_case keys). */
export interface ControllerConfig extends SecurityConfigInput {
  /** WebSocket port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Address to listen on. Default "127.0.0.1". */
  host?: string;
  /** A node's user-space address is this base + its node id. Default "192.168.0.0". */
  user_space_base_addr?: string;
  topology: TopologyConfig;
  /** Where the controller keeps its state: `url` (PostgreSQL) or `path` (PGlite); neither = memory. */
  db?: DbConfig;
  /**
   * `shortest_path`: ECMP shortest paths between every pair, `[[routes]]` winning for their
   * pairs. `explicit`: only `[[routes]]` (and run-time routes). Default: `explicit` in a TOML
   * file (upstream's rule: no `[routing]`, no topology-derived routes), `shortest_path` in a
   * config object.
   */
  routing?: { protocol?: 'shortest_path' | 'explicit' };
  /** Explicit routes: a path `[1,2,3]` or a DAG `[[1,2],[2,4],[1,3],[3,4]]`. */
  routes?: { route: number[] | [number, number][] }[];
  /** Per-node overrides. */
  nodes?: {
    node_id: number;
    operating_mode?: 'normal' | 'max';
    /** This node's own secret: it must prove this one (auth_token does not work for it). */
    token?: string;
    /** A file holding `token` (trailing whitespace trimmed). */
    token_file?: string;
    /** A data address the controller accepts in this node's hello besides the connection's own. */
    public_network_addr?: string;
  }[];
  /** First address of the multicast group pool. Default "239.255.0.0". */
  multicast_pool_base?: string;
  /** Netmask of the pool. Default "255.255.0.0". */
  multicast_pool_mask?: string;
  /** Emulation applied to every link (each direction). */
  link_defaults?: LinkParamsConfig;
  /** The seed system's rate limits: `{ src_node_id, dst_node_id, rate, bucket_size }`. */
  link_rates?: { src_node_id: number; dst_node_id: number; rate: number; bucket_size: number }[];
  /** Per-link emulation; `bidirectional = true` applies it to both directions. */
  links?: (LinkParamsConfig & { src_node_id: number; dst_node_id: number; bidirectional?: boolean })[];
  /** Metric samples reported by nodes are kept this long (seconds). Default 3600. */
  metrics_retention_s?: number;
  /** Upstream nextmini's name for `[link_defaults] scheduler`. */
  scheduler_type?: 'fifo' | 'wrr';
  /** Upstream nextmini's name for `[link_defaults] drop`: "taildrop" is "tail". */
  scheduler_drop_strategy?: 'taildrop' | 'red';
  /** Traffic the controller has the nodes generate once both ends are connected (see README "Traffic flows"). */
  flows?: FlowConfig[];
  /** The transport of flows that name none. Default "lossless". */
  flow_transport?: FlowTransportName;
}

/** One `[[flows]]` entry, as upstream nextmini writes it. */
export interface FlowConfig {
  src_node_id: number;
  dst_node_id: number;
  flow_spec: {
    /** `{ Bytes = n }` or `{ Duration = ms }` (milliseconds). */
    flow_len: { Bytes?: number; Duration?: number };
    /** Bytes per second: required for datagram flows and Duration flows. */
    flow_rate?: number;
    /** Weight for weighted round robin, >= 1. Default 1. */
    flow_weight?: number;
    transport?: FlowTransportName;
  };
}

/** One directed link's emulation as configured, before it is checked against the topology. */
export interface LinkRule {
  where: string;
  src: number;
  dst: number;
  params: LinkParamsConfig;
}

export interface TopologyConfig {
  /** Omit (or "custom") for a custom topology given by `n_nodes` and `edges`. */
  type?: 'full_mesh' | 'ring' | 'torus' | 'fat_tree' | 'custom';
  /** Upstream nextmini's alias of `type`. */
  topology?: 'full_mesh' | 'ring' | 'torus' | 'fat_tree' | 'custom';
  full_mesh_config?: { n_nodes: number };
  ring_config?: { n_nodes: number };
  torus_config?: { dim: number; n: number };
  fat_tree_config?: { k: number };
  n_nodes?: number;
  edges?: [number, number][];
}

export interface ResolvedControllerConfig {
  port: number;
  host: string;
  userSpaceBase: number;
  topology: { kind: 'full_mesh' | 'ring' | 'torus' | 'fat_tree' | 'custom'; a: number; b: number; edges: number[] };
  /** Flat encoding for the core: {1, count, nodes…} paths, {2, count, pairs…} DAGs. */
  explicitRoutes: number[];
  /** Shortest paths under the explicit routes ([routing] protocol = "shortest_path"), or explicit routes only. */
  shortestPaths: boolean;
  operatingModes: Map<number, 'normal' | 'max'>;
  multicastPoolBase: number;
  multicastPoolMask: number;
  linkDefaults: LinkParamsConfig;
  /** In the order they apply: [[link_rates]] first, then [[links]] (later keys win). */
  linkRules: LinkRule[];
  db: DbConfig | undefined;
  /** `metrics_retention_s`. */
  metricsRetentionS: number;
  security: SecurityConfig;
  /** `[[flows]]`, in file order (their ids are 1, 2, ... at each start). */
  flows: FlowSpec[];
}

// Every top-level key; a Record so that a key added to ControllerConfig must be added here.
const CONTROLLER_KEY_SET: Record<keyof ControllerConfig, true> = {
  port: true,
  host: true,
  user_space_base_addr: true,
  topology: true,
  db: true,
  routing: true,
  routes: true,
  nodes: true,
  multicast_pool_base: true,
  multicast_pool_mask: true,
  link_defaults: true,
  link_rates: true,
  links: true,
  metrics_retention_s: true,
  scheduler_type: true,
  scheduler_drop_strategy: true,
  flows: true,
  flow_transport: true,
  auth_token: true,
  auth_token_file: true,
  admin_token: true,
  admin_token_file: true,
  tls: true,
  allow_any_data_host: true,
  max_label_bytes: true,
  max_groups_per_node: true,
  max_frame_bytes: true,
  max_hello_bytes: true,
  max_pending_per_address: true,
  max_pending_total: true,
};
export const CONTROLLER_KEYS: readonly string[] = Object.keys(CONTROLLER_KEY_SET);

/**
 * Keys of upstream nextmini's controller configs with no effect here: `protocol` (here each
 * node's config says what it speaks). Warned, not refused.
 */
export const UPSTREAM_CONTROLLER_KEYS: readonly string[] = [
  'protocol',
  // Upstream's connection-on-demand TCP server, and its TUN address plan (the TUN network,
  // its mask, the external network): there is no TUN here, and user-space addresses come
  // from user_space_base_addr.
  'max_server_port',
  'base_addr',
  'net_mask',
  'external_base_addr',
];

const log = logger('config');

const TOPOLOGY_KEYS: readonly (keyof TopologyConfig)[] = ['type', 'topology', 'full_mesh_config', 'ring_config', 'torus_config', 'fat_tree_config', 'n_nodes', 'edges'];
const NODES_KEYS = ['node_id', 'operating_mode', 'token', 'token_file', 'public_network_addr'] as const;

/**
 * Upstream's top-level scheduler_type and scheduler_drop_strategy set every link's queue
 * discipline: here they are aliases of [link_defaults] scheduler and drop. Both forms with
 * different values would leave one of them silently unused, so that is refused.
 */
function readUpstreamQdisc(r: TableReader, defaults: LinkParamsConfig): void {
  if (r.has('scheduler_type')) {
    const v = r.oneOf('scheduler_type', ['fifo', 'wrr'] as const);
    if (defaults.scheduler !== undefined && defaults.scheduler !== v) throw r.fail('scheduler_type', `(upstream's name for [link_defaults] scheduler) is ${JSON.stringify(v)} but [link_defaults] scheduler is ${JSON.stringify(defaults.scheduler)}; give one of them`);
    defaults.scheduler = v;
  }
  if (r.has('scheduler_drop_strategy')) {
    const v = r.oneOf('scheduler_drop_strategy', ['taildrop', 'red'] as const) === 'red' ? 'red' : 'tail';
    if (defaults.drop !== undefined && defaults.drop !== v) throw r.fail('scheduler_drop_strategy', `(upstream's name for [link_defaults] drop) means ${JSON.stringify(v)} but [link_defaults] drop is ${JSON.stringify(defaults.drop)}; give one of them`);
    defaults.drop = v;
  }
}

/**
 * WRR and RED act on the rate limiter's queue: with no rate on any link they do nothing, which
 * an upstream file (scheduler_type = "wrr", no [[link_rates]]) would not expect. A warning, not
 * an error: setLink can give a link a rate at run time.
 */
function warnQdiscWithoutRate(r: TableReader, cfg: ResolvedControllerConfig, source: string): void {
  const all = [cfg.linkDefaults, ...cfg.linkRules.map((l) => l.params)];
  if (all.some((p) => p.rate !== undefined)) return;
  const said: string[] = [];
  if (all.some((p) => p.scheduler === 'wrr')) said.push(`scheduler = "wrr"${r.has('scheduler_type') ? ' (scheduler_type)' : ''}`);
  if (all.some((p) => p.drop === 'red')) said.push(`drop = "red"${r.has('scheduler_drop_strategy') ? ' (scheduler_drop_strategy)' : ''}`);
  if (said.length) log.warn(`${source}: ${said.join(', ')} act on a link's rate limiter queue, and no link has a rate: they do nothing until one does ([link_defaults] rate, [[link_rates]], [[links]] rate, or setLink at run time)`);
}

function pair(r: TableReader, key: string, v: unknown, i: number): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(typeof x === 'bigint' ? Number(x) : x))) {
    throw r.fail(`${key}[${i}]`, `must be a pair of node ids [a, b], got ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))}`);
  }
  return [Number(v[0]), Number(v[1])];
}

const TOPOLOGY_TYPES = ['full_mesh', 'ring', 'torus', 'fat_tree', 'custom'] as const;

/** `type`, or upstream's alias `topology`; both, if they differ, is an error (which one was meant?). */
function topologyType(t: TableReader): (typeof TOPOLOGY_TYPES)[number] {
  if (t.has('type') && t.has('topology') && t.raw('type') !== t.raw('topology')) {
    throw t.fail('topology', `(upstream's alias of type) is ${JSON.stringify(t.raw('topology'))} but type is ${JSON.stringify(t.raw('type'))}; give one`);
  }
  if (!t.has('type') && !t.has('topology') && !t.has('edges')) {
    // No type, but one size table (upstream's curl example writes only full_mesh_config):
    // the table says which topology is meant.
    const given = (['full_mesh', 'ring', 'torus', 'fat_tree'] as const).filter((k) => t.has(`${k}_config`));
    if (given.length === 1) return given[0]!;
  }
  return t.oneOf(t.has('type') ? 'type' : 'topology', TOPOLOGY_TYPES, { default: 'custom' });
}

function readTopology(t: TableReader): ResolvedControllerConfig['topology'] {
  t.checkKeys(TOPOLOGY_KEYS);
  const kind = topologyType(t);
  const sub = (key: string, keys: readonly string[]) => {
    const s = t.table(key);
    if (!s) throw t.fail(key, `is required when type = "${kind}"`);
    s.checkKeys(keys);
    return s;
  };
  // Upstream writes a full mesh's or a ring's size as [topology] n_nodes, beside the type;
  // here it may also sit in full_mesh_config / ring_config. Both must then agree.
  const size = (key: 'full_mesh_config' | 'ring_config', min: number): number => {
    const s = t.table(key);
    s?.checkKeys(['n_nodes']);
    if (!s) {
      if (!t.has('n_nodes')) throw t.fail(key, `is required when type = "${kind}" (or n_nodes in [topology], as upstream writes it)`);
      return t.int('n_nodes', { min });
    }
    const n = s.int('n_nodes', { min });
    if (t.has('n_nodes') && t.int('n_nodes', { min }) !== n) throw t.fail('n_nodes', `is ${t.int('n_nodes', { min })} but ${key}.n_nodes is ${n}; give one`);
    return n;
  };
  // A size table of another type would be ignored (upstream's curl example writes a
  // full_mesh_config with no type: here that was a custom topology of unlinked nodes).
  for (const other of ['full_mesh', 'ring', 'torus', 'fat_tree'] as const) {
    const key = `${other}_config`;
    if (other === kind || !t.has(key)) continue;
    if (kind === 'custom') throw t.fail(key, `is for type = "${other}", but [topology] has no type (a custom topology of n_nodes and edges); add type = "${other}", or remove ${key}`);
    throw t.fail(key, `is for type = "${other}", but type is "${kind}"; remove ${key}`);
  }
  if (kind !== 'custom' && t.has('edges')) throw t.fail('edges', `is for a custom topology (no type); type = "${kind}" makes its own links`);
  if ((kind === 'torus' || kind === 'fat_tree') && t.has('n_nodes')) throw t.fail('n_nodes', `has no meaning for type = "${kind}": its size comes from ${kind}_config`);
  switch (kind) {
    case 'full_mesh':
      return { kind, a: size('full_mesh_config', 1), b: 0, edges: [] };
    case 'ring':
      return { kind, a: size('ring_config', 2), b: 0, edges: [] };
    case 'torus': {
      const s = sub('torus_config', ['dim', 'n']);
      return { kind, a: s.int('dim', { min: 1 }), b: s.int('n', { min: 2 }), edges: [] };
    }
    case 'fat_tree': {
      const s = sub('fat_tree_config', ['k']);
      return { kind, a: s.int('k', { min: 2 }), b: 0, edges: [] };
    }
    case 'custom': {
      const n = t.int('n_nodes', { min: 1 });
      // No edges (upstream's [topology] with n_nodes only): n nodes without links between them.
      const raw = t.raw('edges') ?? [];
      if (!Array.isArray(raw)) throw t.fail('edges', 'must be an array of [a, b] pairs for a custom topology');
      return { kind, a: n, b: 0, edges: raw.flatMap((e, i) => pair(t, 'edges', e, i)) };
    }
  }
}

function readRoute(r: TableReader): number[] {
  r.checkKeys(['route']);
  const v = r.raw('route');
  if (!Array.isArray(v) || v.length === 0) throw r.fail('route', 'must be a path [1, 2, 3] or a list of edges [[1, 2], [2, 3]]');
  if (v.every((x) => Array.isArray(x))) {
    const pairs = v.map((e, i) => pair(r, 'route', e, i));
    return [2, pairs.length, ...pairs.flat()];
  }
  const nodes = v.map((x, i) => {
    const n = typeof x === 'bigint' ? Number(x) : x;
    if (!Number.isInteger(n) || n < 1) throw r.fail(`route[${i}]`, `must be a node id, got ${JSON.stringify(x)}`);
    return n as number;
  });
  return [1, nodes.length, ...nodes];
}

/**
 * How the config's file keys (token files, TLS paths) are read: the Node entry reads files
 * relative to the config's directory (config/files-node.ts); without it, as in browsers, a
 * file key is CONFIG_INVALID.
 */
export interface ConfigFiles {
  /** An absolute path for a path written in the config. */
  resolve(path: string): string;
  readText(path: string): string;
}

const NO_FILES: ConfigFiles = {
  resolve: (path) => {
    throw new NextminiError('CONFIG_INVALID', `this runtime cannot read files (got the path ${JSON.stringify(path)}); give secrets inline (auth_token, admin_token, [[nodes]] token), and no tls`);
  },
  readText: (path) => NO_FILES.resolve(path),
};

/** What the routing is when the config has no `[routing]`: a file follows upstream (explicit routes only). */
export type RoutingDefault = 'shortest_path' | 'explicit';

const ROUTING_PROTOCOLS = ['shortest_path', 'explicit'] as const;

/** Are there links between the topology's nodes (so that shortest paths would mean something)? */
function hasLinks(t: ResolvedControllerConfig['topology']): boolean {
  return t.kind === 'custom' ? t.edges.length > 0 : t.kind !== 'full_mesh' || t.a > 1;
}

/**
 * `routingDefault`: the routing of a config without `[routing]`: `explicit` for a TOML file
 * (upstream's rule), `shortest_path` for a config object.
 */
export function resolveControllerConfig(table: Table, source = 'controller config', files: ConfigFiles = NO_FILES, routingDefault: RoutingDefault = 'shortest_path'): ResolvedControllerConfig {
  const r = new TableReader(source, table);
  r.checkKeys(CONTROLLER_KEYS, UPSTREAM_CONTROLLER_KEYS);
  const topoReader = r.table('topology');
  if (!topoReader) throw r.fail('topology', 'is required ([topology] with type = "full_mesh" | "ring" | "torus" | "fat_tree", or n_nodes and edges)');
  const cfg: ResolvedControllerConfig = {
    port: r.port('port', { default: 3000 }),
    host: r.str('host', { default: '127.0.0.1' }),
    userSpaceBase: ipv4ToInt(r.ipv4('user_space_base_addr', { default: '192.168.0.0' })),
    topology: readTopology(topoReader),
    explicitRoutes: r.tables('routes').flatMap(readRoute),
    shortestPaths: true,
    operatingModes: new Map(),
    multicastPoolBase: ipv4ToInt(r.ipv4('multicast_pool_base', { default: '239.255.0.0' })),
    multicastPoolMask: ipv4ToInt(r.ipv4('multicast_pool_mask', { default: '255.255.0.0' })),
    linkDefaults: {},
    linkRules: [],
    db: undefined,
    metricsRetentionS: r.int('metrics_retention_s', { min: 1, max: 10 * 365 * 86_400, default: 3600 }),
    security: undefined as unknown as SecurityConfig,
    flows: [],
  };
  const nodes = r.tables('nodes');
  // A misspelt token here would quietly fall back to auth_token (or to none).
  for (const n of nodes) n.checkKeys(NODES_KEYS);
  cfg.security = readSecurityConfig(r, nodes, (p) => files.resolve(p), (p) => files.readText(p));
  cfg.db = readDbConfig(r);
  const defaults = r.table('link_defaults');
  if (defaults) {
    defaults.checkKeys(LINK_KEYS);
    cfg.linkDefaults = readLinkParams(defaults);
  }
  readUpstreamQdisc(r, cfg.linkDefaults);
  r.tables('link_rates').forEach((t, i) => {
    t.checkKeys(['src_node_id', 'dst_node_id', 'rate', 'bucket_size']);
    const src = t.int('src_node_id', { min: 1 });
    const dst = t.int('dst_node_id', { min: 1 });
    cfg.linkRules.push({ where: `${source}.link_rates[${i}] (${src} -> ${dst})`, src, dst, params: { rate: t.int('rate', { min: 1 }), bucket_size: t.int('bucket_size', { min: 1 }) } });
  });
  r.tables('links').forEach((t, i) => {
    t.checkKeys([...LINK_KEYS, 'src_node_id', 'dst_node_id', 'bidirectional']);
    const src = t.int('src_node_id', { min: 1 });
    const dst = t.int('dst_node_id', { min: 1 });
    const both = t.bool('bidirectional', { default: false });
    const params = readLinkParams(t);
    const where = `${source}.links[${i}] (${src} -> ${dst})`;
    cfg.linkRules.push({ where, src, dst, params });
    if (both) cfg.linkRules.push({ where: `${where} reverse`, src: dst, dst: src, params });
  });
  warnQdiscWithoutRate(r, cfg, source);
  cfg.flows = readFlows(r, source);
  const routing = r.table('routing');
  routing?.checkKeys(['protocol']);
  // A [routing] table without protocol asks for routing: shortest paths, the only computed kind.
  const protocol = routing ? routing.oneOf('protocol', ROUTING_PROTOCOLS, { default: 'shortest_path' }) : routingDefault;
  cfg.shortestPaths = protocol === 'shortest_path';
  if (!routing && !cfg.shortestPaths && cfg.explicitRoutes.length === 0 && hasLinks(cfg.topology)) {
    log.warn(
      `${source} has no [routing] and no [[routes]]: no routes will be installed, so nodes can reach no one (upstream nextmini's rule for a config without [routing]). ` +
        `Add [routing] protocol = "shortest_path" for shortest paths between every pair, or [[routes]] entries`,
    );
  }
  for (const n of nodes) {
    cfg.operatingModes.set(n.int('node_id', { min: 1 }), n.oneOf('operating_mode', ['normal', 'max'] as const, { default: 'normal' }));
  }
  return cfg;
}
