import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { PacketView, shareView, asUint8, type BytesLike } from '../packet.js';
import { controllerUrl, losslessCoreParams, resolveNodeConfig, type NodeConfig, type ResolvedNodeConfig } from '../config/node-config.js';
import { formatIpv4, withConfigFile } from '../config/reader.js';
import { checkOptions, checkPort, WAIT_KEYS } from '../options.js';
import { encode, type Endpoint, type FlowStart, type FlowWeight, type PeerAddress, type Presence, type Protocol, type Snapshot } from '../control/messages.js';
import { FLOW_PORT, NodeFlows, refuseFlowPort, refuseFlowStreamPort } from './flows.js';
import { ControlClient } from './control-client.js';
import { requestNodeId } from './id-request.js';
import { Engine, type CoreDelivery, type LinkCounters } from './engine.js';
import { PacketReceiver, type PayloadDelivery } from './receiver.js';
import { Waiters, type WaitOptions } from './waiters.js';
import { NodeGroups, type GroupInfo, type TreeRoutes, type TreeTuple } from './groups.js';
import { NodeSessions, type ProgressEvent, type ReceiveDataArgs, type SendDataArgs, type SessionOutcome, type SessionProgress, type SessionCounts } from './sessions.js';
import type { FlowStats, Transport } from './transport.js';
import { TransportSet } from './transport-set.js';
import { currentHost, loadNodeTable, readCaFile, readSecretFile, transportFor } from './host.js';
import { assertCoreReady } from '../core/state.js';
import { MetricsReporter } from './metrics-reporter.js';
import { nextTurn } from '../next-turn.js';
import { NodeStreams, type ConnectArgs, type ListenArgs, type StreamListener } from './streams.js';
import type { NextminiStream } from './stream.js';

const log = logger('node');

/** How long open() keeps trying to reach the controller when neither the option nor the config says. */
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface OpenOptions {
  /** How long to keep trying to reach the controller, in whole milliseconds >= 1. Default: the config's controller_connect_timeout_ms, else 30 000 ms. */
  connectTimeoutMs?: number;
}

const OPEN_KEYS: readonly (keyof OpenOptions)[] = ['connectTimeoutMs'];

/**
 * Checks open()'s options before anything binds or connects: a misspelt `connectTimeout`
 * would otherwise leave the 30 s default in force, and the caller would learn of it only
 * when that ran out.
 */
function checkOpenOptions(options: OpenOptions | undefined): OpenOptions {
  // checkOptions lets null and arrays through (no keys to check); here they are a mistake
  // that would otherwise mean the 30 s default.
  const given: unknown = options;
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) {
    const shown = given === null ? 'null' : Array.isArray(given) ? 'an array' : typeof given === 'string' ? JSON.stringify(given) : String(given);
    throw new NextminiError('INVALID_ARGUMENT', `Dataplane.open: options must be an object or undefined, got ${shown}`);
  }
  checkOptions('Dataplane.open', options, OPEN_KEYS);
  const o = options ?? {};
  const t: unknown = o.connectTimeoutMs;
  // Whole milliseconds, as the CLI's --timeout-ms takes them: a fraction of a millisecond means nothing to a timer.
  if (t !== undefined && (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1)) {
    throw new NextminiError('INVALID_ARGUMENT', `Dataplane.open: connectTimeoutMs must be a whole number of milliseconds >= 1, got ${typeof t === 'string' ? JSON.stringify(t) : String(t)}`);
  }
  return o;
}

export interface SendToNodeArgs {
  dstNodeId: number;
  /** The payload: a PacketView (not copied) or bytes (copied). */
  frozen: PacketView | BytesLike;
  /** Default: the node's user_space_client_port. */
  srcPort?: number;
  /** Default: the node's user_space_server_port. */
  dstPort?: number;
}

export interface SendToGroupArgs {
  /** The group, by id or by address. */
  groupId?: number;
  groupIp?: string;
  frozen: PacketView | BytesLike;
  srcPort?: number;
  dstPort?: number;
  /** A specific tree; default: one chosen per flow by the trees' weights. */
  treeId?: number;
}

export interface ReceiverForGroupArgs {
  /** The group's source node. */
  srcNodeId: number;
  /** The group's address (as GroupInfo.groupIp). */
  groupIp: string;
  srcPort?: number;
  dstPort?: number;
}

export interface ReceiverFromNodeArgs {
  srcNodeId: number;
  /** Default: user_space_client_port (the default source port of sends). */
  srcPort?: number;
  /** Default: user_space_server_port. */
  dstPort?: number;
}

export interface NetworkInfo {
  nodeId: number;
  controllerAddr: string;
  userSpaceAddr: string;
  privateNetworkAddr: string;
  privateNetworkPort: number;
  /** The first transport the node speaks (its config's first protocol). */
  protocol: Protocol;
  /** Every transport the node speaks, in its config's order. */
  protocols: Protocol[];
  /** Where the node listens on each (udp/tcp: a socket address; memory: its in-realm id; relay: none). */
  endpoints: Endpoint[];
  mtu: number;
  operatingMode: 'normal' | 'max';
  /** Upstream's name for `userSpaceAddr`: this node's user-space IP (user_space_base_addr + node id). */
  userSpaceAddress: string;
  /**
   * The address peers are told to send to over UDP/TCP, as the controller hands it out:
   * public_network_addr if set, else the bound private_network_addr, a wildcard bind (0.0.0.0,
   * ::) replaced by the address the node connected to the controller from. null for a node
   * with neither UDP nor TCP (memory, relay).
   */
  publicNetworkAddr: string | null;
  /** The port announced with publicNetworkAddr: public_network_port, else the bound data port; null likewise. */
  publicNetworkPort: number | null;
  /** The config's private_network_interface (upstream's key), or null. Informational: nothing binds to it. */
  privateNetworkInterface: string | null;
}

