import { readStream, type StreamRuntimeConfig } from './stream-config.js';
import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { TableReader, type Table } from './reader.js';
import { isIpLiteral } from './security-config.js';

/** Node configuration, as in a node TOML file (snake_case keys). */
export interface NodeConfig {
  /**
   * This node's id in the controller's topology (>= 1), or 0: the controller assigns one (by
   * the node's address, else the lowest free id above node_id_offset; see README "Node ids").
   */
  node_id: number;
  /** With node_id = 0: the controller assigns only ids above this. Default 0. */
  node_id_offset?: number;
  /** The controller, as `host:port`, a `ws://` / `wss://` URL, or `realm://<id>` (a controller in this realm, `Controller.realmUrl`). */
  controller_addr: string;
  /**
   * The link transports this node speaks: one, or a list in order of preference. "memory"
   * (nodes in the same JavaScript realm), "udp", "tcp" (opt-in), "relay" (datagrams over a
   * WebSocket through the controller; the socket-free one). For each peer the controller picks
   * the best both speak: memory, then tcp, then udp, then the relay; a UDP node and a
   * relay-only node are joined by the controller's UDP bridge. Default: Node and Bun
   * ["memory", "udp", "relay"]; Deno and browsers ["memory", "relay"].
   */
  protocol?: LinkProtocol | LinkProtocol[];
  /** Address the data socket binds to. Default "127.0.0.1". */
  private_network_addr?: string;
  /** Port the data socket binds to; 0 picks a free one. Default 0. */
  private_network_port?: number;
  /** Largest datagram put on a link, header included. Default 1400. */
  mtu?: number;
  /** Deliveries buffered per receiver before the oldest are dropped (counted). Default 1024. */
  channel_capacity?: number;
  /** Datagrams the node may hold waiting for a link (e.g. behind a rate limit). Default 65536. */
  queue_capacity?: number;
  /** When the queue is full: true = sendToNode waits for room, false = it rejects with QUEUE_FULL. Default false. */
  channel_backpressure?: boolean;
  /** Default source port of sends. Default 45535. */
  user_space_client_port?: number;
  /** Default destination port of sends and receivers. Default 8888. */
  user_space_server_port?: number;
  /** "normal": hop by hop along routes; "max": straight to the destination. Default "normal". */
  operating_mode?: 'normal' | 'max';
  /** Largest payload one sendToNode / sendToGroup may carry (fragmented to the MTU); lossless sessions are not bound by it. Default 16 MiB. */
  max_payload_bytes?: number;
  /** Incomplete messages older than this are dropped (counted). Default 5000. */
  reassembly_timeout_ms?: number;
  /** How often the node reports its counters (stats()) to the controller; 0 = never. Default 1000. */
  metrics_interval_ms?: number;
  /** TCP links: inbound connections at once, all peers together. Default 256. */
  tcp_max_connections?: number;
  /** TCP links: inbound connections from one peer (over it, see TcpLimits in node/transport.ts). Default 4. */
  tcp_max_connections_per_peer?: number;
  /** TCP links: an inbound connection silent this long is closed. Default 300000. */
  tcp_idle_timeout_ms?: number;
  /** TCP links: a frame begun must complete within this long, else the connection is closed. Default 10000. */
  tcp_frame_timeout_ms?: number;
  /** Lossless sessions: FEC and pacing come only from here, never from call arguments. */
  lossless_runtime_config?: LosslessRuntimeConfig;
  /** Reliable streams (`connect`/`listen`, `forward`/`expose`): buffers, timeouts, limits. */
  stream?: StreamRuntimeConfig;
  /**
   * The secret proven to the controller (its `auth_token`, or this node's `[[nodes]] token`).
   * Never sent: a challenge-response proves it. Absent = no authentication.
   */
  auth_token?: string;
  /** A file holding auth_token (trailing whitespace trimmed), relative to the config file. */
  auth_token_file?: string;
  /** PEM file of a CA to trust for a `wss://` controller_addr (relative to the config file). */
  ca?: string;
  /**
   * The data address announced to the controller instead of private_network_addr (e.g. behind
   * NAT). The controller accepts it only if its `[[nodes]] public_network_addr` says so.
   */
  public_network_addr?: string;
  /**
   * The data port announced to the controller instead of the bound one (a port forward, NAT),
   * for UDP and TCP alike. Default: the bound port.
   */
  public_network_port?: number | string;
  /**
   * Upstream nextmini's name for how long a node tries to reach the controller: here, how long
   * Dataplane.open keeps trying (its `connectTimeoutMs` option, when given, wins). Default: 30000.
   */
  controller_connect_timeout_ms?: number;
  /**
   * Whether a node whose controller connection is lost after it joined reconnects (with
   * backoff, getting a fresh snapshot). false = it gives up: it keeps forwarding on its last
   * routes, and what needs the controller fails with CONTROLLER_UNREACHABLE. Default true.
   */
  restart_on_disconnect?: boolean;
  /**
   * Upstream nextmini's network interface for node-to-node traffic (e.g. "eth0"), from which
   * upstream takes the node's address. Here it is reported by getNetworkInfo() only: the data
   * socket binds private_network_addr (an interface is not resolved to its address).
   */
  private_network_interface?: string;
}

