// Drives the wasm node engine: feeds it datagrams and timeouts, carries out the transmits
// it asks for and dispatches its events. See the drive loop in core-rs/src/node/mod.rs.
import { WasmNode } from '../../wasm/nextmini_core.js';
import { callCore, NextminiError } from '../errors.js';
import type { PeerAddress } from '../control/messages.js';
import type { TransportSet } from './transport-set.js';
import { nextTurn } from '../next-turn.js';
import { MAX_FLOW_WEIGHT } from '../config/link-config.js';

export interface CoreDelivery {
  kind: number;
  srcNode: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  messageId: number;
  totalLen: number;
  fragCount: number;
  treeId: number;
  payload: Uint8Array;
}

/** One neighbour's link: the transport it runs on and, when it is emulated, its counters (zeros otherwise). */
export interface LinkCounters {
  neighbor: number;
  /** The transport datagrams to this neighbour take (undefined: not known yet). */
  transport: 'udp' | 'tcp' | 'relay' | 'memory' | undefined;
  /** Link emulation applies to this link (its counters below are live). */
  emulated: boolean;
  bytesSent: number;
  packetsSent: number;
  /** Dropped by emulated random or bursty loss. */
  dropsLoss: number;
  /** Tail-dropped at the emulated queue limit. */
  dropsQueue: number;
  /** Packets waiting for the rate limiter now. */
  queueDepth: number;
  /** Packets in emulated propagation delay now. */
  inFlight: number;
  /** Bytes per second that left the link over the last second. */
  measuredRate: number;
  /** Dropped early by random early detection (`drop = "red"`). */
  dropsRed: number;
  /** Datagrams WRR put in its shared fallback class because 1024 flows were already queued (`scheduler = "wrr"`). */
  flowOverflow: number;
}

export interface EngineOptions {
  nodeId: number;
  mtu: number;
  maxPayloadBytes: number;
  queueCapacity: number;
  maxMode: boolean;
  reassemblyTimeoutMs: number;
  /** `[lossless_runtime_config]` in the core's flat form. */
  lossless: Float64Array;
  onDelivery(d: CoreDelivery): void;
  /** A lossless session progressed (1), completed (2) or failed (3). */
  onSession(what: 1 | 2 | 3, sessionId: number): void;
  /** A stream event (see ts/node/streams.ts): kind, connection, listening port (accepts), "CODE|message" (errors). */
  onStream?(kind: number, conn: number, listener: number, error: string): void;
  /** Unicast [source, destination] pairs whose datagrams could not be passed on (batched per turn). */
  onUndeliverable?(pairs: [number, number][]): void;
}

/** A pair is reported at most this often, so a stream to a down node costs one report a second. */
const REPORT_INTERVAL_MS = 1000;
/** Pairs remembered for that; past it the memory is dropped (a few more reports, never unbounded). */
const MAX_REPORTED_PAIRS = 4096;

const now = (): number => performance.now();
const textDecoder = new TextDecoder();