/** Why traffic was dropped: the core's reasons, then the host's. */
export interface DropCounts {
  /** Not a valid dataplane datagram. */
  malformed: number;
  /** Hop limit reached (a loop or an over-long path). */
  hop_limit: number;
  /** No route when forwarding. */
  no_route: number;
  /** The node's transmit queue was full when forwarding. */
  queue_full: number;
  /** A fragment disagreed with the rest of its message. */
  reassembly_inconsistent: number;
  /** Reassembly refused a fragment: no other message was left to evict for room (rare; see `reassembly_evicted`). */
  reassembly_no_memory: number;
  /** A message above max_payload_bytes arrived. */
  too_large: number;
  /** An incomplete message timed out. */
  reassembly_expired: number;
  unsupported_kind: number;
  /** Emulated random loss on an egress link. */
  link_loss: number;
  /** Emulated queue limit on an egress link (under `scheduler = "wrr"` also a flow's share of it). */
  link_queue: number;
  /** A multicast packet for a group or tree this node has no entry for. */
  unknown_group: number;
  /** From an unknown sender, or from a peer that is not a neighbour and not ending here. */
  not_a_peer: number;
  /** Authentication on: the per-hop tag did not verify under the sender's keys. */
  auth: number;
  /** Authentication on: a replayed or too old counter. */
  replay: number;
  /** Authentication on: no key for the next hop. */
  no_key: number;
  /** A unicast or lossless datagram from a source node this node does not know of (not among its peers, neighbours, routes or multicast trees): neither delivered nor forwarded. With authentication off the source id is forgeable, so this stops only ids outside the network. */
  unknown_source: number;
  /** A unicast or lossless datagram to forward whose destination is no node this node knows of (a known destination without a route counts as `no_route`). */
  unknown_destination: number;
  /** A hop limit no node sends: 0, or above the 128 every node originates with. */
  hop_limit_range: number;
  /** An incomplete message dropped early to make room: under pressure the heaviest sender's (link address, then source node) stalest, least complete message goes first, so a flood only evicts the flood. */
  reassembly_evicted: number;
  /** Random early detection on an emulated egress link (`drop = "red"`): dropped before the queue was full. */
  link_red: number;
  /** A message arrived for a flow nobody registered. */
  no_receiver: number;
  /** A receiver's buffer (channel_capacity) was full; the oldest delivery was dropped. */
  receiver_full: number;
  /** The next hop's data address is not known (yet). */
  unknown_peer: number;
  /** The socket refused a send. */
  send_error: number;
  /** A TCP peer broke the length framing and was disconnected (or a relay frame was too short). */
  link_framing: number;
  /** A socket's send backlog exceeded its hard limit (64 MiB). */
  link_backlog: number;
  /** TCP: inbound connections refused (not from a current peer's address, or a bad link hello). */
  link_refused: number;
}

export interface DataplaneStats {
  messagesSent: number;
  packetsSent: number;
  packetsReceived: number;
  packetsForwarded: number;
  messagesDelivered: number;
  bytesDelivered: number;
  queued: number;
  /** Drops by reason, each counted under exactly one name. */
  drops: DropCounts;
  /** Every neighbour's link, by neighbour id: the transport it takes, and the counters of emulated ones. */
  links: LinkCounters[];
  /** Lossless sessions opened on this node: running, and ended by outcome. */
  sessions: SessionCounts;
  /** UDP flow control: bytes waiting for peers' credits, probes, credits, the granted receive buffer. */
  flow: FlowStats;
}

const flowKey = (src: number, sp: number, dp: number): string => `${src}:${sp}:${dp}`;

/**
 * A delivery whose derived fields (addresses as strings, the BigInt flow id, the PacketView)
 * are computed on first use: most applications read the payload and little else.
 */
class Delivery implements PayloadDelivery {
  readonly payload: Uint8Array;
  readonly srcNodeId: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly messageId: number;
  readonly totalLen: number;
  readonly fragmentCount: number;
  readonly #dst: number;
  readonly #base: number;
  readonly #groupIp: string | undefined;

  constructor(d: CoreDelivery, userSpaceBase: number, groupIp: string | undefined) {
    this.payload = d.payload;
    this.srcNodeId = d.srcNode;
    this.srcPort = d.srcPort;
    this.dstPort = d.dstPort;
    this.messageId = d.messageId;
    this.totalLen = d.totalLen;
    this.fragmentCount = d.fragCount;
    this.#dst = d.dst;
    this.#base = userSpaceBase;
    this.#groupIp = groupIp;
  }
  get frozenPayload(): PacketView {
    return shareView(this.payload);
  }
  get flowId(): bigint {
    return flowId(this.srcNodeId, this.srcPort, this.dstPort);
  }
  get srcIp(): string {
    return formatIpv4((this.#base + this.srcNodeId) >>> 0);
  }
  get dstIp(): string {
    return this.#groupIp ?? formatIpv4((this.#base + this.#dst) >>> 0);
  }
}
const groupFlowKey = (groupIp: string, src: number, sp: number, dp: number): string => `g${groupIp}:${src}:${sp}:${dp}`;
const flowId = (src: number, sp: number, dp: number): bigint => (BigInt(src) << 32n) | (BigInt(sp) << 16n) | BigInt(dp);

function checkNode(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 0xffff_fffe) throw new NextminiError('INVALID_ARGUMENT', `${name} must be a node id >= 1, got ${v}`);
  return v;
}

/**
 * A live dataplane node. Open with `await Dataplane.open(config)`; keep it alive while
 * sending, receiving or coordinating; `await dp.close()` (or `await using`) when done.
 */
export class Dataplane {
  readonly #cfg: ResolvedNodeConfig;
  readonly #engine: Engine;
  readonly #transports: TransportSet;
  readonly #control: ControlClient;
  readonly #receivers = new Map<string, PacketReceiver>();
  readonly #readyWaiters = new Waiters();
  readonly #groups: NodeGroups;
  readonly #sessions: NodeSessions;
  readonly #hostDrops = { no_receiver: 0, receiver_full: 0 };
  /** Bytes of the no_receiver messages, which the core had counted as delivered. */
  #noReceiverBytes = 0;
  #userSpaceBase = 0;
  #ready = false;
  #closed = false;
  #generation = 0;
  /** How this node reaches each peer it exchanges datagrams with directly (snapshot + updates). */
  #peers = new Map<number, PeerAddress>();
  #neighbors: number[] = [];
  /** Nodes of the topology the controller says are not connected (presence): sends to them reject with PEER_DOWN. */
  #down = new Set<number>();
  #maxMode = false;
  #metrics: MetricsReporter | undefined;
  readonly #flows: NodeFlows;
  readonly #streams: NodeStreams;
  /** Every pending or running flow's weight, as the controller last sent them (applyFlowWeights). */
  #flowWeights: FlowWeight[] = [];
  /** This node's endpoints as the controller hands them to peers (welcome): what getNetworkInfo reports as public. */
  #announced: Endpoint[] = [];