export interface LosslessRuntimeConfig {
  /** Chunk size when a call gives none; clamped to what one datagram carries. Default 8500. */
  default_chunk_size?: number;
  /** How long the sender repeats its manifest waiting for receivers to report ready. Default 200. */
  ready_grace_ms?: number;
  /** Systematic RaptorQ repair for what receivers report missing. Default true. */
  fec_enabled?: boolean;
  /** Source symbols per RaptorQ block. Default 128. */
  fec_default_symbols_per_block?: number;
  /** Pacing of data frames: a token bucket (bytes/s, bytes). Default: adaptive from 125 MB/s. */
  data_bucket?: { rate: number; bucket_size: number };
  /** A sender gives up on a receiver silent this long (and for 8 status rounds). Default 10000. */
  unreachable_timeout_ms?: number;
  /** A receiver gives up after hearing nothing valid from its sender this long. Default 30000. */
  idle_timeout_ms?: number;
  /** Upstream's bounds on the symbols per block of a FEC session: the default is clamped into them. Default 1 and 56403. */
  fec_symbols_per_block_min?: number;
  fec_symbols_per_block_max?: number;
  /** Upstream's bounds on a FEC symbol's size; symbols are the chunks, so they clamp a FEC session's chunk size (one datagram still wins). Default 1 and 65535. */
  fec_symbol_size_min?: number;
  fec_symbol_size_max?: number;
  /** `'chunk_size'` (default): a symbol is the session's chunk. `'fixed'`: every FEC session's chunk is `fec_default_symbol_size`. */
  fec_symbol_size_policy?: 'chunk_size' | 'fixed';
  /** The chunk size of FEC sessions under `fec_symbol_size_policy = "fixed"` (upstream default 8500); otherwise unused, as upstream. */
  fec_default_symbol_size?: number;
}

/**
 * Upstream's multi-tree FEC keys of `[lossless_runtime_config]`, which configure machinery
 * this SDK does not have: one warning per file names those present, and why.
 */
export const UPSTREAM_LOSSLESS_KEYS: readonly string[] = [
  'fec_tree_ids_source',
  'fec_default_tree_ids',
  'fec_max_tree_lanes',
  'fec_dispatch_burst',
  'fec_tree_lane_depth',
  'fec_collaborative_multitree_enabled',
  'fec_require_capability',
];

export type LinkProtocol = 'udp' | 'tcp' | 'relay' | 'memory';
export const LINK_PROTOCOLS: readonly LinkProtocol[] = ['memory', 'udp', 'tcp', 'relay'];

export type ResolvedNodeConfig = Required<Omit<NodeConfig, 'lossless_runtime_config' | 'stream' | 'auth_token' | 'auth_token_file' | 'ca' | 'public_network_addr' | 'public_network_port' | 'controller_connect_timeout_ms' | 'private_network_interface'>> &
  Pick<NodeConfig, 'auth_token' | 'auth_token_file' | 'ca' | 'public_network_addr' | 'controller_connect_timeout_ms' | 'private_network_interface'> & {
    /** public_network_port as a number. */
    public_network_port?: number;
    lossless_runtime_config: LosslessRuntimeConfig;
    stream: StreamRuntimeConfig;
    /** `protocol` as a list (one entry when it was a string), without repeats. */
    protocols: LinkProtocol[];
  };

