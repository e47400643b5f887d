// The controller: owns the topology and routes, admits nodes, hands each one a snapshot of
// what it needs, and announces TopologyReady once every node is connected with links up.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WasmGroups, WasmTopology } from '../../wasm/nextmini_core.js';
import { callCore, NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { withConfigFile } from '../config/reader.js';
import { checkOptions } from '../options.js';
import { loadTomlOrObject } from '../config/load.js';
import { resolveControllerConfig, type ControllerConfig, type ResolvedControllerConfig } from '../config/controller-config.js';
import { decode, encode, frameVersion, type GroupDirEntry, type GroupOp, type Hello, type LinkEntry, type Reject } from '../control/messages.js';
import { checkLinkParams, fromInput, isNeutral, toCoreParams, type LinkParamsConfig, type LinkParamsInput } from '../config/link-config.js';
import { CONTROL_VERSION } from '../control/codec.js';

const log = logger('controller');
/** A connection must say hello within this time (and a relay connection present its token). */
const HELLO_TIMEOUT_MS = 10_000;
/** Largest relay frame: a u32 node id and one datagram (an MTU is at most 65 535). */
const RELAY_MAX_FRAME = 4 + 65_535;
/** Above this many bytes queued towards a relay node, frames for it are dropped and counted. */
const RELAY_BUFFER_LIMIT = 8 * 1024 * 1024;

interface Member {
  ws: WebSocket;
  hello: Hello;
  generation: number;
  linksUpGeneration: number;
  /** The bound relay connection of a relay node. */
  relay?: WebSocket;
}

/** What the relay did: frames forwarded between relay nodes and frames dropped, by reason. */
export interface RelayStatus {
  /** Relay nodes with a bound relay connection. */
  bound: number[];
  framesForwarded: number;
  bytesForwarded: number;
  /** A frame for a node that has no relay connection (unknown, gone, or not a relay node). */
  dropsUnknownNode: number;
  /** A frame for a node whose relay connection had more than 8 MiB queued. */
  dropsBackpressure: number;
  /** A frame shorter than its u32 node id. */
  dropsMalformed: number;
  /** Relay connections refused: no such relay node, wrong token, or no token in time. */
  bindsRejected: number;
}

export interface SetLinkArgs extends LinkParamsInput {
  srcNodeId: number;
  dstNodeId: number;
  /** Apply to both directions. Default false. */
  bidirectional?: boolean;
  /** Start from no shaping instead of the link's current settings. Default false. */
  replace?: boolean;
}

export interface ControllerStatus {
  expected: number[];
  connected: number[];
  topologyReady: boolean;
  relay: RelayStatus;
}

export class Controller {
  readonly #cfg: ResolvedControllerConfig;
  readonly #topo: WasmTopology;
  readonly #http: Server;
  readonly #server: WebSocketServer;
  readonly #relayServer: WebSocketServer;
  readonly #replacedRelays = new WeakSet<WebSocket>();
  readonly #relayCounters = { framesForwarded: 0, bytesForwarded: 0, dropsUnknownNode: 0, dropsBackpressure: 0, dropsMalformed: 0, bindsRejected: 0 };
  readonly #members = new Map<number, Member>();
  readonly #expected: Set<number>;
  /** Emulation per directed link, keyed "src>dst"; absent = none. */
  readonly #links = new Map<string, LinkParamsConfig>();
  readonly #groups: WasmGroups;
  readonly #groupLabels = new Map<number, string>();
  #ready = false;
  #closed = false;
  /** Nodes owed a fresh snapshot; sent once per event-loop turn however many joins happened. */
  readonly #dirty = new Set<number>();
  #flushScheduled = false;
  /** The WebSocket URL nodes connect to (`controller_addr`). */
  readonly url: string;

  private constructor(cfg: ResolvedControllerConfig, topo: WasmTopology, http: Server, url: string) {
    this.#cfg = cfg;
    this.#topo = topo;
    this.#http = http;
    this.url = url;
    this.#expected = new Set(topo.nodeIds());
    this.#groups = callCore(() => new WasmGroups(topo, cfg.multicastPoolBase, cfg.multicastPoolMask));
    this.#initLinks();
    // One port, two endpoints: `/relay` carries relay nodes' datagrams, anything else is the
    // control protocol (as before). Each has its own frame size bound.
    this.#server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
    this.#relayServer = new WebSocketServer({ noServer: true, maxPayload: RELAY_MAX_FRAME });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'ws://controller');
      if (url.pathname.replace(/\/+$/, '').endsWith('/relay')) {
        this.#relayServer.handleUpgrade(req, socket, head, (ws) => this.#acceptRelay(ws, url.searchParams.get('node')));
      } else {
        this.#server.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
      }
    });
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

  #linksOf(node: number): LinkEntry[] {
    const out: LinkEntry[] = [];
    for (const n of this.#topo.neighbors(node)) {
      const p = this.#links.get(`${node}>${n}`);
      if (p && !isNeutral(p)) out.push({ neighbor: n, params: toCoreParams(p, node * 65_536 + n) });
    }
    return out;
  }

  /**
   * Changes a link's emulation at run time and pushes it to the sending node at once; the
   * node applies it without dropping queued packets. Unspecified keys keep their current
   * values unless `replace` is set.
   */
  setLink(args: SetLinkArgs): void {
    checkOptions('setLink', args, ['srcNodeId', 'dstNodeId', 'bidirectional', 'replace', 'rate', 'bucketSize', 'delayMs', 'jitterMs', 'reorder', 'loss', 'lossBurst', 'queueLimitPackets', 'seed']);
    const { srcNodeId: src, dstNodeId: dst, bidirectional, replace, ...input } = args;
    const dirs: [number, number][] = bidirectional ? [[src, dst], [dst, src]] : [[src, dst]];
    for (const [a, b] of dirs) {
      if (!this.#isLink(a, b)) throw new NextminiError('INVALID_ARGUMENT', `setLink: there is no link from node ${a} to node ${b} in the topology`);
    }
    for (const [a, b] of dirs) {
      const merged = { ...(replace ? {} : (this.#links.get(`${a}>${b}`) ?? {})), ...fromInput(input) };
      checkLinkParams(`setLink(${a} -> ${b})`, merged);
      this.#links.set(`${a}>${b}`, merged);
    }
    for (const a of new Set(dirs.map(([x]) => x))) {
      this.#members.get(a)?.ws.send(encode({ t: 'links', links: this.#linksOf(a) }));
    }
  }

  /** The emulation configured for the link from `src` to `dst` (empty = none). */
  getLink(src: number, dst: number): LinkParamsConfig {
    return { ...(this.#links.get(`${src}>${dst}`) ?? {}) };
  }

  /** @internal use startController() */
  static async start(config: string | ControllerConfig): Promise<Controller> {
    const table = await loadTomlOrObject('controller config', config);
    const cfg = withConfigFile(config, () => resolveControllerConfig(table, 'controller config'));
    const t = cfg.topology;
    const topo = callCore(() => WasmTopology.build(t.kind, t.a, t.b, Uint32Array.from(t.edges)));
    if (cfg.explicitRoutes.length) {
      try {
        callCore(() => topo.computeRoutes(Uint32Array.from(cfg.explicitRoutes)));
      } catch (err) {
        topo.free();
        throw err;
      }
    }
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('nextmini controller: connect with a WebSocket\n');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', () => resolve());
        server.once('error', (err) => reject(new NextminiError('CONFIG_INVALID', `controller cannot listen on ${cfg.host}:${cfg.port}: ${err.message}`, { cause: err })));
        server.listen(cfg.port, cfg.host);
      });
    } catch (err) {
      topo.free();
      throw err;
    }
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
    let c: Controller;
    try {
      c = new Controller(cfg, topo, server, `ws://${cfg.host}:${port}`);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      topo.free();
      throw err;
    }
    log.info(`listening on ${c.url}; expecting nodes ${describeIds([...c.#expected])}`);
    return c;
  }

  status(): ControllerStatus {
    const bound = [...this.#members.values()].filter((m) => m.relay).map((m) => m.hello.nodeId);
    return {
      expected: [...this.#expected],
      connected: [...this.#members.keys()].sort((a, b) => a - b),
      topologyReady: this.#ready,
      relay: { bound: bound.sort((a, b) => a - b), ...this.#relayCounters },
    };
  }

  get topologyReady(): boolean {
    return this.#ready;
  }

  #accept(ws: WebSocket): void {
    let member: Member | undefined;
    const helloTimer = setTimeout(() => ws.close(4000, 'no hello'), HELLO_TIMEOUT_MS);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
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
        if (m.t !== 'hello') return this.#reject(ws, 'MALFORMED', 'the first message must be hello');
        clearTimeout(helloTimer);
        member = this.#admit(ws, m);
        return;
      }
      if (m.t === 'links-up') {
        member.linksUpGeneration = m.generation;
        this.#checkReady();
      } else if (m.t === 'group-op') {
        this.#groupOp(member, m);
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (member && this.#members.get(member.hello.nodeId) === member) {
        this.#members.delete(member.hello.nodeId);
        // A relay connection lives no longer than its node's membership.
        member.relay?.close(4003, 'node left');
        member.relay = undefined;
        log.info(`node ${member.hello.nodeId} disconnected`);
      }
    });
    ws.on('error', () => {});
  }

  /**
   * A relay connection: its first frame must be the token its node announced in hello (only a
   * member that said hello with protocol "relay" has one); then every frame {u32 dst}{datagram}
   * goes to dst's relay connection as {u32 src}{datagram}.
   */
  #acceptRelay(ws: WebSocket, nodeParam: string | null): void {
    const id = nodeParam !== null && /^\d{1,10}$/.test(nodeParam) ? Number(nodeParam) : NaN;
    let bound: Member | undefined;
    const refuse = (reason: string) => {
      this.#relayCounters.bindsRejected++;
      log.warn(`refusing a relay connection for node ${nodeParam}: ${reason}`);
      ws.close(4003, reason.slice(0, 120));
    };
    const tokenTimer = setTimeout(() => refuse('no relay token in time'), HELLO_TIMEOUT_MS);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (bound) {
        // Frames the node sent before it left still go out while the connection closes; a
        // connection replaced by a newer one for the same node is silent.
        if (!this.#replacedRelays.has(ws)) this.#relayFrame(bound.hello.nodeId, data);
        return;
      }
      if (ws.readyState !== ws.OPEN) return;
      clearTimeout(tokenTimer);
      const m = this.#members.get(id);
      if (!isBinary || !m || m.hello.protocol !== 'relay' || !m.hello.relayToken || data.toString('latin1') !== m.hello.relayToken) {
        return refuse(`node ${nodeParam} has not said hello as a relay node with this token`);
      }
      if (m.relay && m.relay !== ws) {
        this.#replacedRelays.add(m.relay);
        m.relay.close(4003, 'replaced by a new relay connection');
      }
      m.relay = ws;
      bound = m;
      log.info(`node ${id} bound its relay connection`);
      ws.send(new Uint8Array(4)); // {u32 0}: bound
    });
    ws.on('close', () => {
      clearTimeout(tokenTimer);
      if (bound && bound.relay === ws) bound.relay = undefined;
    });
    ws.on('error', () => {});
  }

  #relayFrame(src: number, data: Buffer): void {
    const c = this.#relayCounters;
    if (data.length < 4) {
      c.dropsMalformed++;
      return;
    }
    const dst = data.readUInt32BE(0);
    const to = this.#members.get(dst)?.relay;
    if (!to || to.readyState !== to.OPEN) {
      c.dropsUnknownNode++;
      return;
    }
    if (to.bufferedAmount > RELAY_BUFFER_LIMIT) {
      c.dropsBackpressure++;
      return;
    }
    // The frame's bytes are this message's own: rewrite the prefix in place, no copy.
    data.writeUInt32BE(src, 0);
    to.send(data, { binary: true });
    c.framesForwarded++;
    c.bytesForwarded += data.length - 4;
  }

  #reject(ws: WebSocket, code: Reject['code'], message: string): void {
    log.warn(`rejecting a node: ${message}`);
    ws.send(encode({ t: 'reject', code, message }), () => ws.close(4001, code));
  }

  #admit(ws: WebSocket, hello: Hello): Member | undefined {
    const id = hello.nodeId;
    if (!this.#expected.has(id)) {
      this.#reject(ws, 'UNKNOWN_NODE', `node id ${id} is not in the topology (nodes are ${describeIds([...this.#expected])})`);
      return undefined;
    }
    if (this.#members.has(id)) {
      this.#reject(ws, 'DUPLICATE_NODE', `node id ${id} is already connected`);
      return undefined;
    }
    const other = this.#members.values().next().value;
    if (other && other.hello.protocol !== hello.protocol) {
      this.#reject(ws, 'PROTOCOL_MISMATCH', `node ${id} uses ${hello.protocol} links but the connected nodes use ${other.hello.protocol}`);
      return undefined;
    }
    const member: Member = { ws, hello, generation: 0, linksUpGeneration: -1 };
    this.#members.set(id, member);
    log.info(`node ${id} joined from ${hello.dataHost}:${hello.dataPort} (${hello.protocol})`);
    // The joiner needs everything; in normal mode the others only ever transmit to their
    // neighbours, so only the joiner's neighbours (and max-mode nodes, which reach everyone
    // directly) need its address.
    this.#markDirty(id);
    for (const n of this.#topo.neighbors(id)) this.#markDirty(n);
    for (const [n, mode] of this.#cfg.operatingModes) if (mode === 'max') this.#markDirty(n);
    return member;
  }

  #markDirty(id: number): void {
    if (!this.#members.has(id)) return;
    this.#dirty.add(id);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#closed) return;
      for (const n of this.#dirty) {
        const m = this.#members.get(n);
        if (m) this.#sendSnapshot(m);
      }
      this.#dirty.clear();
    });
  }

  #sendSnapshot(m: Member): void {
    const id = m.hello.nodeId;
    m.generation++;
    const peers = [...this.#members.values()].map((x) => ({ nodeId: x.hello.nodeId, host: x.hello.dataHost, port: x.hello.dataPort }));
    m.ws.send(
      encode({
        t: 'snapshot',
        generation: m.generation,
        userSpaceBase: this.#cfg.userSpaceBase,
        operatingMode: this.#cfg.operatingModes.get(id) ?? 'normal',
        peers,
        neighbors: [...this.#topo.neighbors(id)],
        nodes: [...this.#expected],
        routeTable: this.#topo.routeTable(id),
        topologyReady: this.#ready,
        links: this.#linksOf(id),
        mcastTable: this.#groups.tableFor(id),
        groups: this.#directory(),
      }),
    );
  }

  #directory(): GroupDirEntry[] {
    const d = this.#groups.directory();
    const out: GroupDirEntry[] = [];
    for (let i = 0; i + 2 < d.length; i += 3) {
      out.push({ groupId: d[i]!, groupIp: d[i + 1]!, srcNodeId: d[i + 2]!, label: this.#groupLabels.get(d[i]!) ?? '' });
    }
    return out;
  }

  /** Carries out a node's group operation, replies, and pushes tables to the nodes that changed. */
  #groupOp(member: Member, m: GroupOp): void {
    const caller = member.hello.nodeId;
    let changed: Uint32Array | number[] = [];
    let group: GroupDirEntry | null = null;
    try {
      switch (m.op) {
        case 'create': {
          const [groupId, groupIp] = callCore(() => this.#groups.create(caller));
          this.#groupLabels.set(groupId!, m.label);
          group = { groupId: groupId!, groupIp: groupIp!, srcNodeId: caller, label: m.label };
          log.info(`node ${caller} created group ${groupId} "${m.label}"`);
          break;
        }
        case 'routes': {
          const flat = m.trees.flatMap((t) => [t.treeId, t.weight, t.edges.length, ...t.edges.flat()]);
          changed = callCore(() => this.#groups.setRoutes(caller, m.groupId, Uint32Array.from(flat)));
          break;
        }
        case 'join':
          changed = callCore(() => this.#groups.join(m.groupId, caller));
          break;
        case 'leave':
          changed = callCore(() => this.#groups.leave(m.groupId, caller));
          break;
      }
    } catch (err) {
      const e = err as NextminiError;
      member.ws.send(encode({ t: 'group-reply', reqId: m.reqId, code: e.code ?? 'INTERNAL', message: e.message, group: null }));
      return;
    }
    // Tables first, then the reply: a caller that awaits the reply sees its own table installed.
    for (const node of changed) {
      this.#members.get(node)?.ws.send(encode({ t: 'mcast', table: this.#groups.tableFor(node) }));
    }
    if (m.op === 'create') {
      const msg = encode({ t: 'groups', groups: this.#directory() });
      for (const x of this.#members.values()) x.ws.send(msg);
    }
    member.ws.send(encode({ t: 'group-reply', reqId: m.reqId, code: '', message: '', group }));
  }

  #checkReady(): void {
    if (this.#ready) return;
    for (const id of this.#expected) {
      const m = this.#members.get(id);
      if (!m || m.linksUpGeneration !== m.generation) return;
    }
    this.#ready = true;
    log.info('topology ready');
    const msg = encode({ t: 'topology-ready' });
    for (const m of this.#members.values()) m.ws.send(msg);
  }

  /** Disconnects every node and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#members.values()) m.ws.terminate();
    this.#members.clear();
    for (const ws of this.#relayServer.clients) ws.terminate();
    for (const ws of this.#server.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#relayServer.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#groups.free();
    this.#topo.free();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function describeIds(ids: number[]): string {
  ids.sort((a, b) => a - b);
  return ids.length > 8 ? `${ids[0]}..${ids[ids.length - 1]}` : ids.join(', ');
}

/** Starts a controller from a TOML path or a config object with the same keys. */
export function startController(config: string | ControllerConfig): Promise<Controller> {
  return Controller.start(config);
}