export class Engine {
  readonly core: WasmNode;
  #transports: TransportSet | undefined;
  #inbound: Uint8Array[] = [];
  #inboundFrom: number[] = [];
  #inboundBytes = 0;
  #flushScheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #closed = false;
  readonly #onDelivery: (d: CoreDelivery) => void;
  readonly #onSession: (what: 1 | 2 | 3, id: number) => void;
  readonly #onStream: EngineOptions['onStream'];
  #emulated = new Set<number>();
  /** Transmits to a next hop whose address is unknown, or that is down (counted, not fatal). */
  unknownPeerDrops = 0;
  /** Nodes the controller says are not connected: nothing is transmitted to them. */
  #down: ReadonlySet<number> = new Set();
  readonly #onUndeliverable: ((pairs: [number, number][]) => void) | undefined;
  #reportedAt = new Map<number, number>();
  #reports: [number, number][] = [];
  /**
   * Of those, datagrams from another source, which the core had counted as forwarded when it
   * queued them: they never left, so stats() counts them only as unknown_peer.
   */
  unknownPeerForwards = 0;
  readonly #nodeId: number;
  static #statNames: string[] | undefined;
  /** The core's counter names; read on first use, since browsers load the core only in init(). */
  static get statNames(): string[] {
    return (Engine.#statNames ??= WasmNode.statNames());
  }

  constructor(o: EngineOptions) {
    this.core = callCore(() => new WasmNode(o.nodeId, o.mtu, o.maxPayloadBytes, o.queueCapacity, o.maxMode, o.reassemblyTimeoutMs, o.lossless));
    this.#nodeId = o.nodeId;
    this.#onDelivery = o.onDelivery;
    this.#onSession = o.onSession;
    this.#onStream = o.onStream;
    this.#onUndeliverable = o.onUndeliverable;
  }

  /** Next hops that are down: a departed peer's old address would swallow datagrams unseen. */
  setDown(down: ReadonlySet<number>): void {
    this.#down = down;
  }

  attach(transports: TransportSet): void {
    this.#transports = transports;
  }

  /** The peers and how each is reached; the transports learn them too, to tell who sent what. */
  setPeers(peers: Map<number, PeerAddress>): void {
    this.core.setPeers(Uint32Array.from(peers.keys()));
    this.#transports?.setPeers(peers);
  }

  /**
   * The nodes this node takes any datagram from: its topology neighbours (max mode: every
   * peer). A peer that is not among them may only send what ends at this node; everything else
   * from it, and everything from an unknown sender, is dropped (`drops.not_a_peer`).
   */
  setNeighbors(ids: Iterable<number>): void {
    this.core.setNeighbors(Uint32Array.from(ids));
  }

  /**
   * Per-hop authentication on or off. On, each datagram carries a 24-byte trailer (counter and
   * ChaCha20-Poly1305 tag under its link's key) and messages are fragmented to `mtu - 24`.
   * Turn it on before traffic: lossless sessions already running keep their chunk size.
   */
  setAuth(on: boolean): void {
    callCore(() => this.core.setAuth(on));
  }

  /** Link keys (32 bytes each); a new key for a neighbour makes its old one the 'previous'. */
  setLinkKeys(keys: { neighbor: number; key: Uint8Array }[]): void {
    const buf = new Uint8Array(keys.length * 36);
    const view = new DataView(buf.buffer);
    keys.forEach(({ neighbor, key }, i) => {
      if (!Number.isInteger(neighbor) || neighbor < 1 || neighbor > 0xffff_ffff) throw new NextminiError('INVALID_ARGUMENT', `setLinkKeys: neighbor must be a node id >= 1, got ${neighbor}`);
      if (!(key instanceof Uint8Array) || key.length !== 32) throw new NextminiError('INVALID_ARGUMENT', `setLinkKeys: the key for neighbour ${neighbor} must be 32 bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
      view.setUint32(i * 36, neighbor);
      buf.set(key, i * 36 + 4);
    });
    callCore(() => this.core.setLinkKeys(buf));
  }

  /** Replaces the set of emulated egress links; queued packets are kept (see core). */
  setLinks(links: { neighbor: number; params: Float64Array }[]): void {
    const t = now();
    const next = new Set(links.map((l) => l.neighbor));
    for (const n of this.#emulated) if (!next.has(n)) callCore(() => this.core.clearLink(t, n));
    for (const l of links) callCore(() => this.core.setLink(t, l.neighbor, l.params));
    this.#emulated = next;
    this.drain();
  }

  linkStats(): LinkCounters[] {
    const v = this.core.linkStats();
    const out: LinkCounters[] = [];
    for (let i = 0; i + 9 < v.length; i += 10) {
      out.push({ neighbor: v[i]!, transport: this.#transports?.protocolOf(v[i]!), emulated: true, bytesSent: v[i + 1]!, packetsSent: v[i + 2]!, dropsLoss: v[i + 3]!, dropsQueue: v[i + 4]!, queueDepth: v[i + 5]!, inFlight: v[i + 6]!, measuredRate: v[i + 7]!, dropsRed: v[i + 8]!, flowOverflow: v[i + 9]! });
    }
    return out;
  }

  /**
   * WRR weights of flows, for this node's links with `scheduler = "wrr"`. A flow is the
   * (source node, destination) pair of the datagram header, the same on every hop, so every
   * node on a flow's path should get its weight. Entries are added or changed; weight 1 (the
   * default) removes one. Weights are whole numbers from 1 to 1,000,000; a bad entry is
   * INVALID_ARGUMENT naming it and changes nothing. For the controller's [[flows]] flow_weight.
   */
  setFlowWeights(list: { src: number; dst: number; weight: number }[]): void {
    if (!Array.isArray(list)) throw new NextminiError('INVALID_ARGUMENT', `setFlowWeights: expected an array of { src, dst, weight }, got ${typeof list}`);
    const flat = new Float64Array(list.length * 3);
    list.forEach((e, i) => {
      if (e === null || typeof e !== 'object') throw new NextminiError('INVALID_ARGUMENT', `setFlowWeights: entry ${i} must be { src, dst, weight }, got ${String(e)}`);
      for (const k of ['src', 'dst'] as const) {
        if (!Number.isInteger(e[k]) || e[k] < 0 || e[k] > 0xffff_ffff) throw new NextminiError('INVALID_ARGUMENT', `setFlowWeights: entry ${i} ${k} must be a node id, got ${String(e[k])}`);
      }
      if (!Number.isInteger(e.weight) || e.weight < 1 || e.weight > MAX_FLOW_WEIGHT) throw new NextminiError('INVALID_ARGUMENT', `setFlowWeights: flow_weight of flow ${e.src} -> ${e.dst} must be a whole number from 1 to ${MAX_FLOW_WEIGHT}, got ${String(e.weight)}`);
      flat.set([e.src, e.dst, e.weight], i * 3);
    });
    callCore(() => this.core.setFlowWeights(flat));
  }

  /**
   * Called by the transports for every datagram, with the neighbour that sent it as the
   * transport identified it (0 = unknown: the core drops it as `not_a_peer`). Datagrams that arrive in one synchronous
   * run (a recvmmsg batch, or several frames in one TCP chunk) become one core call, made
   * from a microtask so no event-loop turn is lost. No copy here: the transports hand us
   * memory that is not reused (a fresh Buffer per UDP message or TCP chunk, a fresh
   * ArrayBuffer per relay message).
   */
  onDatagram = (datagram: Uint8Array, from: number): void => {
    if (this.#closed) return;
    this.#inbound.push(datagram);
    this.#inboundFrom.push(from >>> 0);
    this.#inboundBytes += 8 + datagram.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
  };

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#closed || this.#inbound.length === 0) return;
    const batch = new Uint8Array(this.#inboundBytes);
    const view = new DataView(batch.buffer);
    let o = 0;
    const from = this.#inboundFrom;
    this.#inbound.forEach((d, i) => {
      view.setUint32(o, from[i]!);
      view.setUint32(o + 4, d.length);
      batch.set(d, o + 8);
      o += 8 + d.length;
    });
    this.#inbound = [];
    this.#inboundFrom = [];
    this.#inboundBytes = 0;
    callCore(() => this.core.handleDatagrams(now(), batch));
    this.drain();
  };

  /** Sends one message through the core; returns its message id. */
  send(dst: number, srcPort: number, dstPort: number, payload: Uint8Array): number {
    const id = callCore(() => this.core.send(now(), dst, srcPort, dstPort, payload));
    this.drain();
    return id;
  }

  /** Sends one message down a group's tree (treeId < 0: the core picks one per flow). */
  sendGroup(group: number, treeId: number, srcPort: number, dstPort: number, payload: Uint8Array): number {
    const id = callCore(() => this.core.sendGroup(now(), group, treeId, srcPort, dstPort, payload));
    this.drain();
    return id;
  }

  /** Runs a core call that may queue work, then carries the work out. */
  run<T>(fn: (core: WasmNode, nowMs: number) => T): T {
    const r = callCore(() => fn(this.core, now()));
    this.drain();
    return r;
  }

  /** Carries out everything the core queued: transmits, events, and the next timer. */
  drain(): void {
    if (this.#closed) return;
    // One crossing: { f64 deadline, u32 transmit bytes, transmits, events } (see pollAll).
    const all = this.core.pollAll();
    const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
    const deadline = view.getFloat64(0);
    const txEnd = 12 + view.getUint32(8);
    if (txEnd > 12) this.#transmit(all.subarray(12, txEnd));
    // Arm before dispatching: listeners may call into the core, and their drains re-arm.
    this.#arm(deadline);
    if (all.length > txEnd) this.#dispatch(all.subarray(txEnd));
  }

  #transmit(batch: Uint8Array): void {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    let o = 0;
    while (o < batch.length) {
      const hop = view.getUint32(o);
      const len = view.getUint32(o + 4);
      const datagram = batch.subarray(o + 8, o + 8 + len);
      o += 8 + len;
      if (this.#down.has(hop) || !this.#transports?.send(hop, datagram)) {
        this.unknownPeerDrops++;
        // Header bytes 4..8: the originating node (core-rs/src/wire.rs).
        if (len >= 8 && view.getUint32(o - len + 4) !== this.#nodeId) this.unknownPeerForwards++;
        this.#undeliverable(datagram);
      }
    }
  }

  /**
   * Notes a unicast datagram that could not go on, for the controller to tell its source (which
   * may be this node) when the destination is not connected. Fragments and repeats of a pair
   * within a second make one report.
   */
  #undeliverable(datagram: Uint8Array): void {
    // Header (core-rs/src/wire.rs): kind at 1 (0 = unicast), src_node at 4, dst at 8.
    if (!this.#onUndeliverable || datagram.length < 12 || datagram[1] !== 0) return;
    const v = new DataView(datagram.buffer, datagram.byteOffset, 12);
    const src = v.getUint32(4);
    const dst = v.getUint32(8);
    const key = src * 2 ** 32 + dst;
    const t = now();
    const last = this.#reportedAt.get(key);
    if (last !== undefined && t - last < REPORT_INTERVAL_MS) return;
    if (this.#reportedAt.size >= MAX_REPORTED_PAIRS) this.#reportedAt.clear();
    this.#reportedAt.set(key, t);
    if (this.#reports.push([src, dst]) === 1) {
      nextTurn(() => {
        const pairs = this.#reports;
        this.#reports = [];
        if (!this.#closed) this.#onUndeliverable?.(pairs);
      });
    }
  }

  #dispatch(batch: Uint8Array): void {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    let o = 0;
    while (o < batch.length) {
      const type = view.getUint8(o);
      if (type === 2) {
        this.#onSession(view.getUint8(o + 1) as 1 | 2 | 3, view.getUint32(o + 2));
        o += 6;
        continue;
      }
      if (type === 3) {
        // { u8 3, u8 kind, u32 conn, u16 listener, u16 len, "CODE|message" } (core-rs/src/wasm/stream.rs)
        const len = view.getUint16(o + 8);
        const error = len ? textDecoder.decode(batch.subarray(o + 10, o + 10 + len)) : '';
        this.#onStream?.(view.getUint8(o + 1), view.getUint32(o + 2), view.getUint16(o + 6), error);
        o += 10 + len;
        continue;
      }
      if (type !== 1) throw new Error(`unknown core event type ${type}`);
      const len = view.getUint32(o + 28);
      const d: CoreDelivery = {
        kind: view.getUint8(o + 1),
        srcNode: view.getUint32(o + 2),
        dst: view.getUint32(o + 6),
        srcPort: view.getUint16(o + 10),
        dstPort: view.getUint16(o + 12),
        messageId: view.getUint32(o + 14),
        totalLen: view.getUint32(o + 18),
        fragCount: view.getUint32(o + 22),
        treeId: view.getUint16(o + 26),
        payload: batch.subarray(o + 32, o + 32 + len),
      };
      o += 32 + len;
      this.#onDelivery(d);
    }
  }

  #arm(deadlineMs: number): void {
    if (deadlineMs < 0 || deadlineMs >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = deadlineMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      if (this.#closed) return;
      this.core.handleTimeout(now());
      this.drain();
    }, Math.max(0, deadlineMs - now()));
  }

  stats(): Record<string, number> {
    const values = this.core.stats();
    const out: Record<string, number> = {};
    Engine.statNames.forEach((n, i) => (out[n] = values[i] ?? 0));
    return out;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.core.free();
  }
}