export const NODE_DEFAULTS = {
  protocol: ['memory', 'udp', 'relay'] as LinkProtocol[],
  private_network_addr: '127.0.0.1',
  private_network_port: 0,
  mtu: 1400,
  channel_capacity: 1024,
  queue_capacity: 65_536,
  channel_backpressure: false,
  user_space_client_port: 45535,
  user_space_server_port: 8888,
  operating_mode: 'normal',
  max_payload_bytes: 16 * 1024 * 1024,
  reassembly_timeout_ms: 5000,
  metrics_interval_ms: 1000,
  tcp_max_connections: 256,
  tcp_max_connections_per_peer: 4,
  tcp_idle_timeout_ms: 300_000,
  tcp_frame_timeout_ms: 10_000,
  restart_on_disconnect: true,
  node_id_offset: 0,
} as const satisfies Omit<ResolvedNodeConfig, 'node_id' | 'controller_addr' | 'lossless_runtime_config' | 'stream' | 'auth_token' | 'auth_token_file' | 'ca' | 'public_network_addr' | 'public_network_port' | 'controller_connect_timeout_ms' | 'private_network_interface' | 'protocols'>;

/**
 * The MTU a TCP-only node uses by default. A TCP link carries frames of any size, and each
 * datagram costs a trip through the core: 64 KB datagrams move several times the bytes of
 * 1400-byte ones (README, Benchmarks). Kept under 65,507 so that a forwarder may still pass
 * them on over UDP (loopback takes them whole; other networks fragment them at the IP layer).
 */
export const TCP_DEFAULT_MTU = 65_000;

function defaultMtu(protocols: LinkProtocol[]): number {
  return protocols.length === 1 && protocols[0] === 'tcp' ? TCP_DEFAULT_MTU : NODE_DEFAULTS.mtu;
}

/** `protocol`: a string or a non-empty list of distinct protocols. */
function readProtocols(r: TableReader): LinkProtocol[] {
  const v = r.raw('protocol');
  if (v === undefined) return [...NODE_DEFAULTS.protocol];
  const choices = LINK_PROTOCOLS.map((c) => JSON.stringify(c)).join(', ');
  let list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw r.fail('protocol', `must name at least one of ${choices}`);
  // Upstream's "quic" links are reliable and congestion-controlled per hop; TCP is the
  // transport here that is too. Running over it keeps an upstream file working, and says so.
  if (list.includes('quic')) {
    log.warn(`${r.what}.protocol = "quic": there is no QUIC here; this node speaks "tcp" instead (reliable and congestion-controlled per hop, as upstream's QUIC links are)`);
    list = list.map((p) => (p === 'quic' ? 'tcp' : p));
  }
  for (const p of list) {
    if (typeof p !== 'string' || !(LINK_PROTOCOLS as readonly string[]).includes(p)) {
      throw r.fail('protocol', `must be one of ${choices} or a list of them, got ${JSON.stringify(p)}${Array.isArray(v) ? ' in the list' : ''}`);
    }
  }
  const twice = list.find((p, i) => list.indexOf(p) !== i);
  if (twice !== undefined) {
    const quic = twice === 'tcp' && Array.isArray(v) && v.includes('quic') ? ' ("quic" runs as "tcp" here)' : '';
    throw r.fail('protocol', `lists ${JSON.stringify(twice)} twice: ${JSON.stringify(v)}${quic}`);
  }
  return list as LinkProtocol[];
}

const log = logger('config');

/** Bind-anywhere addresses: never an address a peer can send to. */
const WILDCARD_ADDRS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

