// The controller: owns the topology, routes, links and groups, admits nodes, hands each one a
// snapshot of what it needs, and announces TopologyReady once every node is connected with
// links up. Its state is kept in a store (memory, PGlite or PostgreSQL): every change is
// committed there before the caller is answered, and restored from there at start, so a
// controller killed and started again on the same store hands nodes back what they had.
// This is the logic only: it talks over ControlConnections (connection.ts) and imports nothing
// node-only, so it also runs in a browser tab (startNetwork). Its WebSocket server, TLS and the
// raw-socket limits live in server.ts, which calls in through ControllerHooks.
import { WasmTopology } from '../../wasm/nextmini_core.js';
import { callCore, NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { checkOptions } from '../options.js';
import type { ResolvedControllerConfig } from '../config/controller-config.js';
import type { SecurityConfig } from '../config/security-config.js';
import { decode, encode, frameVersion, type Endpoint, type GroupOp, type Hello, type LinkEntry, type PeerAddress, type MetricSample, type Reject } from '../control/messages.js';
import { checkLinkParams, fromInput, isNeutral, LINK_INPUT_KEYS, mergeLinkParams, toCoreParams, type LinkParamsConfig } from '../config/link-config.js';
import { CONTROL_VERSION } from '../control/codec.js';
import type { ClearRoutesArgs, ControllerApi, ControllerStatus, MetricsQuery, MetricsResult, SetLinkArgs, SetRoutesArgs } from './api.js';
import { GroupBook } from './group-book.js';
import { culprit, RouteBook, relabel, usableRows, type Plan } from './route-book.js';
import type { StoredRoute } from './store/store.js';
import { RelayHub } from './relay.js';
import type { Store } from './store/store.js';
import { MetricsBook, metricsPruneIntervalMs } from './metrics.js';
import { NONCE_BYTES, randomBytes } from '../control/auth.js';
import { authRequired } from '../config/security-config.js';
import { tokenFor, verifyHello, vouchDataHost, type HelloVerdict } from './admission.js';
import { plainAddress, terminateSoon } from './guard.js';
import { freshLinkKeys, wrapKeySync } from './link-keys.js';
import { registerRealmController, type PipeEnd } from '../control/realm.js';
import type { ControlConnection, RelaySocket } from './connection.js';
import { nextTurn } from '../next-turn.js';
import { chooseLink, describeEndpoints } from './link-choice.js';
import { IdAssigner } from './id-assign.js';
import type { UdpBridge, UdpBridgeHooks } from './udp-bridge.js';
import { checkStartFlow, FlowBook, type FlowResult, type StartFlowArgs } from './flow-book.js';
import { flowsPrometheus } from './flow-metrics.js';

export type { ControllerStatus, RelayStatus, SetLinkArgs, SetRoutesArgs, ClearRoutesArgs } from './api.js';

const log = logger('controller');
// The handlers below were written against `ws`; their connections are ControlConnections now
// (a WebSocket or an in-realm pipe), under the old names so the handlers read as before.
type WebSocket = ControlConnection;
// Browsers have no setImmediate; the snapshot flush runs on the portable next turn.
const setImmediate = nextTurn;
/** A connection must say hello within this time (and a relay connection present its token). */
const HELLO_TIMEOUT_MS = 10_000;
/**
 * A change may wait this long for the ones before it; with the store's own 10 s query timeout
 * it is answered within a node's 15 s request timeout.
 */
const QUEUE_DEADLINE_MS = 4_000;
/** Metric reports from one node closer together than this are dropped (and counted). */
const METRICS_MIN_GAP_MS = 50;
/** Metric batches waiting for the store at most; more are dropped (and counted). */
const METRICS_MAX_WRITES = 64;

interface Member {
  ws: WebSocket;
  hello: Hello;
  /** The controller's address on this node's control connection: where it reaches the UDP bridge. */
  local: string;
  generation: number;
  linksUpGeneration: number;
  /** The bound relay connection of a relay node. */
  relay?: RelaySocket;
  /** The route table this node was last sent, to push only tables that changed. */
  routeTable?: string;
  /** When its last metrics report was taken in. */
  lastReportMs?: number;
  /** Authentication on: the key that wraps link keys for this connection, and the keys message count. */
  kek?: Uint8Array;
  keySeq: number;
}

/**
 * What a server in front of the logic (server.ts: WebSockets, /relay, /admin, /metrics) calls
 * into. It is handed to the server when the controller starts, not kept on the class, so the
 * public Controller stays the same in every runtime.
 */
export interface ControllerHooks {
  readonly security: SecurityConfig;
  /** The admin operations (serveAdmin) and the /metrics text. */
  readonly api: ControllerApi;
  /**
   * A node's control connection from `remote` (its address) to `local` (the controller's
   * address on it, where the node reaches the UDP bridge); `proven` runs once it is admitted.
   */
  acceptControl(conn: ControlConnection, remote: string, local: string, proven: () => void): void;
  /** A relay node's datagram connection, for node `nodeParam` (the `?node=` of its URL). */
  acceptRelay(conn: RelaySocket, nodeParam: string | null, proven: () => void): void;
  /** Why the admin endpoint and GET /metrics are off, if they are. */
  adminDisabled(): string | undefined;
  /** Counts a connection refused before it authenticated (status().refusedConnections). */
  refused(): void;
  /** GET /metrics: Prometheus text of the connected nodes' latest counters. */
  prometheus(): string;
}

/** A running server in front of the controller: where nodes reach it, and how it stops. */
export interface ControllerServer {
  /** ws:// or wss:// URL nodes connect to. */
  readonly url: string;
  /** Opens the UDP bridge between UDP and relay-only nodes (where the runtime has UDP sockets). */
  bridge?: (hooks: UdpBridgeHooks) => UdpBridge;
  /** Ends every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a server that calls `hooks`; resolves once it listens. */
export type ListenFn = (hooks: ControllerHooks) => Promise<ControllerServer>;

/**
 * A fingerprint of an encoded route table (length and two independent 32-bit hashes): what the
 * controller keeps per node to push only tables that changed, instead of a copy of each (N
 * tables of N entries would be N² bytes at scale).
 */
function fingerprint(b: Uint8Array): string {
  let fnv = 0x811c9dc5;
  let djb = 5381;
  for (let i = 0; i < b.length; i++) {
    fnv = Math.imul(fnv ^ b[i]!, 0x01000193) >>> 0;
    djb = (Math.imul(djb, 33) + b[i]!) >>> 0;
  }
  return `${b.length}:${fnv}:${djb}`;
}

export class Controller implements ControllerApi {
  readonly #cfg: ResolvedControllerConfig;
  readonly #topo: WasmTopology;
  readonly #store: Store;
  /** The WebSocket server in front of this controller; none when it runs in-realm only (browsers). */
  #server: ControllerServer | undefined;
  readonly #relay: RelayHub;
  readonly #members = new Map<number, Member>();
  readonly #expected: Set<number>;
  /**
   * The last data address of every node seen (from the store at start, then from each hello).
   * Snapshots list it for nodes not connected right now: after a controller restart, the first
   * nodes to say hello again must still reach the others, whose data sockets never went away.
   */
  readonly #lastKnown = new Map<number, Endpoint[]>();
  /** Nodes by their UDP data address ("host:port"), for the bridge to tell who sent a datagram. */
  readonly #udpAt = new Map<string, number>();
  /** Relay-only nodes' UDP faces (Node only; absent where the controller cannot open sockets). */
  #bridge: UdpBridge | undefined;
  /** Pairs already warned about having no transport in common ("a<b"). */
  readonly #unreachableWarned = new Set<string>();
  /** Emulation per directed link, keyed "src>dst"; absent = none. */
  readonly #links = new Map<string, LinkParamsConfig>();
  readonly #groups: GroupBook;
  readonly #routes: RouteBook;
  readonly #metrics = new MetricsBook();
  /** Traffic flows: [[flows]] and startFlow (flow-book.ts). */
  readonly #flows: FlowBook;
  /** Ids handed to nodes that asked for one (node_id = 0). */
  readonly #ids = new IdAssigner();
  /** The topology's ids, ascending (for the id assigner), computed on first use. */
  #sortedIds: number[] | undefined;
  /** Connections refused before they authenticated: wrong proof, too many bytes, too many pending. */
  #refused = 0;
  /** Metric batches being written to the store. */
  #metricsWrites = 0;
  /** Metric reports or batches dropped: too frequent, or the store too slow. */
  #metricsDropped = 0;
  #ready = false;
  /** #checkReady's scan: the expected ids in a fixed order, and where the next scan resumes. */
  #readyOrder: number[] | undefined;
  #readyFrom = 0;
  #closed = false;
  /** Nodes owed a fresh snapshot; sent once per event-loop turn however many joins happened. */
  readonly #dirty = new Set<number>();
  /** Nodes owed a peers update, and whose addresses. */
  readonly #peerUpdates = new Map<number, Set<number>>();
  /** Nodes owed a presence message: who went down or came up, and who reported the drop. */
  readonly #presence = new Map<number, { down: Set<number>; up: Set<number>; reporter: number }>();
  /**
   * For each node, the nodes that were told it is down (its direct peers, and sources whose
   * datagrams to it were reported undeliverable): they are told when it joins or leaves.
   */
  readonly #interested = new Map<number, Set<number>>();
  /** Nodes whose connection to this controller closed and that have not joined again. */
  readonly #left = new Set<number>();
  #flushScheduled = false;
  /** Every change runs in turn: validated, stored, then pushed, in the order it arrived. */
  #serial: Promise<unknown> = Promise.resolve();
  #unwatchRoutes: (() => Promise<void>) | undefined;
  #routesReloadQueued = false;
  #pruneTimer: ReturnType<typeof setInterval> | undefined;
  /** `realm://<id>`: nodes in this JavaScript realm reach the controller here without sockets (control/realm.ts). */
  readonly realmUrl: string;
  readonly #unregisterRealm: () => void;
  /** In-realm control connections open now (close() ends them). */
  readonly #pipes = new Set<PipeEnd>();

  private constructor(cfg: ResolvedControllerConfig, topo: WasmTopology, store: Store) {
    this.#cfg = cfg;
    this.#topo = topo;
    this.#store = store;
    this.#expected = new Set(topo.nodeIds());
    this.#groups = new GroupBook(topo, cfg.multicastPoolBase, cfg.multicastPoolMask);
    this.#routes = new RouteBook(cfg.explicitRoutes);
    this.#relay = new RelayHub(
      (id) => this.#members.get(id),
      () => this.#members.values(),
      HELLO_TIMEOUT_MS,
    );
    this.#initLinks();
    this.#flows = new FlowBook({
      ready: (src, dst) => this.#linksUp(src) && this.#linksUp(dst),
      waiting: (src, dst) => {
        const ends = [src, dst];
        const list = (ids: number[]) => `node${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`;
        const absent = ends.filter((id) => !this.#members.has(id));
        if (absent.length) return `waiting for ${list(absent)} to connect`;
        // A node reports its links up once every neighbour is linked: an absent neighbour holds the flow.
        const others = [...new Set(ends.flatMap((id) => [...this.#topo.neighbors(id)]))].filter((id) => !ends.includes(id) && !this.#members.has(id)).sort((a, b) => a - b);
        if (others.length) return `waiting for ${list(others)} to connect: a flow starts once both its nodes have all their links up, and nodes ${src} and ${dst} have links to ${others.length > 1 ? 'them' : 'it'}`;
        return `waiting for nodes ${src} and ${dst} to report their links up`;
      },
      noRoute: (src, dst) =>
        this.#cfg.shortestPaths || this.#routes.routed(src, dst)
          ? undefined
          : `no route from node ${src} to node ${dst}: the controller computes no routes (its config file has no [routing], or protocol = "explicit"), so only [[routes]] and run-time routes exist; add [routing] protocol = "shortest_path", a [[routes]] entry, or controller.setRoutes before starting the flow`,
      send: (node, m) => this.#members.get(node)?.ws.send(encode(m)),
      weights: (list) => {
        const msg = encode({ t: 'flow-weights', list });
        for (const m of this.#members.values()) m.ws.send(msg);
      },
      store: (r) => {
        if (this.#closed) return Promise.resolve();
        return this.#store.putFlow(r).catch((err: unknown) => {
          throw this.#storeFailed(`flow ${r.flowId} (${r.state})`, err);
        });
      },
    });
    this.#cfg.flows.forEach((f, i) => {
      for (const [key, id] of [['src_node_id', f.src], ['dst_node_id', f.dst]] as const) {
        if (!this.#expected.has(id)) throw new NextminiError('CONFIG_INVALID', `controller config.flows[${i}].${key} is node ${id}, which is not in the topology (nodes are ${describeIds([...this.#expected])})`);
      }
    });
    // Last: a config error above leaves nothing registered in the realm.
    const realm = registerRealmController((end) => this.acceptPipe(end));
    this.realmUrl = realm.url;
    this.#unregisterRealm = realm.unregister;
  }

  /**
   * The URL nodes connect to (`controller_addr`): the server's ws:// or wss:// URL, or
   * `realmUrl` when there is no server (a controller started in a browser tab).
   */
  get url(): string {
    return this.#server?.url ?? this.realmUrl;
  }

  /** Why the admin endpoint is off, if it is: nodes authenticate but no admin_token is set. */
  #adminDisabled(): string | undefined {
    const sec = this.#cfg.security;
    if (sec.adminToken === undefined && authRequired(sec)) {
      return 'the admin endpoint is off: nodes authenticate (auth_token) but no admin_token is set in the controller config';
    }
    return undefined;
  }

  /** Node `id` is connected and reported its links up for its latest snapshot. */
  #linksUp(id: number): boolean {
    const m = this.#members.get(id);
    return m !== undefined && m.linksUpGeneration === m.generation;
  }

  #isLink(src: number, dst: number): boolean {
    return this.#expected.has(src) && this.#topo.neighbors(src).includes(dst);
  }

  /** Resolves [link_defaults], [[link_rates]] and [[links]] onto every directed link. */
  #initLinks(): void {
    const defaults = this.#cfg.linkDefaults;
    checkLinkParams('controller config.link_defaults', defaults);
    if (!isNeutral(defaults)) {
      const edges = this.#topo.edges();
      for (let i = 0; i < edges.length; i += 2) {
        this.#links.set(`${edges[i]}>${edges[i + 1]}`, { ...defaults });
        this.#links.set(`${edges[i + 1]}>${edges[i]}`, { ...defaults });
      }
    }
    for (const rule of this.#cfg.linkRules) {
      if (!this.#isLink(rule.src, rule.dst)) throw new NextminiError('CONFIG_INVALID', `${rule.where}: there is no link from node ${rule.src} to node ${rule.dst} in the topology`);
      const merged = { ...(this.#links.get(`${rule.src}>${rule.dst}`) ?? defaults), ...rule.params };
      checkLinkParams(rule.where, merged);
      this.#links.set(`${rule.src}>${rule.dst}`, merged);
    }
  }

  /** Puts back what the store holds: link settings, run-time routes, groups. */
  async #restore(): Promise<void> {
    const state = await this.#store.load();
    const where = `${this.#store.kind} store at ${this.#store.location}`;
    for (const l of state.links) {
      if (!this.#isLink(l.srcNodeId, l.dstNodeId)) {
        log.warn(`${where}: ignoring stored settings of link ${l.srcNodeId} -> ${l.dstNodeId}, which is not in this topology`);
        continue;
      }
      this.#links.set(`${l.srcNodeId}>${l.dstNodeId}`, l.params);
    }
    if (state.routes.length) this.#routes.commit(this.#adoptRows(state.routes, 'routes table').next);
    this.#groups.restore(state.groups, where);
    for (const n of state.nodes) {
      if (this.#expected.has(n.nodeId)) this.#lastKnown.set(n.nodeId, n.endpoints);
      // A controller killed without closing left its nodes marked connected; they say hello again.
      if (n.connected) await this.#store.putNode({ ...n, connected: false });
    }
    this.#flows.restore(await this.#store.loadFlows());
    if (state.groups.length || state.routes.length || state.links.length) {
      log.info(`restored from the ${where}: ${state.groups.length} groups, ${state.routes.length} run-time routes, ${state.links.length} link settings`);
    }
  }

  #linksOf(node: number): LinkEntry[] {
    const out: LinkEntry[] = [];
    for (const n of this.#topo.neighbors(node)) {
      const p = this.#links.get(`${node}>${n}`);
      if (p && !isNeutral(p)) out.push({ neighbor: n, params: toCoreParams(p, node * 65_536 + n) });
    }
    return out;
  }

  /**
   * Runs `fn` after every change queued before it; its outcome is the caller's. A change that
   * waited longer than QUEUE_DEADLINE_MS (a store that stopped answering holds every later one)
   * fails with TIMEOUT instead of running: its caller, who gives up after 15 s, must not see it
   * carried out later.
   */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const queuedAt = Date.now();
    const run = this.#serial.then(() => {
      if (this.#closed) throw new NextminiError('CLOSED', 'the controller is closed');
      const waited = Date.now() - queuedAt;
      if (waited > QUEUE_DEADLINE_MS) {
        throw new NextminiError('TIMEOUT', `not carried out: it waited ${waited} ms behind earlier changes (is the ${this.#store.kind} store at ${this.#store.location} answering?)`);
      }
      return fn();
    });
    this.#serial = run.catch(() => {});
    return run;
  }

  /** Wraps a store failure so callers see what could not be saved, and where. */
  #storeFailed(what: string, err: unknown): NextminiError {
    log.error(`could not store ${what} in the ${this.#store.kind} store at ${this.#store.location}: ${(err as Error).message}`);
    // The store's own errors name it and where it is.
    return new NextminiError('INTERNAL', `the controller could not store ${what}: ${(err as Error).message}`, { cause: err });
  }

  /**
   * Changes a link's emulation at run time; resolves once it is stored and pushed to the
   * sending node, which applies it without dropping queued packets. Unspecified keys keep
   * their current values unless `replace` is set.
   */
  setLink(args: SetLinkArgs): Promise<void> {
    try {
      checkOptions('setLink', args, ['srcNodeId', 'dstNodeId', 'bidirectional', 'replace', ...LINK_INPUT_KEYS]);
    } catch (err) {
      return Promise.reject(err);
    }
    const { srcNodeId: src, dstNodeId: dst, bidirectional, replace, ...input } = args;
    let params: LinkParamsConfig;
    try {
      this.#checkLink('setLink', src, dst);
      if (bidirectional) this.#checkLink('setLink', dst, src);
      params = fromInput(input);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async () => {
      const dirs: [number, number][] = bidirectional ? [[src, dst], [dst, src]] : [[src, dst]];
      const next = dirs.map(([a, b]) => {
        const merged = replace ? { ...params } : mergeLinkParams(this.#links.get(`${a}>${b}`) ?? {}, params);
        checkLinkParams(`setLink(${a} -> ${b})`, merged);
        return { srcNodeId: a, dstNodeId: b, params: merged };
      });
      try {
        for (const l of next) await this.#store.putLink(l);
      } catch (err) {
        throw this.#storeFailed(`link ${src} -> ${dst}`, err);
      }
      for (const l of next) this.#links.set(`${l.srcNodeId}>${l.dstNodeId}`, l.params);
      for (const a of new Set(dirs.map(([x]) => x))) {
        this.#members.get(a)?.ws.send(encode({ t: 'links', links: this.#linksOf(a) }));
      }
    });
  }

  /** INVALID_ARGUMENT unless src -> dst is a link of the topology. */
  #checkLink(call: string, src: unknown, dst: unknown): void {
    for (const [name, v] of [['srcNodeId', src], ['dstNodeId', dst]] as const) {
      if (!Number.isInteger(v)) throw new NextminiError('INVALID_ARGUMENT', `${call}: ${name} must be a node id, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    }
    if (!this.#isLink(src as number, dst as number)) throw new NextminiError('INVALID_ARGUMENT', `${call}: there is no link from node ${src} to node ${dst} in the topology`);
  }

  /** The emulation configured for the link from `src` to `dst` (empty = none); INVALID_ARGUMENT for a non-link. */
  getLink(srcNodeId: number, dstNodeId: number): LinkParamsConfig {
    this.#checkLink('getLink', srcNodeId, dstNodeId);
    return { ...(this.#links.get(`${srcNodeId}>${dstNodeId}`) ?? {}) };
  }

  /**
   * Sends flows from `srcNodeId` to `dstNodeId` along `route` (a path or DAG edges, checked as
   * `[[routes]]` are). Resolves once stored and pushed to every node whose table changed.
   */
  setRoutes(args: SetRoutesArgs): Promise<void> {
    try {
      checkOptions('setRoutes', args, ['srcNodeId', 'dstNodeId', 'route']);
      RouteBook.check('setRoutes', args.srcNodeId, args.dstNodeId, args.route);
    } catch (err) {
      return Promise.reject(err);
    }
    const row = { srcNodeId: args.srcNodeId, dstNodeId: args.dstNodeId, route: args.route };
    return this.#changeRoutes(
      () => this.#routes.merged([row]),
      () => this.#store.putRoute(row),
      `route ${args.srcNodeId} -> ${args.dstNodeId}`,
    );
  }

  /** Drops the run-time route from `srcNodeId` to `dstNodeId`: back to `[[routes]]`, shortest paths (if on), or none. */
  clearRoutes(args: ClearRoutesArgs): Promise<void> {
    try {
      checkOptions('clearRoutes', args, ['srcNodeId', 'dstNodeId']);
      RouteBook.check('clearRoutes', args.srcNodeId, args.dstNodeId, [args.srcNodeId, args.dstNodeId]);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#changeRoutes(
      () => this.#routes.merged([], [args]),
      () => this.#store.deleteRoute(args.srcNodeId, args.dstNodeId),
      `cleared route ${args.srcNodeId} -> ${args.dstNodeId}`,
    );
  }

  /** Computes the routes a change leads to (refusing it if the core does), stores it, pushes. */
  #changeRoutes(plan: () => Plan, save: () => Promise<void>, what: string): Promise<void> {
    return this.#enqueue(async () => {
      const p = plan();
      this.#compute(p);
      try {
        await save();
      } catch (err) {
        this.#compute(this.#routes.merged());
        throw this.#storeFailed(what, err);
      }
      this.#routes.commit(p.next);
      this.#pushRoutes();
    });
  }

  #compute(p: Plan): void {
    try {
      callCore(() => this.#topo.computeRoutes(Uint32Array.from(p.flat)));
    } catch (err) {
      throw relabel(err, p.labels);
    }
  }

  /** Sends each connected node its route table if it changed. */
  #pushRoutes(): void {
    for (const m of this.#members.values()) {
      const t = this.#topo.routeTable(m.hello.nodeId);
      const f = fingerprint(t);
      if (m.routeTable === f) continue;
      m.routeTable = f;
      m.ws.send(encode({ t: 'routes', routeTable: t }));
    }
  }

  /**
   * Computes routes from the rows of the routes table, which any client may write: a row that is
   * no route, or one the topology cannot carry, is logged by name and left out; the others apply.
   */
  #adoptRows(rows: StoredRoute[], origin: string): Plan {
    const { good, refused } = usableRows(rows, origin);
    let keep = good;
    for (;;) {
      const p = this.#routes.merged(keep, [], true, origin);
      try {
        callCore(() => this.#topo.computeRoutes(Uint32Array.from(p.flat)));
        for (const why of refused) log.error(`ignoring a row of the routes table: ${why}`);
        return p;
      } catch (err) {
        const i = culprit(err);
        const key = i === undefined ? undefined : p.runtime[i];
        // Config routes were checked at start, so the core can only be refusing a row.
        if (key === undefined) throw relabel(err, p.labels);
        refused.push((relabel(err, p.labels) as Error).message);
        keep = keep.filter((r) => `${r.srcNodeId}>${r.dstNodeId}` !== key);
      }
    }
  }

  /** The routes table changed (maybe by another client): take what it holds now. */
  #routesTableChanged(): void {
    if (this.#routesReloadQueued) return;
    this.#routesReloadQueued = true;
    void this.#enqueue(async () => {
      this.#routesReloadQueued = false;
      const p = this.#adoptRows(await this.#store.loadRoutes(), 'routes table');
      this.#routes.commit(p.next);
      this.#pushRoutes();
    }).catch((err: unknown) => {
      this.#routesReloadQueued = false;
      if (!this.#closed) log.error(`could not reload the routes table: ${(err as Error).message}`);
    });
  }

  /**
   * Stored metric samples, oldest first; filter by node, counter name and time. The array also
   * carries `flows`: every traffic flow with its state and results (the filters do not apply).
   */
  metrics(query: MetricsQuery = {}): Promise<MetricsResult> {
    try {
      checkOptions('metrics', query, ['nodeId', 'name', 'sinceMs', 'limit']);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#store.queryMetrics(query).then((rows) => Object.assign(rows, { flows: this.#flows.list() }));
  }

  /** Every traffic flow with its state and results, oldest first (also `metrics().flows`). */
  flows(): FlowResult[] {
    return this.#flows.list();
  }

  /**
   * Starts a traffic flow at run time, as a [[flows]] entry would: resolves with its id once it
   * is recorded; it runs as soon as both ends are connected with their links up.
   */
  startFlow(spec: StartFlowArgs): Promise<number> {
    let checked;
    try {
      checked = checkStartFlow(spec, (id) => this.#expected.has(id), describeIds([...this.#expected]));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(async () => {
      const { flowId, stored } = this.#flows.add(checked);
      // Committed, then answered; a store that failed leaves the flow running here, unrecorded.
      await stored;
      return flowId;
    });
  }

  /**
   * Stops a flow: its source stops generating and it ends 'stopped', its results what was
   * delivered so far (late datagrams still count for a moment). A flow that already ended is
   * left as it is; an unknown id is UNKNOWN_FLOW.
   */
  stopFlow(flowId: number): Promise<void> {
    if (!Number.isInteger(flowId) || flowId < 1) return Promise.reject(new NextminiError('INVALID_ARGUMENT', `stopFlow: flowId must be a flow id (a whole number >= 1, as startFlow returned), got ${typeof flowId === 'string' ? JSON.stringify(flowId) : String(flowId)}`));
    return this.#enqueue(async () => this.#flows.stop(flowId));
  }

  #onMetrics(member: Member, samples: MetricSample[]): void {
    const now = Date.now();
    // A node reports every metrics_interval_ms (1 s by default); reports closer together than
    // METRICS_MIN_GAP_MS are dropped, so no node can keep the controller busy ingesting.
    if (now - (member.lastReportMs ?? -Infinity) < METRICS_MIN_GAP_MS) {
      this.#metricsDropped++;
      return;
    }
    member.lastReportMs = now;
    const rows = this.#metrics.ingest(member.hello.nodeId, samples, now);
    if (!rows.length) return;
    // Metrics never queue without bound behind a slow store: past this many batches in
    // flight, samples reach /metrics but not the table.
    if (this.#metricsWrites >= METRICS_MAX_WRITES) {
      this.#metricsDropped++;
      return;
    }
    this.#metricsWrites++;
    this.#store
      .insertMetrics(rows)
      .catch((err: unknown) => log.warn(`could not store metrics of node ${member.hello.nodeId}: ${(err as Error).message}`))
      .finally(() => this.#metricsWrites--);
  }

  /**
   * @internal use startController() (Node, Deno, Bun) or startNetwork(). Builds the topology,
   * opens the store (closed again if starting fails), starts the server `listen` puts in front
   * (none: reachable in this realm only, at realmUrl), and restores the stored state.
   */
  static async open(cfg: ResolvedControllerConfig, openStore: () => Promise<Store>, listen?: ListenFn): Promise<Controller> {
    const t = cfg.topology;
    checkTopologySize(t);
    const topo = callCore(() => WasmTopology.build(t.kind, t.a, t.b, Uint32Array.from(t.edges)));
    topo.setShortestPaths(cfg.shortestPaths);
    const cleanup: (() => Promise<void> | void)[] = [() => topo.free()];
    const fail = async (err: unknown): Promise<never> => {
      for (const f of cleanup.reverse()) await f();
      throw err;
    };
    if (cfg.explicitRoutes.length) {
      try {
        callCore(() => topo.computeRoutes(Uint32Array.from(cfg.explicitRoutes)));
      } catch (err) {
        return fail(err);
      }
    }
    let store: Store;
    try {
      store = await openStore();
    } catch (err) {
      return fail(err);
    }
    cleanup.push(() => store.close());
    const sec = cfg.security;
    let c: Controller;
    try {
      c = new Controller(cfg, topo, store);
    } catch (err) {
      return fail(err);
    }
    cleanup.push(() => c.#unregisterRealm());
    try {
      if (listen) {
        c.#server = await listen(c.#hooks());
        const server = c.#server;
        cleanup.push(() => server.close());
        if (server.bridge) c.#installBridge(server.bridge);
      }
      await c.#restore();
      for (const f of cfg.flows) c.#flows.add(f).stored.catch(() => {});
      c.#unwatchRoutes = await store.watchRoutes(() => c.#routesTableChanged());
    } catch (err) {
      return fail(err);
    }
    c.#pruneTimer = setInterval(() => {
      store.pruneMetrics(Date.now() - cfg.metricsRetentionS * 1000).catch((err: unknown) => log.warn(`could not prune old metrics: ${(err as Error).message}`));
    }, metricsPruneIntervalMs(cfg.metricsRetentionS));
    c.#pruneTimer.unref?.();
    for (const id of new Set([...sec.nodeTokens.keys(), ...sec.publicAddrs.keys(), ...cfg.operatingModes.keys()])) {
      if (!c.#expected.has(id)) log.warn(`controller config [[nodes]] names node ${id}, which is not in the topology; its settings do nothing`);
    }
    // Without a server only code in this realm reaches the controller.
    if (!authRequired(sec) && c.#server) {
      log.warn(`no auth_token: anyone who can reach ${c.url} can join as any node, read peers' addresses and receive their traffic (see README "Security")`);
    }
    log.startup(`listening on ${c.url}; expecting nodes ${describeIds([...c.#expected])}; state in ${store.kind === 'memory' ? 'memory only' : `${store.kind} at ${store.location}`}`);
    return c;
  }

  /** Joins UDP nodes and relay-only nodes through the server's UDP bridge (udp-bridge.ts). */
  #installBridge(open: (hooks: UdpBridgeHooks) => UdpBridge): void {
    const bridge = open({
      nodeAt: (host, port) => this.#udpAt.get(`${plainAddress(host)}:${port}`),
      toRelay: (dst, src, datagram) => this.#relay.deliver(dst, src, datagram),
    });
    this.#bridge = bridge;
    this.#relay.fallback = (src, dst, datagram) => {
      const ep = this.#members.get(dst)?.hello.endpoints.find((e) => e.protocol === 'udp');
      return ep !== undefined && bridge.send(src, ep.host, ep.port, datagram);
    };
  }

  #hooks(): ControllerHooks {
    return {
      security: this.#cfg.security,
      api: this,
      acceptControl: (conn, remote, local, proven) => this.#accept(conn, remote, local, proven),
      acceptRelay: (conn, nodeParam, proven) => this.#relay.accept(conn, nodeParam, proven),
      adminDisabled: () => this.#adminDisabled(),
      refused: () => void this.#refused++,
      prometheus: () => this.#metrics.prometheus({ connected: this.#members.size, expected: this.#expected.size, topologyReady: this.#ready, groups: this.#groups.size }) + flowsPrometheus(this.#flows.list()),
    };
  }

  status(): ControllerStatus {
    return {
      expected: [...this.#expected],
      connected: [...this.#members.keys()].sort((a, b) => a - b),
      topologyReady: this.#ready,
      relay: { ...this.#relay.status(), bridge: { faces: this.#bridge?.faces() ?? [], ...(this.#bridge?.counters ?? { toRelay: 0, toUdp: 0, dropsUnknownSource: 0, sendErrors: 0 }) } },
      store: this.#store.kind,
      storeLocation: this.#store.location,
      groups: this.#groups.size,
      routes: this.#routes.runtime().map((r) => ({ srcNodeId: r.srcNodeId, dstNodeId: r.dstNodeId })),
      metricsDropped: this.#metricsDropped,
      authRequired: authRequired(this.#cfg.security),
      tls: this.#cfg.security.tls !== undefined,
      refusedConnections: this.#refused,
    };
  }

  get topologyReady(): boolean {
    return this.#ready;
  }

  /**
   * A node's control connection over an in-realm pipe (`realmUrl`): the same admission, proof
   * and limits as a WebSocket, the pre-hello byte cap counted by the pipe. The pending-per-address
   * limit is for remote addresses and does not apply to code in this realm. A pipe comes from
   * this host: the controller vouches for a loopback data address (a wildcard bind becomes 127.0.0.1).
   */
  acceptPipe(end: PipeEnd): void {
    if (this.#closed) return end.terminate();
    const limit = this.#cfg.security.limits.maxHelloBytes;
    const uncap = end.capBytes(limit, () => {
      this.#refused++;
      log.warn(`closed an in-realm connection that sent more than ${limit} bytes before authenticating (max_hello_bytes)`);
    });
    this.#pipes.add(end);
    end.on('close', () => this.#pipes.delete(end));
    this.#accept(end, '127.0.0.1', '127.0.0.1', uncap);
  }

  /** @internal the secret node `id` proves (startNetwork hands it to the nodes it starts). */
  nodeSecret(id: number): string | undefined {
    return tokenFor(this.#cfg.security, id);
  }

  /** `remote`: the node's address on this connection; `local`: the controller's. */
  #accept(ws: WebSocket, remote: string, local: string, proven: () => void): void {
    let member: Member | undefined;
    let verifying = false;
    const helloTimer = setTimeout(() => {
      ws.close(4000, 'no hello');
      terminateSoon(ws);
    }, HELLO_TIMEOUT_MS);
    const nonce = randomBytes(NONCE_BYTES);
    ws.send(encode({ t: 'challenge', nonce, authRequired: authRequired(this.#cfg.security) }));
    ws.on('message', (data: Uint8Array, isBinary: boolean) => {
      if (!isBinary) return this.#reject(ws, 'MALFORMED', 'control messages are binary');
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const version = frameVersion(bytes);
      if (version !== null && version !== CONTROL_VERSION) {
        return this.#reject(ws, 'VERSION_MISMATCH', `controller speaks control protocol version ${CONTROL_VERSION}, node sent version ${version}`);
      }
      let m;
      try {
        m = decode(bytes);
      } catch (err) {
        return this.#reject(ws, 'MALFORMED', (err as Error).message);
      }
      if (!member) {
        if (verifying) return this.#reject(ws, 'MALFORMED', 'a node must wait for welcome after its hello');
        if (m.t !== 'hello') return this.#reject(ws, 'MALFORMED', 'the first message must be hello');
        verifying = true;
        const hello = m;
        void verifyHello(this.#cfg.security, hello, nonce).then(
          (verdict) => {
            if (this.#closed || ws.readyState !== ws.OPEN) return;
            if (!verdict.ok) {
              this.#refused++;
              return this.#reject(ws, 'UNAUTHORIZED', verdict.message);
            }
            clearTimeout(helloTimer);
            if (hello.nodeId === 0) return this.#assignId(ws, hello, verdict, remote);
            member = this.#admit(ws, hello, verdict, remote, local);
            if (member) proven();
          },
          (err: unknown) => this.#reject(ws, 'UNAUTHORIZED', `could not check the proof: ${(err as Error).message}`),
        );
        return;
      }
      if (m.t === 'links-up') {
        member.linksUpGeneration = m.generation;
        this.#checkReady();
        this.#flows.startReady();
      } else if (m.t === 'group-op') {
        this.#groupOp(member, m);
      } else if (m.t === 'metrics') {
        this.#onMetrics(member, m.samples);
      } else if (m.t === 'undeliverable') {
        this.#onUndeliverable(member, m.pairs);
      } else if (m.t === 'flow-report') {
        this.#flows.onReport(member.hello.nodeId, m);
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (member && this.#members.get(member.hello.nodeId) === member) {
        this.#members.delete(member.hello.nodeId);
        this.#forgetUdp(member.hello);
        this.#bridge?.close(member.hello.nodeId);
        // A relay connection lives no longer than its node's membership.
        member.relay?.close(4003, 'node left');
        member.relay = undefined;
        log.info(`node ${member.hello.nodeId} disconnected`);
        this.#left.add(member.hello.nodeId);
        this.#announcePresence(member.hello.nodeId, false);
        this.#noteNode(member.hello, false);
        this.#flows.nodeLeft(member.hello.nodeId);
        // /metrics shows connected nodes only; their history stays in the store.
        this.#metrics.forgetNode(member.hello.nodeId);
      }
    });
    ws.on('error', () => {});
  }

  /** Records a node's addresses and presence; the data path never waits for it. */
  #noteNode(h: Hello, connected: boolean): void {
    if (this.#closed) return;
    this.#store
      .putNode({ nodeId: h.nodeId, endpoints: h.endpoints, connected, lastSeenMs: Date.now() })
      .catch((err: unknown) => log.warn(`could not store node ${h.nodeId}: ${(err as Error).message}`));
  }

  #reject(ws: WebSocket, code: Reject['code'], message: string): void {
    log.warn(`rejecting a node: ${message}`);
    ws.send(encode({ t: 'reject', code, message }), () => ws.close(4001, code));
    terminateSoon(ws);
  }

  /**
   * A node asked for an id (node_id = 0): the controller proves itself (welcome), tells it the
   * id, and closes; the node says hello again with that id (id-assign.ts says which).
   */
  #assignId(ws: WebSocket, hello: Hello, verdict: HelloVerdict & { ok: true }, remote: string): void {
    const sec = this.#cfg.security;
    const ctx = {
      ids: (this.#sortedIds ??= [...this.#expected].sort((a, b) => a - b)),
      connected: (id: number) => this.#members.has(id),
      // Known from the store and not back since a restart: it may be reconnecting under its id.
      awaited: (id: number) => !this.#members.has(id) && this.#lastKnown.has(id) && !this.#left.has(id),
      publicAddrs: sec.publicAddrs,
      ownTokens: new Set(sec.nodeTokens.keys()),
    };
    const a = this.#ids.assign(ctx, hello.endpoints, plainAddress(remote), hello.idOffset ?? 0);
    if ('error' in a) return this.#reject(ws, 'NO_FREE_ID', a.error);
    log.info(`node id ${a.id} for a node connecting from ${remote} (${a.why})`);
    const limits = sec.limits;
    ws.send(encode({ t: 'welcome', proof: verdict.welcomeProof, maxFrameBytes: limits.maxFrameBytes, maxLabelBytes: limits.maxLabelBytes, endpoints: [] }));
    ws.send(encode({ t: 'assigned', nodeId: a.id }), () => ws.close(4002, 'id assigned'));
    terminateSoon(ws);
  }

  #admit(ws: WebSocket, hello: Hello, verdict: HelloVerdict & { ok: true }, remote: string, local: string): Member | undefined {
    const id = hello.nodeId;
    if (!this.#expected.has(id)) {
      this.#reject(ws, 'UNKNOWN_NODE', `node id ${id} is not in the topology (nodes are ${describeIds([...this.#expected])})`);
      return undefined;
    }
    if (this.#members.has(id)) {
      this.#reject(ws, 'DUPLICATE_NODE', `node id ${id} is already connected`);
      return undefined;
    }
    if (hello.endpoints.length === 0) {
      this.#reject(ws, 'MALFORMED', `node ${id} announces no transport`);
      return undefined;
    }
    // Socket addresses are handed out only as the controller can vouch for them.
    for (const ep of hello.endpoints) {
      if (ep.protocol === 'relay') {
        // The relay addresses nodes by id: whatever host and port a hello puts here would only
        // be stored (a NUL byte made PGlite refuse the node's row) and handed to every peer.
        ep.host = '';
        ep.port = 0;
        continue;
      }
      if (ep.protocol === 'memory') {
        // "<realm id>/<transport id>" (transport-memory.ts). Anything else could claim the others'
        // realm (realmOf takes all but the last character of a host without '/'), so that they
        // pick memory towards a node they cannot reach.
        if (!MEMORY_HOST.test(ep.host)) {
          this.#reject(ws, 'MALFORMED', `node ${id} announces a memory endpoint that is not "<realm id>/<transport id>"`);
          return undefined;
        }
        ep.port = 0;
      } else {
        const vouched = vouchDataHost(this.#cfg.security, id, ep.host, remote);
        if ('error' in vouched) {
          this.#refused++;
          this.#reject(ws, 'UNAUTHORIZED', vouched.error);
          return undefined;
        }
        ep.host = vouched.host;
        // A face of the UDP bridge is the data address of the relay node it belongs to; a node
        // announcing it would make the bridge send into its own face (udp-bridge.ts isFace).
        if (ep.protocol === 'udp' && this.#bridge?.isFace(ep.host, ep.port)) {
          this.#refused++;
          this.#reject(ws, 'UNAUTHORIZED', `node ${id} announces the udp data address ${ep.host}:${ep.port}, which is a relay node's face on the controller's UDP bridge`);
          return undefined;
        }
      }
      // Two nodes at one data address would let one receive (and be credited with) the other's
      // traffic. A memory transport id too: a receiver credits a sender by its transport id, the
      // last peer announced with it winning, so a copy of another node's id took its link.
      for (const [other, m] of this.#members) {
        if (m.hello.endpoints.some((e) => e.protocol === ep.protocol && e.host === ep.host && e.port === ep.port)) {
          this.#refused++;
          this.#reject(ws, 'UNAUTHORIZED', `node ${id} announces the ${ep.protocol} data address ${ep.host}:${ep.port}, which is node ${other}'s`);
          return undefined;
        }
      }
    }
    // A relay token binds a relay connection and opens a bridge face: only for a node that speaks the relay.
    if (!hello.endpoints.some((e) => e.protocol === 'relay')) delete hello.relayToken;
    const member: Member = { ws, hello, local, generation: 0, linksUpGeneration: -1, keySeq: 0, ...(verdict.kek ? { kek: verdict.kek } : {}) };
    this.#members.set(id, member);
    this.#ids.joined(id);
    const udp = hello.endpoints.find((e) => e.protocol === 'udp');
    if (udp) this.#udpAt.set(`${udp.host}:${udp.port}`, id);
    ws.send(encode({ t: 'welcome', proof: verdict.welcomeProof, maxFrameBytes: this.#cfg.security.limits.maxFrameBytes, maxLabelBytes: this.#cfg.security.limits.maxLabelBytes, endpoints: hello.endpoints }));
    if (member.kek) this.#rotateKeys(member);
    // Always, even empty: a node that comes back may hold weights of flows that ended meanwhile.
    ws.send(encode({ t: 'flow-weights', list: this.#flows.weights() }));
    this.#flows.nodeJoined(id);
    this.#lastKnown.set(id, hello.endpoints);
    log.info(`node ${id} joined, speaking ${describeEndpoints(hello.endpoints)}`);
    this.#noteNode(hello, true);
    // The joiner needs everything. The others need only its address, and only those that
    // exchange datagrams with it directly (its neighbours; max-mode nodes, which reach
    // everyone; everyone, if it is in max mode): a join costs O(its degree), not a snapshot
    // per neighbour.
    this.#markDirty(id);
    for (const n of this.#directPeers(id)) this.#markPeer(n, id);
    this.#left.delete(id);
    this.#announcePresence(id, true);
    // The joiner learns which of its direct peers are down: sends to them reject.
    for (const n of this.#directPeers(id)) if (this.#isDown(n)) this.#tellPresence(id, n, false);
    if (this.#bridge && wantsFace(hello)) this.#openFace(member);
    return member;
  }

  /**
   * Opens a relay-only node's UDP face, then tells it and its peers of the links that opens
   * (UDP peers reach it at the face; it reaches them over the relay).
   */
  #openFace(member: Member): void {
    const id = member.hello.nodeId;
    void this.#bridge!.open(id).then((port) => {
      const now = this.#members.get(id);
      if (now !== member) {
        // It left while the face opened. If it came back meanwhile (relay-only again), the face
        // is the new member's: open() handed both the same opening, so closing it here left the
        // new member without one.
        if (!now || !wantsFace(now.hello)) this.#bridge?.close(id);
        return;
      }
      if (port === undefined) return;
      for (const n of this.#directPeers(id)) {
        this.#markPeer(n, id);
        this.#markPeer(id, n);
      }
    });
  }

  #forgetUdp(h: Hello): void {
    const udp = h.endpoints.find((e) => e.protocol === 'udp');
    const key = udp && `${udp.host}:${udp.port}`;
    if (key && this.#udpAt.get(key) === h.nodeId) this.#udpAt.delete(key);
  }

  /**
   * How `m`'s node reaches `peer` (by its last known transports), or undefined: not known yet,
   * or no transport in common (warned once per pair).
   */
  #linkTo(m: Member, peer: number): PeerAddress | undefined {
    const theirs = this.#lastKnown.get(peer);
    if (!theirs) return undefined;
    const self = m.hello.nodeId;
    const bridge = this.#bridge;
    const link = chooseLink(self, m.hello.endpoints, peer, theirs, (relayNode) => {
      const port = bridge?.port(relayNode);
      return port === undefined ? undefined : { host: m.local, port };
    });
    if (!link) {
      const key = self < peer ? `${self}<${peer}` : `${peer}<${self}`;
      if (!this.#unreachableWarned.has(key)) {
        this.#unreachableWarned.add(key);
        log.warn(
          `nodes ${self} and ${peer} have no transport in common (node ${self}: ${describeEndpoints(m.hello.endpoints)}; node ${peer}: ${describeEndpoints(theirs)}), ` +
            `and no bridge joins them (the controller bridges only UDP and the relay); give one of them a protocol the other speaks`,
        );
      }
    }
    return link;
  }

  /** Nodes that `id` exchanges datagrams with directly: its neighbours, or everyone in max mode. */
  #directPeers(id: number): Set<number> {
    const out = new Set<number>(this.#topo.neighbors(id));
    const modes = this.#cfg.operatingModes;
    if (modes.get(id) === 'max') for (const n of this.#expected) out.add(n);
    else for (const [n, mode] of modes) if (mode === 'max') out.add(n);
    out.delete(id);
    return out;
  }

  /**
   * New keys for every link of a node that (re)joined: all of them to it, each one to the peer
   * at the other end if that is connected. Sent before the joiner's snapshot, so it holds its
   * keys before it learns where to send.
   */
  #rotateKeys(member: Member): void {
    const id = member.hello.nodeId;
    const fresh = freshLinkKeys(id, this.#directPeers(id));
    this.#sendKeys(member, [...fresh]);
    for (const [peer, key] of fresh) {
      const other = this.#members.get(peer);
      if (other?.kek) this.#sendKeys(other, [[id, key]]);
    }
  }

  #sendKeys(m: Member, keys: [number, Uint8Array][]): void {
    const seq = ++m.keySeq;
    const entries = keys.map(([neighbor, key]) => ({ neighbor, key: wrapKeySync(m.kek!, seq, neighbor, key) }));
    m.ws.send(encode({ t: 'keys', seq, entries }));
  }

  #markDirty(id: number): void {
    if (!this.#members.has(id)) return;
    this.#dirty.add(id);
    this.#scheduleFlush();
  }

  /**
   * `id` joined (up) or left: the nodes interested in it are told, and on leaving its direct
   * peers too (they still hold its old address, which would swallow datagrams unseen).
   */
  #announcePresence(id: number, up: boolean): void {
    const told = this.#interested.get(id) ?? new Set<number>();
    if (!up) for (const n of this.#directPeers(id)) told.add(n);
    for (const n of told) this.#tellPresence(n, id, up);
    if (told.size) this.#interested.set(id, told);
  }

  /**
   * Down: in the topology, not connected, and either never seen or seen leaving. A node this
   * controller knows only from its store (connected before a restart) is not down: its data
   * plane runs on without the controller and may still be reconnecting.
   */
  #isDown(n: number): boolean {
    return this.#expected.has(n) && !this.#members.has(n) && (!this.#lastKnown.has(n) || this.#left.has(n));
  }

  /** Node `to` is owed word that `about` is down or up (`reporter`: whose drop taught us). */
  #tellPresence(to: number, about: number, up: boolean, reporter = 0): void {
    if (!this.#members.has(to) || to === about) return;
    let p = this.#presence.get(to);
    if (!p) this.#presence.set(to, (p = { down: new Set(), up: new Set(), reporter: 0 }));
    (up ? p.up : p.down).add(about);
    (up ? p.down : p.up).delete(about);
    if (reporter) p.reporter = reporter;
    if (!up) {
      let s = this.#interested.get(about);
      if (!s) this.#interested.set(about, (s = new Set()));
      s.add(to);
    }
    this.#scheduleFlush();
  }

  /**
   * A forwarder could not pass on datagrams from `src` to `dst`. If `dst` is in the topology but
   * not connected, `src` is told, so its next sends reject with PEER_DOWN instead of vanishing.
   * Anything else (unknown ids, a connected dst) is ignored: a report cannot make the
   * controller say something untrue.
   */
  #onUndeliverable(member: Member, pairs: [number, number][]): void {
    for (const [src, dst] of pairs) {
      if (this.#isDown(dst)) this.#tellPresence(src, dst, false, member.hello.nodeId);
    }
  }

  /** Node `id` is owed the (new) address of `peer`: one peers update per node and turn. */
  #markPeer(id: number, peer: number): void {
    if (!this.#members.has(id)) return;
    let set = this.#peerUpdates.get(id);
    if (!set) this.#peerUpdates.set(id, (set = new Set()));
    set.add(peer);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#closed) return;
      // Presence first to nodes that get no snapshot now: a node told that a peer is up before
      // the peer's own snapshot (which resolves its open()) goes out does not refuse a send to
      // it in between. A joiner's comes after its snapshot, which resets what it knows.
      this.#sendPresence((n) => !this.#dirty.has(n));
      for (const n of this.#dirty) {
        const m = this.#members.get(n);
        if (m) this.#sendSnapshot(m);
      }
      for (const [n, ids] of this.#peerUpdates) {
        const m = this.#members.get(n);
        if (!m || this.#dirty.has(n)) continue; // the snapshot has them
        const peers = [];
        for (const p of ids) {
          const link = this.#linkTo(m, p);
          if (link) peers.push(link);
        }
        if (!peers.length) continue;
        m.generation++;
        m.ws.send(encode({ t: 'peers', generation: m.generation, peers }));
      }
      this.#sendPresence(() => true);
      this.#dirty.clear();
      this.#peerUpdates.clear();
    });
  }

  /** Sends the presence messages owed to the nodes `which` selects. */
  #sendPresence(which: (n: number) => boolean): void {
    for (const [n, p] of this.#presence) {
      if (!which(n)) continue;
      this.#presence.delete(n);
      const m = this.#members.get(n);
      if (m && (p.down.size || p.up.size)) m.ws.send(encode({ t: 'presence', down: [...p.down], up: [...p.up], reporter: p.reporter }));
    }
  }

  #sendSnapshot(m: Member): void {
    const id = m.hello.nodeId;
    m.generation++;
    const routeTable = this.#topo.routeTable(id);
    m.routeTable = fingerprint(routeTable);
    // Only the peers it exchanges datagrams with directly: O(degree), not O(N).
    const peers = [];
    for (const nodeId of this.#directPeers(id)) {
      const link = this.#linkTo(m, nodeId);
      if (link) peers.push(link);
    }
    m.ws.send(
      encode({
        t: 'snapshot',
        generation: m.generation,
        userSpaceBase: this.#cfg.userSpaceBase,
        operatingMode: this.#cfg.operatingModes.get(id) ?? 'normal',
        peers,
        neighbors: [...this.#topo.neighbors(id)],
        routeTable,
        topologyReady: this.#ready,
        links: this.#linksOf(id),
        mcastTable: this.#groups.tableFor(id),
        groups: this.#groups.directory(),
      }),
    );
  }

  /**
   * Carries out a node's group operation: applied in memory (which validates it), committed
   * to the store, then tables pushed to the nodes that changed, then the reply.
   */
  #groupOp(member: Member, m: GroupOp): void {
    const caller = member.hello.nodeId;
    const reply = (code: string, message: string, group: ReturnType<GroupBook['directory']>[number] | null = null) =>
      member.ws.send(encode({ t: 'group-reply', reqId: m.reqId, code, message, group }));
    const limits = this.#cfg.security.limits;
    if (m.op === 'create') {
      const bytes = new TextEncoder().encode(m.label).length;
      if (bytes > limits.maxLabelBytes) return reply('INVALID_ARGUMENT', `a group label is at most ${limits.maxLabelBytes} bytes (max_label_bytes); this one is ${bytes}`);
    }
    void this.#enqueue(async () => {
      if (m.op === 'create') {
        const owned = this.#groups.directory().reduce((n, g) => n + (g.srcNodeId === caller ? 1 : 0), 0);
        if (owned >= limits.maxGroupsPerNode) {
          return reply('POOL_EXHAUSTED', `node ${caller} owns ${owned} groups, the most one node may own (max_groups_per_node); delete one first`);
        }
      }
      let change;
      try {
        change = this.#groups.apply(caller, m);
      } catch (err) {
        const e = err as NextminiError;
        return reply(e.code ?? 'INTERNAL', e.message);
      }
      try {
        await change.store(this.#store);
      } catch (err) {
        change.undo();
        const e = this.#storeFailed(`group ${m.op === 'create' ? `"${m.label}"` : m.groupId} (${m.op})`, err);
        return reply(e.code, e.message);
      }
      if (m.op === 'create') log.info(`node ${caller} created group ${change.group!.groupId} "${m.label}"`);
      if (m.op === 'delete') log.info(`node ${caller} deleted group ${m.groupId}`);
      // Tables first, then the reply: a caller that awaits the reply sees its own table installed.
      for (const node of change.changed) {
        this.#members.get(node)?.ws.send(encode({ t: 'mcast', table: this.#groups.tableFor(node) }));
      }
      if (change.directoryChanged) {
        const msg = encode({ t: 'groups', groups: this.#groups.directory() });
        for (const x of this.#members.values()) x.ws.send(msg);
      }
      reply('', '', change.group);
    }).catch((err: unknown) => {
      // TIMEOUT (it waited too long behind a slow store) or CLOSED (the node learns by the close).
      const e = err as NextminiError;
      log.debug(`group operation not carried out: ${e.message}`);
      if (!this.#closed) reply(e.code ?? 'INTERNAL', e.message);
    });
  }

  #checkReady(): void {
    if (this.#ready) return;
    // Called on every links-up report: a scan of all N nodes each time would be N² for a
    // network coming up. The scan resumes at the first node that was not up when last looked
    // at, and only a pass that reaches the end looks at them all again (one may have fallen
    // back since, with a newer snapshot or peers update), so N reports cost O(N) amortised.
    const ids = (this.#readyOrder ??= [...this.#expected]);
    const up = (id: number) => {
      const m = this.#members.get(id);
      return m !== undefined && m.linksUpGeneration === m.generation;
    };
    while (this.#readyFrom < ids.length && up(ids[this.#readyFrom]!)) this.#readyFrom++;
    if (this.#readyFrom < ids.length) return;
    const behind = ids.findIndex((id) => !up(id));
    if (behind >= 0) {
      this.#readyFrom = behind;
      return;
    }
    this.#ready = true;
    log.info('topology ready');
    const msg = encode({ t: 'topology-ready' });
    for (const m of this.#members.values()) m.ws.send(msg);
  }

  /** Disconnects every node, stops the server, and closes the store after pending writes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Changes already accepted finish (and are stored) before the store closes.
    await this.#serial;
    this.#closed = true;
    this.#unregisterRealm();
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#flows.close();
    for (const m of this.#members.values()) m.ws.terminate();
    this.#members.clear();
    for (const end of this.#pipes) end.terminate();
    this.#bridge?.closeAll();
    await this.#server?.close();
    await this.#unwatchRoutes?.().catch(() => {});
    await this.#store.close().catch((err: unknown) => log.warn(`closing the store: ${(err as Error).message}`));
    this.#groups.free();
    this.#topo.free();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A memory endpoint's host as transport-memory.ts makes it: "<realm id>/<transport id>". */
const MEMORY_HOST = /^[0-9A-Za-z_-]{1,64}\/[0-9A-Za-z_-]{1,64}$/;

/** A node that speaks the relay and not UDP gets a face on the UDP bridge. */
const wantsFace = (h: Hello): boolean => h.relayToken !== undefined && h.endpoints.some((e) => e.protocol === 'relay') && !h.endpoints.some((e) => e.protocol === 'udp');

/**
 * The largest topology a controller takes. Route tables are computed per node when needed
 * (O(degree × (N + E)) each), so the controller's memory grows with N + E, not N².
 */
const MAX_NODES = 100_000;

function checkTopologySize(t: ResolvedControllerConfig['topology']): void {
  const n = t.kind === 'full_mesh' || t.kind === 'ring' || t.kind === 'custom' ? t.a : t.kind === 'torus' ? t.b ** t.a : (5 * t.a * t.a) / 4 + t.a ** 3 / 4;
  if (n > MAX_NODES) throw new NextminiError('CONFIG_INVALID', `controller config.topology has ${n} nodes; at most ${MAX_NODES} are supported`);
  if (t.kind === 'full_mesh' && n > 2000) log.warn(`a full mesh of ${n} nodes has ${(n * (n - 1)) / 2} links; every node holds all of them`);
}

function describeIds(ids: number[]): string {
  ids.sort((a, b) => a - b);
  return ids.length > 8 ? `${ids[0]}..${ids[ids.length - 1]}` : ids.join(', ');
}