  private constructor(cfg: ResolvedNodeConfig, engine: Engine, transports: TransportSet, control: ControlClient) {
    this.#cfg = cfg;
    this.#engine = engine;
    this.#transports = transports;
    this.#control = control;
    this.#groups = new NodeGroups(control, engine);
    this.#sessions = new NodeSessions(engine, this.#groups, {
      nodeId: cfg.node_id,
      userSpaceBase: () => this.#userSpaceBase,
      clientPort: cfg.user_space_client_port,
      serverPort: cfg.user_space_server_port,
    });
    this.#streams = new NodeStreams(engine, { nodeId: cfg.node_id, config: cfg.stream, assertUp: (dst) => this.#assertUp(dst) });
    this.#flows = new NodeFlows({
      nodeId: cfg.node_id,
      sessions: this.#sessions,
      addressOf: (id) => formatIpv4((this.#userSpaceBase + id) >>> 0),
      report: (m) => control.send(encode(m)),
      connect: (dst, signal) => this.#streams.connect({ dstNodeId: dst, dstPort: FLOW_PORT, signal }),
      listen: () => this.#streams.listen({ port: FLOW_PORT }),
      send: (dst, payload) => {
        if (this.#closed) return false;
        if (this.#down.has(dst)) throw new NextminiError('PEER_DOWN', `node ${dst} is not connected to the controller`);
        // The sockets' backpressure and a full queue both mean: later (the generator's next tick).
        if (this.#transports.whenWritable()) return false;
        try {
          this.#engine.send(dst, FLOW_PORT, FLOW_PORT, payload);
          return true;
        } catch (err) {
          if (err instanceof NextminiError && err.code === 'QUEUE_FULL') return false;
          throw err;
        }
      },
    });
  }

  /**
   * Loads the config (a TOML path, or an object with the same keys; browsers: an object only),
   * binds, joins the controller.
   */
  static async open(config: string | NodeConfig, options?: OpenOptions): Promise<Dataplane> {
    const opts = checkOpenOptions(options);
    assertCoreReady();
    const table = await loadNodeTable(config);
    const host = currentHost();
    let withDefault = table && typeof table === 'object' && !Array.isArray(table) && table.protocol === undefined ? { ...table, protocol: host.defaultProtocols } : table;
    // A file follows upstream nextmini, whose node_id defaults to 0 ("auto-assigned"): its own
    // example node files leave it out. An object must say (a forgotten id is more likely a bug).
    if (typeof config === 'string' && withDefault && typeof withDefault === 'object' && !Array.isArray(withDefault) && withDefault.node_id === undefined) withDefault = { ...withDefault, node_id: 0 };
    let cfg = withConfigFile(config, () => resolveNodeConfig(withDefault, 'node config'));
    const url = controllerUrl(cfg.controller_addr);
    const protocols = speakable(cfg.protocols, url);
    // Secrets and the CA first: asking the controller for an id (node_id = 0) needs them too.
    let ca: string | undefined;
    let authToken = cfg.auth_token;
    if (cfg.ca !== undefined) ca = await readCaFile(cfg.ca, config);
    if (cfg.auth_token_file !== undefined) authToken = await readSecretFile('auth_token_file', cfg.auth_token_file, config);
    const timeoutMs = opts.connectTimeoutMs ?? cfg.controller_connect_timeout_ms ?? DEFAULT_CONNECT_TIMEOUT_MS;
    // What is left of the timeout for joining, after an id request (node_id = 0) took its part.
    let joinTimeoutMs = timeoutMs;
    if (cfg.node_id === 0) {
      const t0 = Date.now();
      const id = await requestNodeId({ url, cfg, protocols, authToken, ca, timeoutMs });
      joinTimeoutMs = Math.max(1, timeoutMs - (Date.now() - t0));
      log.info(`the controller assigned node id ${id}`);
      cfg = { ...cfg, node_id: id };
    }
    const binders = protocols.map((p) => [p, transportFor(p)] as const);
    let dp: Dataplane | undefined;
    const engine = new Engine({
      nodeId: cfg.node_id,
      mtu: cfg.mtu,
      maxPayloadBytes: cfg.max_payload_bytes,
      queueCapacity: cfg.queue_capacity,
      maxMode: cfg.operating_mode === 'max',
      reassemblyTimeoutMs: cfg.reassembly_timeout_ms,
      lossless: losslessCoreParams(cfg.lossless_runtime_config),
      onDelivery: (d) => dp?.deliverFromCore(d),
      onSession: (what, id) => dp?.sessionEvent(what, id),
      onStream: (kind, conn, listener, error) => dp?.streamEvent(kind, conn, listener, error),
      onUndeliverable: (pairs) => dp?.reportUndeliverable(pairs),
    });
    const opened: Transport[] = [];
    try {
      for (const [, bind] of binders) {
        opened.push(
          await bind({
            host: cfg.private_network_addr,
            port: cfg.private_network_port,
            nodeId: cfg.node_id,
            controllerUrl: url,
            onDatagram: engine.onDatagram,
            tcpLimits: { maxConnections: cfg.tcp_max_connections, maxConnectionsPerPeer: cfg.tcp_max_connections_per_peer, idleTimeoutMs: cfg.tcp_idle_timeout_ms, frameTimeoutMs: cfg.tcp_frame_timeout_ms },
          }),
        );
      }
    } catch (err) {
      await Promise.allSettled(opened.map((t) => t.close()));
      engine.close();
      throw err;
    }
    const transports = new TransportSet(opened);
    engine.attach(transports);
    const endpoints: Endpoint[] = opened.map((t) => ({
      protocol: t.protocol,
      host: (t.protocol === 'udp' || t.protocol === 'tcp') && cfg.public_network_addr !== undefined ? cfg.public_network_addr : t.local.host,
      port: (t.protocol === 'udp' || t.protocol === 'tcp') && cfg.public_network_port !== undefined ? cfg.public_network_port : t.local.port,
    }));
    const relayToken = transports.get('relay')?.relayToken;
    const control = new ControlClient({
      url: controllerUrl(cfg.controller_addr),
      reconnect: cfg.restart_on_disconnect,
      ...(authToken !== undefined ? { authToken } : {}),
      ...(ca !== undefined ? { socket: { ca } } : {}),
      onAuth: (on) => {
        engine.setAuth(on);
        transports.setAuth(on);
      },
      onEndpoints: (eps) => dp?.setAnnounced(eps),
      onKeys: (keys) => {
        engine.setLinkKeys(keys);
        transports.setLinkKeys(keys);
      },
      hello: { nodeId: cfg.node_id, endpoints, ...(relayToken ? { relayToken } : {}) },
      onSnapshot: (s) => dp?.applySnapshot(s),
      onTopologyReady: () => dp?.markReady(),
      onLinks: (links) => dp?.applyLinks(links),
      onMcastTable: (table) => dp?.applyMcastTable(table),
      onGroups: (groups) => dp?.applyGroups(groups),
      onRoutes: (table) => dp?.applyRoutes(table),
      onPeers: (generation, peers) => dp?.applyPeers(generation, peers),
      onPresence: (m) => dp?.applyPresence(m),
      onFlowStart: (m) => dp?.startFlowSide(m),
      onFlowStop: (flowId) => dp?.stopFlowSide(flowId),
      onFlowWeights: (list) => dp?.applyFlowWeights(list),
    });
    dp = new Dataplane(cfg, engine, transports, control);
    try {
      await control.start(joinTimeoutMs);
      // A relay-only node binds its relay connection once the controller admitted it, so sends
      // work when open() resolves. With other transports too, the relay binds when a peer is
      // reached over it (#linksUp).
      if (protocols.length === 1) await transports.list[0]!.connect([]);
    } catch (err) {
      await dp.close();
      throw err;
    }
    dp.#metrics = new MetricsReporter({ intervalMs: cfg.metrics_interval_ms, stats: () => dp!.stats(), send: (m) => control.send(m) }).start();
    log.startup(`node ${cfg.node_id} up on ${describeLocal(opened)}`);
    return dp;
  }

  get nodeId(): number {
    return this.#cfg.node_id;
  }

  /** The resolved configuration (defaults filled in). */
  get config(): Readonly<ResolvedNodeConfig> {
    return this.#cfg;
  }

  /** @internal */
  setAnnounced(endpoints: Endpoint[]): void {
    this.#announced = endpoints;
  }

  /** @internal */
  applySnapshot(s: Snapshot): void {
    if (this.#closed) return;
    this.#generation = s.generation;
    this.#userSpaceBase = s.userSpaceBase;
    this.#engine.core.setMaxMode(s.operatingMode === 'max');
    try {
      this.#engine.core.installRoutes(s.routeTable);
    } catch (err) {
      log.error(`could not install routes from the controller: ${String(err)}`);
      return;
    }
    this.applyLinks(s.links);
    this.applyGroups(s.groups);
    this.applyMcastTable(s.mcastTable);
    const peers = new Map<number, PeerAddress>();
    for (const p of s.peers) if (p.nodeId !== this.nodeId) peers.set(p.nodeId, p);
    this.#peers = peers;
    this.#neighbors = s.neighbors;
    this.#maxMode = s.operatingMode === 'max';
    // A (re)connection starts afresh: the controller follows its snapshot with who is down.
    this.#down = new Set();
    this.#engine.setDown(this.#down);
    log.debug(`node ${this.nodeId}: snapshot ${s.generation}, peers ${[...peers].map(([n, p]) => `${n}@${p.protocol}:${p.port}`).join(' ')}`);
    if (s.topologyReady) this.markReady();
    this.#linksUp(s.generation);
  }

  /** @internal peers that joined or moved: upserted into the snapshot's, then links-up as after a snapshot */
  applyPeers(generation: number, update: PeerAddress[]): void {
    if (this.#closed) return;
    this.#generation = generation;
    const peers = new Map(this.#peers);
    for (const p of update) if (p.nodeId !== this.nodeId) peers.set(p.nodeId, p);
    this.#peers = peers;
    this.#linksUp(generation);
  }

  /** Installs the peers, then connects the neighbours' links and reports links-up for `generation`. */
  #linksUp(generation: number): void {
    const peers = this.#peers;
    this.#engine.setPeers(peers);
    // Who may send to this node: its topology neighbours; in max mode every peer.
    this.#engine.setNeighbors(this.#maxMode ? peers.keys() : this.#neighbors);
    const neighbors = this.#neighbors.map((n) => peers.get(n));
    const present = neighbors.filter((p): p is PeerAddress => p !== undefined);
    // A node with one transport brings it up whatever its peers (the relay binds); with
    // several, a transport comes up when a peer is reached over it.
    const always: Protocol[] = this.#transports.list.length === 1 ? [this.#transports.list[0]!.protocol] : [];
    // The relay also binds for peers that are not neighbours (max mode reaches every peer).
    for (const p of peers.values()) {
      if (p.protocol === 'relay') {
        always.push('relay');
        break;
      }
    }
    const wanted = present;
    if (present.length === neighbors.length) {
      this.#transports.connect(wanted, always).then(
        () => {
          if (!this.#closed && generation === this.#generation) this.#control.send(encode({ t: 'links-up', generation }));
        },
        (err: unknown) => log.warn(`links not up: ${(err as Error).message}`),
      );
    } else {
      // Some neighbours are not there yet: no links-up, but the links to those that are come
      // up now, so traffic to them flows.
      this.#transports.connect(wanted, always).catch((err: unknown) => log.warn(`transport not up: ${(err as Error).message}`));
    }
  }

  /** @internal nodes went down or came up (see Presence in control/messages.ts) */
  applyPresence(m: Presence): void {
    if (this.#closed) return;
    for (const n of m.down) if (n !== this.nodeId) this.#down.add(n);
    for (const n of m.up) this.#down.delete(n);
    if (m.reporter !== 0 && m.down.length) {
      const many = m.down.length > 1;
      const them = many ? `nodes ${m.down.join(', ')}` : `node ${m.down[0]}`;
      log.warn(`node ${this.nodeId}: messages to ${them} were dropped at node ${m.reporter}: ${many ? 'they are' : 'it is'} in the topology but not connected to the controller; sends to ${many ? 'them' : 'it'} now reject with PEER_DOWN until ${many ? 'they join' : 'it joins'}`);
    }
  }

  /** @internal datagrams this node could not pass on: the controller tells their sources */
  reportUndeliverable(pairs: [number, number][]): void {
    if (!this.#closed) this.#control.send(encode({ t: 'undeliverable', pairs }));
  }

  /** @internal run-time routes changed: the new table replaces the old between two packets */
  applyRoutes(routeTable: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#engine.core.installRoutes(routeTable);
    } catch (err) {
      log.error(`could not install routes from the controller: ${String(err)}`);
    }
  }

  /** @internal */
  applyLinks(links: Snapshot['links']): void {
    if (this.#closed) return;
    try {
      this.#engine.setLinks(links);
    } catch (err) {
      log.error(`could not apply link emulation from the controller: ${String(err)}`);
    }
  }

  /**
   * @internal WRR weights of flows on this node's links with `scheduler = "wrr"` (see
   * Engine.setFlowWeights): `{ src, dst, weight }` with src the source node and dst the
   * destination, weight 1 the default. For the controller's [[flows]] flow_weight; throws
   * INVALID_ARGUMENT (nothing applied) on a bad entry.
   */
  setFlowWeights(list: { src: number; dst: number; weight: number }[]): void {
    if (this.#closed) throw new NextminiError('CLOSED', 'setFlowWeights: the dataplane is closed');
    this.#engine.setFlowWeights(list);
  }

  /** @internal */
  applyMcastTable(table: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#groups.applyTable(table);
    } catch (err) {
      log.error(`could not install the multicast table from the controller: ${String(err)}`);
    }
  }

  /** @internal */
  applyGroups(groups: Snapshot['groups']): void {
    if (!this.#closed) this.#groups.applyDirectory(groups);
  }

  /** @internal */
  sessionEvent(what: 1 | 2 | 3, id: number): void {
    this.#sessions.onCoreEvent(what, id);
  }

  /**
   * @internal The single place where flow weights reach the node: the controller sends every
   * pending or running flow's (src, dst, weight) on join and whenever the list changes, and
   * they go to the core's WRR queues (links with scheduler = "wrr"). The list is the whole
   * truth, so a pair that left it goes back to weight 1; two flows of one (src, dst) pair share
   * one WRR class, which takes the larger weight. A bad list is logged, not thrown: it comes
   * from the controller, and the node keeps its previous weights.
   */
  applyFlowWeights(list: FlowWeight[]): void {
    if (this.#closed) return;
    const next = new Map<string, FlowWeight>();
    for (const f of list) {
      const key = `${f.src},${f.dst}`;
      const had = next.get(key);
      if (!had || f.weight > had.weight) next.set(key, { src: f.src, dst: f.dst, weight: f.weight });
    }
    const reset = this.#flowWeights.filter((f) => !next.has(`${f.src},${f.dst}`)).map((f) => ({ src: f.src, dst: f.dst, weight: 1 }));
    try {
      this.#engine.setFlowWeights([...reset, ...next.values()]);
      this.#flowWeights = [...next.values()];
    } catch (err) {
      log.error(`could not apply flow weights from the controller: ${String(err)}`);
    }
  }

  /** @internal the controller's flow-start: this node's side of a traffic flow */
  startFlowSide(m: FlowStart): void {
    if (!this.#closed) this.#flows.start(m);
  }

  /** @internal the controller's flow-stop */
  stopFlowSide(flowId: number): void {
    if (!this.#closed) this.#flows.stop(flowId);
  }

  /** @internal the flow weights last applied (applyFlowWeights). */
  get flowWeights(): readonly FlowWeight[] {
    return this.#flowWeights;
  }

  /** @internal */
  markReady(): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#readyWaiters.wakeAll(true);
  }

  /** @internal */
  deliverFromCore(d: CoreDelivery): void {
    // Flow traffic (the controller's [[flows]]) is counted by the flows, never delivered to the application.
    if (d.kind === 0 && d.dstPort === FLOW_PORT && d.srcPort === FLOW_PORT && this.#flows.onDatagram(d.payload)) return;
    const groupIp = d.kind === 1 ? this.#groups.ipOf(d.dst) : undefined;
    const key = d.kind === 1 ? (groupIp ? groupFlowKey(groupIp, d.srcNode, d.srcPort, d.dstPort) : '') : flowKey(d.srcNode, d.srcPort, d.dstPort);
    const r = this.#receivers.get(key);
    if (!r) {
      this.#hostDrops.no_receiver++;
      this.#noReceiverBytes += d.payload.length;
      return;
    }
    const before = r.dropped;
    const delivery = new Delivery(d, this.#userSpaceBase, groupIp);
    r.push(delivery);
    this.#hostDrops.receiver_full += r.dropped - before;
  }

  #assertOpen(): void {
    if (this.#closed) throw new NextminiError('CLOSED', `node ${this.nodeId} is closed`);
  }

  /** Subscribes to one flow (source node, source port, destination port). */
  registerReceiverFromNode(args: ReceiverFromNodeArgs): PacketReceiver {
    this.#assertOpen();
    checkOptions('registerReceiverFromNode', args, ['srcNodeId', 'srcPort', 'dstPort']);
    const src = checkNode('srcNodeId', args.srcNodeId);
    const [sp, dp] = this.#ports(args);
    refuseFlowPort('registerReceiverFromNode', dp);
    return this.#addReceiver(flowKey(src, sp, dp), `node ${src}:${sp} -> :${dp}`, `flow from node ${src} port ${sp} to port ${dp}`);
  }

  /** The ports of a call: given ones checked, missing ones from the node's defaults. */
  #ports(args: { srcPort?: number; dstPort?: number }): [number, number] {
    return [checkPort('srcPort', args.srcPort ?? this.#cfg.user_space_client_port), checkPort('dstPort', args.dstPort ?? this.#cfg.user_space_server_port)];
  }

  /**
   * A destination the controller says is not connected would swallow the message at some
   * forwarder: refuse it here instead, where the caller can act on it.
   */
  #assertUp(dst: number): void {
    if (this.#down.has(dst)) {
      throw new NextminiError('PEER_DOWN', `node ${dst} is in the topology but not connected to the controller (it never joined, or it left); nothing was sent. Sends to it work again once it joins`);
    }
  }

  /** Registers a receiver under `key`; `what` names the flow in the RECEIVER_EXISTS message. */
  #addReceiver(key: string, label: string, what: string): PacketReceiver {
    if (this.#receivers.has(key)) {
      throw new NextminiError('RECEIVER_EXISTS', `a receiver for ${what} is already registered; close it first`);
    }
    const r = new PacketReceiver(label, this.#cfg.channel_capacity, () => {
      if (this.#receivers.get(key) === r) this.#receivers.delete(key);
    });
    this.#receivers.set(key, r);
    return r;
  }

  /**
   * Sends a payload to a node; resolves with the message id once it is queued for the link.
   * Rejects with NO_ROUTE, PAYLOAD_TOO_LARGE, PEER_DOWN (the destination is in the topology
   * but not connected to the controller), or (without channel_backpressure) QUEUE_FULL.
   */
  async sendToNode(args: SendToNodeArgs): Promise<number> {
    this.#assertOpen();
    checkOptions('sendToNode', args, ['dstNodeId', 'frozen', 'srcPort', 'dstPort']);
    const dst = checkNode('dstNodeId', args.dstNodeId);
    if (this.#down.has(dst)) {
      // The controller tells the others that a node joined in the same breath as it sends the
      // joiner the snapshot that resolves its open(); over separate sockets the joiner may hear
      // first. One turn lets news already on its way arrive before this is refused.
      await new Promise<void>((r) => nextTurn(r));
      this.#assertOpen();
      this.#assertUp(dst);
    }
    const [sp, dp] = this.#ports(args);
    const bytes = args.frozen instanceof PacketView ? args.frozen.read() : asUint8(args.frozen);
    // Backpressure from the sockets: wait while too much is already queued in them.
    for (let w = this.#transports.whenWritable(); w; w = this.#transports.whenWritable()) {
      await w;
      this.#assertOpen();
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return this.#engine.send(dst, sp, dp, bytes);
      } catch (err) {
        if (err instanceof NextminiError && err.code === 'NO_ROUTE') {
          // The usual cause since routing follows upstream: a config file without [routing].
          throw new NextminiError(
            'NO_ROUTE',
            `${err.message}: node ${dst} is not in the topology, or the controller's routes do not take node ${this.nodeId} there. A controller config file without [routing] installs only its [[routes]]; ` +
              `add [routing] protocol = "shortest_path", a [[routes]] entry from ${this.nodeId} to ${dst}, or a run-time route (controller.setRoutes)`,
            { cause: err },
          );
        }
        if (!(err instanceof NextminiError && err.code === 'QUEUE_FULL' && this.#cfg.channel_backpressure)) throw err;
        // Wait for the links to drain some of the queue, then try again.
        await new Promise((r) => setTimeout(r, Math.min(1 + attempt, 20)));
        this.#assertOpen();
      }
    }
  }

  /**
   * Upstream's `send_batch_to_node`: sends each buffer as its own message, in order, with the
   * same ports; resolves with their message ids. Stops at the first refusal (rejecting with it;
   * the buffers before it were sent).
   */
  async sendBatchToNode(args: { dstNodeId: number; frozenBuffers: SendToNodeArgs['frozen'][]; srcPort?: number; dstPort?: number }): Promise<number[]> {
    this.#assertOpen();
    checkOptions('sendBatchToNode', args, ['dstNodeId', 'frozenBuffers', 'srcPort', 'dstPort']);
    if (!Array.isArray(args.frozenBuffers)) throw new NextminiError('INVALID_ARGUMENT', `sendBatchToNode: frozenBuffers must be an array of payloads, got ${typeof args.frozenBuffers}`);
    const ids: number[] = [];
    for (const frozen of args.frozenBuffers) {
      ids.push(await this.sendToNode({ dstNodeId: args.dstNodeId, frozen, ...(args.srcPort !== undefined ? { srcPort: args.srcPort } : {}), ...(args.dstPort !== undefined ? { dstPort: args.dstPort } : {}) }));
    }
    return ids;
  }

  /**
   * Upstream's `flow_id_from_nodes`: the `flowId` that deliveries of the flow from `srcNodeId`
   * (ports defaulting to the config's user-space client and server ports) carry at
   * `dstNodeId`. Here a flow id is (source node, source port, destination port), as a bigint.
   */
  flowIdFromNodes(args: { srcNodeId: number; dstNodeId: number; srcPort?: number; dstPort?: number }): bigint {
    checkOptions('flowIdFromNodes', args, ['srcNodeId', 'dstNodeId', 'srcPort', 'dstPort']);
    const src = checkNode('srcNodeId', args.srcNodeId);
    checkNode('dstNodeId', args.dstNodeId);
    const [sp, dp] = this.#ports(args);
    return flowId(src, sp, dp);
  }

  /** Creates a multicast group with this node as its source; resolves once the controller assigned it. */
  async createGroup(label: string): Promise<GroupInfo> {
    this.#assertOpen();
    return this.#groups.create(label);
  }

  /**
   * The group this node created most recently (for code written against the seed's two-step
   * create_group / group_is_ready pattern); waits for a createGroup in flight. Null on timeout.
   */
  async groupIsReady(options: WaitOptions = {}): Promise<GroupInfo | null> {
    this.#assertOpen();
    checkOptions('groupIsReady', options, WAIT_KEYS);
    return this.#groups.groupIsReady(options);
  }

  /** Installs the group's default tree (tree 0). Only the group's source may. */
  async setGroupRoutes(groupId: number, edges: [number, number][]): Promise<void> {
    this.#assertOpen();
    return this.#groups.setRoutes(groupId, [{ treeId: 0, edges, weight: 1 }]);
  }

  /**
   * Installs several trees for a group (tree 0 is the default and must be among them). Each
   * tree is `{ treeId, edges, weight? }` or upstream nextmini's `[treeId, edges]` (weight 1);
   * one call may mix the two.
   */
  async setGroupRoutesMulti(groupId: number, trees: (TreeRoutes | TreeTuple)[]): Promise<void> {
    this.#assertOpen();
    return this.#groups.setRoutes(groupId, trees);
  }

  /** True once this node holds at least `minRoutes` entries (trees) for the group. */
  async waitForGroupRoutes(groupId: number, srcNodeId: number, options: WaitOptions & { minRoutes?: number } = {}): Promise<boolean> {
    this.#assertOpen();
    checkOptions('waitForGroupRoutes', options, [...WAIT_KEYS, 'minRoutes']);
    checkNode('srcNodeId', srcNodeId);
    return this.#groups.waitForRoutes(groupId, options.minRoutes ?? 1, options);
  }

  /** Becomes a member: resolves when the controller accepted. */
  async joinGroup(groupId: number): Promise<void> {
    this.#assertOpen();
    return this.#groups.join(groupId);
  }

  /** Stops being a member: resolves when the controller accepted. */
  async leaveGroup(groupId: number): Promise<void> {
    this.#assertOpen();
    return this.#groups.leave(groupId);
  }

  /**
   * Deletes a group this node created: members' tables drop it, and its id and address may be
   * handed out again. Only the group's source may (NOT_GROUP_SOURCE otherwise).
   */
  async deleteGroup(groupId: number): Promise<void> {
    this.#assertOpen();
    return this.#groups.delete(groupId);
  }

  /** True once local delivery of the group is installed here (the group's routes reach this node). */
  async waitForLocalMembership(groupId: number, options: WaitOptions = {}): Promise<boolean> {
    this.#assertOpen();
    checkOptions('waitForLocalMembership', options, WAIT_KEYS);
    return this.#groups.waitForMembership(groupId, options);
  }

  /**
   * Upstream's `wait_for_group_created`: true once this node's group directory has the group
   * (created by any node), false on timeout.
   */
  async waitForGroupCreated(groupId: number, options: WaitOptions = {}): Promise<boolean> {
    this.#assertOpen();
    checkOptions('waitForGroupCreated', options, WAIT_KEYS);
    return this.#groups.waitForCreated(groupId, options);
  }

  /**
   * Upstream's `register_group_receiver(group_id, src_node_id, ...)`: registerReceiverForGroup
   * with the group named by id (UNKNOWN_GROUP when this node does not know it yet: see
   * waitForGroupCreated).
   */
  registerGroupReceiver(args: { groupId: number; srcNodeId: number; srcPort?: number; dstPort?: number }): PacketReceiver {
    this.#assertOpen();
    checkOptions('registerGroupReceiver', args, ['groupId', 'srcNodeId', 'srcPort', 'dstPort']);
    const groupIp = this.#groups.ipOf(args.groupId);
    if (groupIp === undefined) {
      throw new NextminiError('UNKNOWN_GROUP', `registerGroupReceiver: group ${String(args.groupId)} is not known to node ${this.nodeId} (groups known: ${this.#groups.list().map((g) => g.groupId).join(', ') || 'none'}); waitForGroupCreated first`);
    }
    const { groupId: _g, ...rest } = args;
    return this.registerReceiverForGroup({ ...rest, groupIp });
  }

  /** A group by id, as far as this node knows. */
  getGroup(groupId: number): GroupInfo | undefined {
    return this.#groups.info(groupId);
  }

  /** Every group this node knows of. */
  listGroups(): GroupInfo[] {
    return this.#groups.list();
  }

  /** Subscribes to a group's payloads from its source. */
  registerReceiverForGroup(args: ReceiverForGroupArgs): PacketReceiver {
    this.#assertOpen();
    checkOptions('registerReceiverForGroup', args, ['srcNodeId', 'groupIp', 'srcPort', 'dstPort']);
    const src = checkNode('srcNodeId', args.srcNodeId);
    if (typeof args.groupIp !== 'string') throw new NextminiError('INVALID_ARGUMENT', 'groupIp must be a dotted address');
    const [sp, dp] = this.#ports(args);
    return this.#addReceiver(
      groupFlowKey(args.groupIp, src, sp, dp),
      `group ${args.groupIp} from node ${src}:${sp} -> :${dp}`,
      `group ${args.groupIp} from node ${src} port ${sp} to port ${dp}`,
    );
  }

  /**
   * Sends one payload to every member of a group along its tree (datagram multicast, not
   * reliable; use sendData for lossless transfer). Only the group's source can send.
   */
  async sendToGroup(args: SendToGroupArgs): Promise<number> {
    this.#assertOpen();
    checkOptions('sendToGroup', args, ['groupId', 'groupIp', 'frozen', 'srcPort', 'dstPort', 'treeId']);
    const group = this.#groups.resolve(args);
    const [sp, dp] = this.#ports(args);
    const tree = args.treeId ?? -1;
    const bytes = args.frozen instanceof PacketView ? args.frozen.read() : asUint8(args.frozen);
    return this.#engine.sendGroup(group, tree, sp, dp, bytes);
  }

  /**
   * Starts a lossless transfer of `buffer` to every node in `receiverIds`, over a group
   * (`destIp` = the group's address, along its tree) or to one node (`destIp` = its
   * user-space address). Returns the session id at once; wait with `losslessWait`.
   */
  sendData(args: SendDataArgs): number {
    this.#assertOpen();
    return this.#sessions.send(args);
  }

  /**
   * Starts receiving exactly `expectedBytes` from `sourceNodeId`. Works whether it starts
   * before or after the sender: the sender keeps announcing its manifest.
   */
  receiveData(args: ReceiveDataArgs): number {
    this.#assertOpen();
    return this.#sessions.receive(args);
  }

  /** `receiveData` as a Promise (the seed's receive_data_async). */
  async receiveDataAsync(args: ReceiveDataArgs): Promise<number> {
    return this.receiveData(args);
  }

  /**
   * True once the session completed: on a sender, every receiver confirmed all bytes; on a
   * receiver, all bytes are present and their checksum verified. False when it ended
   * otherwise (see `sessionOutcome`) or on timeout, which leaves the session running.
   */
  async losslessWait(sessionId: number, options: WaitOptions = {}): Promise<boolean> {
    this.#assertOpen();
    checkOptions('losslessWait', options, WAIT_KEYS);
    return this.#sessions.wait(sessionId, options);
  }

  /** Alias of `losslessWait` (the seed's lossless_wait_async). */
  async losslessWaitAsync(sessionId: number, options: WaitOptions = {}): Promise<boolean> {
    return this.losslessWait(sessionId, options);
  }

  /** How a session ended, or null while it runs. Unknown id: UNKNOWN_SESSION. */
  sessionOutcome(sessionId: number): SessionOutcome | null {
    this.#assertOpen();
    return this.#sessions.outcome(sessionId);
  }

  /** Bytes done, receivers done, retransmissions and repair symbols so far. */
  sessionProgress(sessionId: number): SessionProgress {
    this.#assertOpen();
    return this.#sessions.progress(sessionId);
  }

  /** Calls `listener` as sessions progress (for progress bars); returns an unsubscribe function. */
  onSessionProgress(listener: (e: ProgressEvent) => void): () => void {
    return this.#sessions.onProgress(listener);
  }

  /** Stops a session; a sender tells its receivers. */
  cancelSession(sessionId: number): void {
    this.#assertOpen();
    this.#sessions.cancel(sessionId);
  }

  /**
   * A completed receive's bytes (exactly expectedBytes). Before completion: NOT_COMPLETE;
   * unknown id: UNKNOWN_SESSION. With `consume: false` later calls return it again.
   */
  getDataBuffer(sessionId: number, options: { consume?: boolean } = {}): PacketView {
    this.#assertOpen();
    checkOptions('getDataBuffer', options, ['consume']);
    return this.#sessions.data(sessionId, options.consume ?? true);
  }

  /** True once the controller reports every node connected with links up. Resolves at once if so. */
  async waitForTopologyReady(options: WaitOptions = {}): Promise<boolean> {
    this.#assertOpen();
    checkOptions('waitForTopologyReady', options, WAIT_KEYS);
    if (this.#ready) return Promise.resolve(true);
    return this.#readyWaiters.wait(options);
  }

  get topologyReady(): boolean {
    return this.#ready;
  }

  getNetworkInfo(): NetworkInfo {
    const list = this.#transports.list;
    const socket = list.find((t) => t.protocol === 'udp' || t.protocol === 'tcp');
    const announced = socket && this.#announced.find((e) => e.protocol === socket.protocol);
    return {
      nodeId: this.nodeId,
      controllerAddr: controllerUrl(this.#cfg.controller_addr),
      userSpaceAddr: formatIpv4((this.#userSpaceBase + this.nodeId) >>> 0),
      privateNetworkAddr: socket ? socket.local.host : list[0]!.protocol,
      privateNetworkPort: socket?.local.port ?? 0,
      protocol: list[0]!.protocol,
      protocols: list.map((t) => t.protocol),
      endpoints: list.map((t) => ({ protocol: t.protocol, host: t.local.host, port: t.local.port })),
      mtu: this.#cfg.mtu,
      operatingMode: this.#cfg.operating_mode,
      userSpaceAddress: formatIpv4((this.#userSpaceBase + this.nodeId) >>> 0),
      // What peers are told (the controller's welcome): public_network_addr / _port when set,
      // and a wildcard bind replaced by the address the node connected from.
      publicNetworkAddr: socket ? (announced?.host ?? this.#cfg.public_network_addr ?? socket.local.host) : null,
      publicNetworkPort: socket ? (announced?.port ?? this.#cfg.public_network_port ?? socket.local.port) : null,
      privateNetworkInterface: this.#cfg.private_network_interface ?? null,
    };
  }

  stats(): DataplaneStats {
    this.#assertOpen();
    const raw = this.#engine.stats();
    const t = this.#transports.stats();
    const core: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw)) if (k.startsWith('drop.')) core[k.slice(5)] = v;
    const drops = {
      ...(core as Omit<DropCounts, 'no_receiver' | 'receiver_full' | 'unknown_peer' | 'send_error' | 'link_framing' | 'link_backlog' | 'link_refused'>),
      no_receiver: this.#hostDrops.no_receiver,
      receiver_full: this.#hostDrops.receiver_full,
      unknown_peer: this.#engine.unknownPeerDrops,
      send_error: t.sendErrors,
      link_framing: t.framingErrors,
      link_backlog: t.backlogDrops,
      link_refused: t.refusedConnections,
    };
    return {
      messagesSent: raw.messagesSent ?? 0,
      packetsSent: raw.packetsSent ?? 0,
      packetsReceived: raw.packetsReceived ?? 0,
      // Each datagram and message counted once, under the outcome it had: the core counts a
      // forward and a delivery when it hands them over, before the host finds the next hop's
      // address unknown (unknown_peer) or no receiver registered (no_receiver).
      packetsForwarded: (raw.packetsForwarded ?? 0) - this.#engine.unknownPeerForwards,
      messagesDelivered: (raw.messagesDelivered ?? 0) - this.#hostDrops.no_receiver,
      bytesDelivered: (raw.bytesDelivered ?? 0) - this.#noReceiverBytes,
      queued: raw.queued ?? 0,
      drops,
      links: this.#links(),
      sessions: this.#sessions.counts(),
      flow: this.#transports.flowStats(),
    };
  }

  /** Every neighbour's link (by id), emulated ones with their counters. */
  #links(): LinkCounters[] {
    const emulated = new Map(this.#engine.linkStats().map((l) => [l.neighbor, l]));
    const out: LinkCounters[] = [];
    for (const n of [...this.#neighbors].sort((a, b) => a - b)) {
      out.push(emulated.get(n) ?? { neighbor: n, transport: this.#transports.protocolOf(n), emulated: false, bytesSent: 0, packetsSent: 0, dropsLoss: 0, dropsQueue: 0, queueDepth: 0, inFlight: 0, measuredRate: 0, dropsRed: 0, flowOverflow: 0 });
      emulated.delete(n);
    }
    // Emulation set on a link that is not (or no longer) a neighbour's: still shown.
    out.push(...emulated.values());
    return out;
  }

  /**
   * Opens a reliable byte stream to a listener at (`dstNodeId`, `dstPort`). Resolves once the
   * peer accepted. Rejects with CONNECTION_REFUSED (nobody listens there), NO_ROUTE, PEER_DOWN,
   * TIMEOUT (no answer within `timeoutMs`, default 30 s), ABORTED (`signal`).
   */
  async connect(args: ConnectArgs): Promise<NextminiStream> {
    this.#assertOpen();
    return this.#streams.connect(args);
  }

  /** Accepts streams on `port`: `for await (const stream of dp.listen({ port }))`. */
  listen(args: ListenArgs): StreamListener {
    this.#assertOpen();
    refuseFlowStreamPort('listen', (args as ListenArgs | undefined)?.port);
    return this.#streams.listen(args);
  }

  /** @internal */
  streamEvent(kind: number, conn: number, listener: number, error: string): void {
    this.#streams.onEvent(kind, conn, listener, error);
  }

  /** Leaves the controller, closes sockets and receivers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // First, while the links are up: the streams' peers get their resets.
    this.#streams.close();
    this.#metrics?.stop();
    this.#flows.close();
    this.#control.close();
    for (const r of [...this.#receivers.values()]) r.close();
    this.#readyWaiters.wakeAll(false);
    this.#groups.close();
    this.#sessions.close();
    await this.#transports.close();
    this.#engine.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The protocols a node opens: its config's, less the relay when the controller is reached
 * in-realm (the relay needs the controller's WebSocket server; memory reaches every node of
 * the realm). A relay named alone there is an error.
 */
function speakable(protocols: Protocol[], url: string): Protocol[] {
  if (!url.startsWith('realm:') || !protocols.includes('relay')) return protocols;
  const rest = protocols.filter((p) => p !== 'relay');
  if (rest.length === 0) {
    throw new NextminiError('CONFIG_INVALID', `node config.protocol "relay" needs a controller reached over a WebSocket, but controller_addr is the in-realm ${url}; use "memory", or the controller's ws:// URL`);
  }
  return rest;
}

function describeLocal(list: Transport[]): string {
  return list.map((t) => (t.protocol === 'udp' || t.protocol === 'tcp' ? `${t.protocol} ${t.local.host}:${t.local.port}` : t.protocol)).join(', ');
}