// Every key a node config may have; a Record so that a key added to NodeConfig must be added here.
const NODE_KEY_SET: Record<keyof NodeConfig, true> = {
  node_id: true,
  node_id_offset: true,
  controller_addr: true,
  protocol: true,
  private_network_addr: true,
  private_network_port: true,
  mtu: true,
  channel_capacity: true,
  queue_capacity: true,
  channel_backpressure: true,
  user_space_client_port: true,
  user_space_server_port: true,
  operating_mode: true,
  max_payload_bytes: true,
  reassembly_timeout_ms: true,
  metrics_interval_ms: true,
  tcp_max_connections: true,
  tcp_max_connections_per_peer: true,
  tcp_idle_timeout_ms: true,
  tcp_frame_timeout_ms: true,
  lossless_runtime_config: true,
  stream: true,
  auth_token: true,
  auth_token_file: true,
  ca: true,
  public_network_addr: true,
  public_network_port: true,
  controller_connect_timeout_ms: true,
  restart_on_disconnect: true,
  private_network_interface: true,
};
export const NODE_KEYS: readonly string[] = Object.keys(NODE_KEY_SET);

/**
 * Keys of upstream nextmini's node configs that configure what this SDK does not have (a TUN
 * device, packet-processor threads, the namespace launcher's settings): a warning, so that an
 * upstream file loads, but not an error.
 */
export const UPSTREAM_NODE_KEYS: readonly string[] = [
  'feature',
  'num_packet_processors',
  'num_tun_queues',
  'tun_interface_name',
  'enable_local_interface',
  'private_network_name',
  'public_network_interface',
  'n_nodes',
  // Upstream documents it as not used by its metrics collector; metrics_interval_ms is ours.
  'metrics_collection_interval',
  // QUIC links (protocol = "quic" runs over TCP here, see readProtocols).
  'quic_congestion_control',
  // Upstream reorders TCP segments of TUN traffic; no TUN here, and lossless sessions and
  // messages are reassembled in order by the core.
  'enforce_tcp_order',
  'delay_tolerance',
  'backlog_tolerance',
  // Upstream's namespace mode and its host auto-configuration (bridges, veths, iptables):
  // nodes here are processes or objects on real sockets, and emulation is in the core.
  'auto_enable_ip_forward',
  'auto_add_forward_rules',
  'auto_add_nat',
  'bridge_name',
  'bridge_ip',
  'subnet',
  'interval_between_spawn',
  'carrier_max_wait_ms',
  'carrier_poll_interval_ms',
  'child_start_delay_ms',
  'handshake_timeout_ms',
];

/**
 * Upstream sets the queue discipline in each node's config; here it is a property of each
 * emulated link, set in the controller's config. Warned with that pointer, not refused.
 */
export const UPSTREAM_QDISC_NODE_KEYS: readonly string[] = ['scheduler_type', 'scheduler_drop_strategy'];

const LOSSLESS_KEY_SET: Record<keyof LosslessRuntimeConfig, true> = {
  default_chunk_size: true,
  ready_grace_ms: true,
  fec_enabled: true,
  fec_default_symbols_per_block: true,
  data_bucket: true,
  unreachable_timeout_ms: true,
  idle_timeout_ms: true,
  fec_symbols_per_block_min: true,
  fec_symbols_per_block_max: true,
  fec_symbol_size_min: true,
  fec_symbol_size_max: true,
  fec_symbol_size_policy: true,
  fec_default_symbol_size: true,
};

/** Address keys whose upstream default is "" ("auto-detected when empty"): here, as if left out. */
const EMPTY_MEANS_ABSENT = ['private_network_addr', 'public_network_addr', 'private_network_interface'] as const;

function withoutEmptyAddresses(table: Table): Table {
  if (!table || typeof table !== 'object' || Array.isArray(table)) return table;
  const t = table as Record<string, unknown>;
  if (!EMPTY_MEANS_ABSENT.some((k) => t[k] === '')) return table;
  const copy = { ...t };
  for (const k of EMPTY_MEANS_ABSENT) if (copy[k] === '') delete copy[k];
  return copy as Table;
}

/** Validates a node config table; an unknown key is CONFIG_INVALID naming it (see TableReader.checkKeys). */
export function resolveNodeConfig(table: Table, source = 'node config'): ResolvedNodeConfig {
  const r = new TableReader(source, withoutEmptyAddresses(table));
  r.checkKeys([...NODE_KEYS, ...UPSTREAM_QDISC_NODE_KEYS], UPSTREAM_NODE_KEYS);
  const qdisc = UPSTREAM_QDISC_NODE_KEYS.filter((k) => r.has(k));
  if (qdisc.length) log.warn(`${source}: ${qdisc.join(', ')} ${qdisc.length > 1 ? 'are upstream node keys' : 'is an upstream node key'} with no effect here: the queue discipline is set per link in the controller config, [link_defaults] or [[links]] scheduler = "fifo" | "wrr" and drop = "tail" | "red"; ignored`);
  const protocols = readProtocols(r);
  const cfg: ResolvedNodeConfig = {
    // 0: the controller assigns one (upstream: "auto-assigned if 0").
    node_id: r.int('node_id', { min: 0, max: 0xffff_fffe }),
    node_id_offset: r.int('node_id_offset', { min: 0, max: 0xffff_fffd, default: NODE_DEFAULTS.node_id_offset }),
    controller_addr: r.str('controller_addr'),
    protocols,
    protocol: r.raw('protocol') === undefined ? [...NODE_DEFAULTS.protocol] : Array.isArray(r.raw('protocol')) ? protocols : protocols[0]!,
    private_network_addr: r.str('private_network_addr', { default: NODE_DEFAULTS.private_network_addr }),
    private_network_port: r.port('private_network_port', { default: NODE_DEFAULTS.private_network_port }),
    mtu: r.int('mtu', { min: 128, max: 65_535, default: defaultMtu(protocols) }),
    channel_capacity: r.int('channel_capacity', { min: 1, max: 1 << 24, default: NODE_DEFAULTS.channel_capacity }),
    queue_capacity: r.int('queue_capacity', { min: 16, max: 1 << 24, default: NODE_DEFAULTS.queue_capacity }),
    channel_backpressure: r.bool('channel_backpressure', { default: NODE_DEFAULTS.channel_backpressure }),
    user_space_client_port: r.port('user_space_client_port', { default: NODE_DEFAULTS.user_space_client_port }),
    user_space_server_port: r.port('user_space_server_port', { default: NODE_DEFAULTS.user_space_server_port }),
    operating_mode: r.oneOf('operating_mode', ['normal', 'max'] as const, { default: NODE_DEFAULTS.operating_mode }),
    max_payload_bytes: r.int('max_payload_bytes', { min: 1, max: 1 << 30, default: NODE_DEFAULTS.max_payload_bytes }),
    reassembly_timeout_ms: r.int('reassembly_timeout_ms', { min: 1, max: 3_600_000, default: NODE_DEFAULTS.reassembly_timeout_ms }),
    metrics_interval_ms: r.int('metrics_interval_ms', { min: 0, max: 3_600_000, default: NODE_DEFAULTS.metrics_interval_ms }),
    tcp_max_connections: r.int('tcp_max_connections', { min: 1, max: 1 << 20, default: NODE_DEFAULTS.tcp_max_connections }),
    tcp_max_connections_per_peer: r.int('tcp_max_connections_per_peer', { min: 1, max: 1024, default: NODE_DEFAULTS.tcp_max_connections_per_peer }),
    tcp_idle_timeout_ms: r.int('tcp_idle_timeout_ms', { min: 100, max: 86_400_000, default: NODE_DEFAULTS.tcp_idle_timeout_ms }),
    tcp_frame_timeout_ms: r.int('tcp_frame_timeout_ms', { min: 100, max: 3_600_000, default: NODE_DEFAULTS.tcp_frame_timeout_ms }),
    lossless_runtime_config: readLossless(r.table('lossless_runtime_config'), source),
    stream: readStream(r.table('stream')),
    restart_on_disconnect: r.bool('restart_on_disconnect', { default: NODE_DEFAULTS.restart_on_disconnect }),
  };
  if (r.has('private_network_interface')) {
    cfg.private_network_interface = r.str('private_network_interface');
    // Upstream binds the interface's address when private_network_addr is empty; here that
    // would silently mean 127.0.0.1, so say so.
    if (!r.has('private_network_addr')) {
      log.warn(`${source}: private_network_interface ${JSON.stringify(cfg.private_network_interface)} is not resolved to an address here; the data socket binds private_network_addr (default ${NODE_DEFAULTS.private_network_addr}): set it to the interface's address`);
    }
  }
  if (r.has('controller_connect_timeout_ms')) cfg.controller_connect_timeout_ms = r.int('controller_connect_timeout_ms', { min: 1, max: 86_400_000 });
  if (r.has('auth_token') && r.has('auth_token_file')) throw r.fail('auth_token', 'and auth_token_file are both set; use one');
  if (r.has('auth_token')) cfg.auth_token = r.str('auth_token');
  if (r.has('auth_token_file')) cfg.auth_token_file = r.str('auth_token_file');
  if (r.has('ca')) cfg.ca = r.str('ca');
  if (r.has('public_network_addr')) {
    const a = r.str('public_network_addr');
    if (!isIpLiteral(a)) throw r.fail('public_network_addr', `must be an IP address without a port (peers match datagrams to it by source IP), got ${JSON.stringify(a)}`);
    if (WILDCARD_ADDRS.has(a)) throw r.fail('public_network_addr', `must be an address peers can send to, not the wildcard ${JSON.stringify(a)} (leave it out: a node bound to a wildcard is announced at the address it connects to the controller from)`);
    cfg.public_network_addr = a;
  }
  if (r.has('public_network_port')) {
    cfg.public_network_port = r.port('public_network_port', { min: 1 });
    // No port forward can point at a port picked at bind time, so announcing a public port over
    // a free one would leave peers sending into nothing. Upstream listens on its public port:
    // do the same (its example node files set only public_network_port).
    if (cfg.private_network_port === 0) cfg.private_network_port = cfg.public_network_port;
  }
  if (r.has('node_id_offset') && cfg.node_id !== 0) log.warn(`${source}: node_id_offset applies only with node_id = 0 (an id the controller assigns); node_id is ${cfg.node_id}, so it is not used`);
  const url = controllerUrl(cfg.controller_addr); // validates
  if (cfg.ca !== undefined && url.startsWith('ws://')) log.warn(`${source}: ca is set but controller_addr ${JSON.stringify(cfg.controller_addr)} is not wss://; the CA is not used`);
  return cfg;
}

function readLossless(t: TableReader | undefined, source: string): LosslessRuntimeConfig {
  if (!t) return {};
  t.checkKeys([...Object.keys(LOSSLESS_KEY_SET), ...UPSTREAM_LOSSLESS_KEYS]);
  const unused = UPSTREAM_LOSSLESS_KEYS.filter((k) => t.has(k));
  if (unused.length) {
    // Said once per file, with the reason, so an upstream file's operator knows what is not done.
    const trees = t.raw('fec_default_tree_ids');
    const more = Array.isArray(trees) && trees.some((id) => id !== 0) ? ` (fec_default_tree_ids = ${JSON.stringify(trees)} asks for trees besides 0: sessions here use only the group's default tree 0)` : '';
    log.warn(
      `${source}: [lossless_runtime_config] ${unused.join(', ')} ${unused.length > 1 ? 'are upstream nextmini keys' : 'is an upstream nextmini key'} for multi-tree FEC dispatch, which this SDK does not do; ignored${more}. ` +
        'A lossless session here sends over one tree per group (its default tree 0), RaptorQ repair symbols replace what any receiver misses so there are no per-tree lanes or dispatch bursts to size, ' +
        'and every manifest carries its FEC choice, which receivers follow, so there is no capability negotiation',
    );
  }
  const out: LosslessRuntimeConfig = {};
  if (t.has('default_chunk_size')) out.default_chunk_size = t.int('default_chunk_size', { min: 1, max: 65_535 });
  if (t.has('ready_grace_ms')) out.ready_grace_ms = t.int('ready_grace_ms', { min: 0, max: 3_600_000 });
  if (t.has('fec_enabled')) out.fec_enabled = t.bool('fec_enabled');
  if (t.has('fec_default_symbols_per_block')) out.fec_default_symbols_per_block = t.int('fec_default_symbols_per_block', { min: 1, max: 56_403 });
  const b = t.table('data_bucket');
  b?.checkKeys(['rate', 'bucket_size']);
  if (b) out.data_bucket = { rate: b.int('rate', { min: 1 }), bucket_size: b.int('bucket_size', { min: 1 }) };
  if (t.has('unreachable_timeout_ms')) out.unreachable_timeout_ms = t.int('unreachable_timeout_ms', { min: 1, max: 86_400_000 });
  if (t.has('idle_timeout_ms')) out.idle_timeout_ms = t.int('idle_timeout_ms', { min: 1, max: 86_400_000 });
  for (const k of ['fec_symbols_per_block_min', 'fec_symbols_per_block_max'] as const) if (t.has(k)) out[k] = t.int(k, { min: 1, max: 56_403 });
  for (const k of ['fec_symbol_size_min', 'fec_symbol_size_max', 'fec_default_symbol_size'] as const) if (t.has(k)) out[k] = t.int(k, { min: 1, max: 65_535 });
  if (t.has('fec_symbol_size_policy')) out.fec_symbol_size_policy = t.oneOf('fec_symbol_size_policy', ['chunk_size', 'fixed'] as const);
  const kLo = out.fec_symbols_per_block_min ?? 1;
  const kHi = out.fec_symbols_per_block_max ?? 56_403;
  if (kLo > kHi) throw t.fail('fec_symbols_per_block_min', `(${kLo}) is above fec_symbols_per_block_max (${kHi})`);
  const sLo = out.fec_symbol_size_min ?? 1;
  const sHi = out.fec_symbol_size_max ?? 65_535;
  if (sLo > sHi) throw t.fail('fec_symbol_size_min', `(${sLo}) is above fec_symbol_size_max (${sHi})`);
  if (out.fec_symbol_size_policy === 'fixed') {
    const size = out.fec_default_symbol_size ?? UPSTREAM_DEFAULT_SYMBOL_SIZE;
    if (size < sLo || size > sHi) throw t.fail('fec_default_symbol_size', `(${size}) must lie within fec_symbol_size_min and _max (${sLo}..${sHi}) under fec_symbol_size_policy = "fixed"`);
  }
  return out;
}

/** Upstream's default for fec_default_symbol_size (used under fec_symbol_size_policy = "fixed"). */
const UPSTREAM_DEFAULT_SYMBOL_SIZE = 8500;

/** The symbol-size bounds the core applies to FEC chunks: a fixed policy pins both to that size. */
function symbolSizeBounds(c: LosslessRuntimeConfig): [number, number] {
  if (c.fec_symbol_size_policy === 'fixed') {
    const size = c.fec_default_symbol_size ?? UPSTREAM_DEFAULT_SYMBOL_SIZE;
    return [size, size];
  }
  return [c.fec_symbol_size_min ?? -1, c.fec_symbol_size_max ?? -1];
}

/** The core's flat form of `[lossless_runtime_config]` (see core-rs/src/wasm/node.rs). */
export function losslessCoreParams(c: LosslessRuntimeConfig): Float64Array {
  return Float64Array.from([
    c.default_chunk_size ?? -1,
    c.ready_grace_ms ?? -1,
    c.fec_enabled === undefined ? -1 : c.fec_enabled ? 1 : 0,
    c.fec_default_symbols_per_block ?? -1,
    c.data_bucket?.rate ?? -1,
    c.data_bucket?.bucket_size ?? -1,
    c.unreachable_timeout_ms ?? -1,
    c.idle_timeout_ms ?? -1,
    c.fec_symbols_per_block_min ?? -1,
    c.fec_symbols_per_block_max ?? -1,
    ...symbolSizeBounds(c),
  ]);
}

/** `host:port` or a ws(s) URL -> a ws(s) URL. */
export function controllerUrl(addr: string): string {
  // realm://<id>: a controller in this JavaScript realm (startNetwork), reached without sockets.
  if (/^realm:\/\/[\w.-]+\/?$/.test(addr)) return addr.replace(/\/+$/, '');
  if (/^wss?:\/\//.test(addr)) {
    try {
      return new URL(addr).toString();
    } catch {
      /* fall through */
    }
  } else if (/^[^\s/:]+:\d{1,5}$/.test(addr) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(addr)) {
    return `ws://${addr}`;
  }
  throw new NextminiError('CONFIG_INVALID', `node config.controller_addr must be host:port or a ws:// URL (or realm://<id> for a controller in this realm), got ${JSON.stringify(addr)}`);
}
