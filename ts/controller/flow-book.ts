// The controller's traffic flows (README "Traffic flows"): each flow's spec, state and results.
// Logic only: it decides what to send to which node and what to store, through the callbacks
// it is given, and computes each flow's results from the two sides' reports (flow-report).
import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { checkOptions } from '../options.js';
import { checkFlow, flowTransport, FLOW_TRANSPORT_NAMES, type FlowSpec, type FlowTransport, type FlowTransportName } from '../config/flow-config.js';
import { MAX_FLOW_WEIGHT } from '../config/link-config.js';
import type { FlowReport, FlowStart, FlowWeight } from '../control/messages.js';

const log = logger('controller');

/** After a datagram source finished, its sink's last reports are awaited this long before the flow is done. */
export const FLOW_SETTLE_MS = 1000;

/** What startFlow takes: upstream's flow_spec in TypeScript idiom. */
export interface StartFlowArgs {
  src: number;
  dst: number;
  /** Bytes to send; give this or durationMs. */
  bytes?: number;
  /** Send for this many milliseconds (datagram and lossless flows need `rate`); give this or bytes. */
  durationMs?: number;
  /** Bytes per second: required for datagram flows and for lossless durationMs flows; a stream durationMs flow without one goes as fast as its stream allows. */
  rate?: number;
  /** Weight for weighted round robin between flows, a whole number >= 1. Default 1. */
  weight?: number;
  /** "datagram" | "lossless" (default) | "stream", or upstream's "lossless_unicast" (= lossless) and "tcp" (= stream). */
  transport?: FlowTransportName;
}

export type FlowState = 'pending' | 'running' | 'done' | 'stopped' | 'failed';

/** A flow and its results, as controller.metrics().flows and the store hold it. */
export interface FlowResult {
  flowId: number;
  spec: { src: number; dst: number; bytes?: number; durationMs?: number; rate?: number; weight: number; transport: FlowTransport };
  state: FlowState;
  /** Why it failed or stopped ('' otherwise). */
  reason: string;
  bytesSent: number;
  bytesReceived: number;
  /** Datagram flows: datagrams sent and received (distinct); lossless and stream: 0. */
  packetsSent: number;
  packetsReceived: number;
  /** Datagram flows: datagrams that arrived more than once. */
  duplicates: number;
  /** Lossless flows: frames sent beyond the first pass (chunks sent again, FEC repair symbols); stream flows: segments retransmitted. What loss cost. */
  framesResent: number;
  /** Datagram: 1 - received / sent datagrams; lossless and stream: 0 (every byte arrives; see framesResent). Null before anything was sent. */
  loss: number | null;
  /** When the source started sending (ms since the epoch, the controller's clock), or null. */
  startedAtMs: number | null;
  /** When the source finished sending (datagram), its session ended (lossless) or its stream closed (stream), or null. */
  endedAtMs: number | null;
  /** endedAtMs - startedAtMs, or null. */
  durationMs: number | null;
  /** Ms from the start to the last byte delivered (datagram), the session's completion (lossless) or the stream's close (stream), or null. */
  completionMs: number | null;
}

interface Side {
  state: FlowReport['state'];
  reason: string;
  bytes: number;
  packets: number;
  extra: number;
  startAtMs: number | null;
  endAtMs: number | null;
}

interface Flow {
  r: FlowResult;
  source?: Side;
  sink?: Side;
  settle?: ReturnType<typeof setTimeout>;
}

export interface FlowBookHooks {
  /** Both ends of a flow are connected with their links up. */
  ready(src: number, dst: number): boolean;
  /** Why there is no route from src to dst (explicit routing only), or undefined when there is one. */
  noRoute(src: number, dst: number): string | undefined;
  /** What a pending flow between src and dst waits for (its reason while pending). */
  waiting(src: number, dst: number): string;
  /** Sends a control message to a node (dropped if it is not connected). */
  send(node: number, m: FlowStart | { t: 'flow-stop'; flowId: number }): void;
  /** Every pending or running flow's weight changed: tell the nodes. */
  weights(list: FlowWeight[]): void;
  /**
   * Stores a flow's row; resolves once committed. Failures are the hook's to log: only startFlow
   * waits for its first row, the flows' progress never waits for the store.
   */
  store(r: FlowResult): Promise<void>;
}

const TERMINAL: readonly FlowState[] = ['done', 'stopped', 'failed'];
const copy = (r: FlowResult): FlowResult => ({ ...r, spec: { ...r.spec } });

/** Checks startFlow's argument: INVALID_ARGUMENT naming the field and what it takes. */
export function checkStartFlow(args: StartFlowArgs, isNode: (id: number) => boolean, nodes: string): FlowSpec {
  // checkOptions lets a missing options object through (it suits optional options); a flow has none.
  if (args === undefined || args === null) throw new NextminiError('INVALID_ARGUMENT', `startFlow: takes a flow { src, dst, bytes? | durationMs?, rate?, weight?, transport? }, got ${String(args)}`);
  checkOptions('startFlow', args, ['src', 'dst', 'bytes', 'durationMs', 'rate', 'weight', 'transport']);
  const bad = (field: string, message: string) => new NextminiError('INVALID_ARGUMENT', `startFlow: ${field} ${message}`);
  const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const int = (field: keyof StartFlowArgs, min: number, max: number) => {
    const v = args[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(field, `must be a whole number from ${min} to ${max}, got ${shown(v)}`);
    return v;
  };
  for (const end of ['src', 'dst'] as const) {
    const id = int(end, 1, 0xffff_fffe);
    if (!isNode(id)) throw bad(end, `is node ${id}, which is not in the topology (nodes are ${nodes})`);
  }
  const t = args.transport ?? 'lossless';
  if (!(FLOW_TRANSPORT_NAMES as readonly string[]).includes(t as string)) throw bad('transport', `must be one of ${FLOW_TRANSPORT_NAMES.map((x) => JSON.stringify(x)).join(', ')}, got ${shown(t)}`);
  const f: FlowSpec = { src: args.src, dst: args.dst, weight: args.weight === undefined ? 1 : int('weight', 1, MAX_FLOW_WEIGHT), transport: flowTransport(t) };
  if (args.bytes !== undefined) f.bytes = int('bytes', 1, 2 ** 40);
  if (args.durationMs !== undefined) f.durationMs = int('durationMs', 1, 86_400_000);
  if (args.rate !== undefined) {
    if (typeof args.rate !== 'number' || !Number.isFinite(args.rate) || args.rate < 1 || args.rate > 1e12) throw bad('rate', `must be bytes per second from 1 to 1e12, got ${shown(args.rate)}`);
    f.rate = args.rate;
  }
  return checkFlow(f, bad, (name) => (name === 'length' ? 'bytes or durationMs' : name === 'rate' ? 'rate' : 'dst'));
}

export class FlowBook {
  readonly #hooks: FlowBookHooks;
  readonly #flows = new Map<number, Flow>();
  /** Flows that failed when a node left while it was running its side: it is told to stop them when it joins again. */
  readonly #owedStop = new Map<number, Set<number>>();
  #nextId = 1;

  constructor(hooks: FlowBookHooks) {
    this.#hooks = hooks;
  }

  /**
   * Takes back the flows a store holds (the history of earlier runs). One that was pending or
   * running when the controller stopped cannot go on: it failed.
   */
  restore(rows: FlowResult[]): void {
    for (const row of rows) {
      const r = copy(row);
      if (!TERMINAL.includes(r.state)) {
        r.state = 'failed';
        r.reason = 'the controller stopped while the flow was pending or running';
        this.#save(r);
      }
      this.#flows.set(r.flowId, { r });
      this.#nextId = Math.max(this.#nextId, r.flowId + 1);
    }
  }

  /** Adds a flow (pending) and starts it if both ends are ready; returns its id, and its first row's write. */
  add(spec: FlowSpec): { flowId: number; stored: Promise<void> } {
    const flowId = this.#nextId++;
    const s: FlowResult['spec'] = { src: spec.src, dst: spec.dst, weight: spec.weight, transport: spec.transport };
    if (spec.bytes !== undefined) s.bytes = spec.bytes;
    if (spec.durationMs !== undefined) s.durationMs = spec.durationMs;
    if (spec.rate !== undefined) s.rate = spec.rate;
    const r: FlowResult = { flowId, spec: s, state: 'pending', reason: '', bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, duplicates: 0, framesResent: 0, loss: null, startedAtMs: null, endedAtMs: null, durationMs: null, completionMs: null };
    this.#flows.set(flowId, { r });
    const stored = this.#hooks.store(copy(r));
    this.#weightsChanged();
    this.startReady();
    return { flowId, stored };
  }

  has(flowId: number): boolean {
    return this.#flows.has(flowId);
  }

  /** Every flow, oldest first. */
  list(): FlowResult[] {
    // A pending flow's reason is worked out when asked, so it never goes stale.
    return [...this.#flows.values()].map((f) => (f.r.state === 'pending' ? { ...copy(f.r), reason: this.#hooks.waiting(f.r.spec.src, f.r.spec.dst) } : copy(f.r)));
  }

  /** Starts every pending flow whose two ends are ready. */
  startReady(): void {
    for (const f of this.#flows.values()) {
      if (f.r.state !== 'pending' || !this.#hooks.ready(f.r.spec.src, f.r.spec.dst)) continue;
      const s = f.r.spec;
      // Without a route the source could only drop what it sends (and a lossless session, with
      // no way back for its receiver's reports, would run until it timed out): fail it now, saying why.
      const why = this.#hooks.noRoute(s.src, s.dst) ?? (s.transport !== 'datagram' ? this.#hooks.noRoute(s.dst, s.src)?.replace(/^(no route from node \d+ to node \d+)/, `$1 (a ${s.transport} flow needs routes both ways: its receiver ${s.transport === 'stream' ? 'acknowledges' : 'reports back'})`) : undefined);
      if (why) {
        log.warn(`flow ${f.r.flowId}: ${s.transport} ${s.src} -> ${s.dst} failed: ${why}`);
        this.#finish(f, 'failed', why);
        continue;
      }
      // A lossless Duration flow is a session of what its rate sends in that time.
      const bytes = s.bytes ?? (s.transport === 'lossless' ? Math.max(1, Math.round(((s.rate ?? 0) * (s.durationMs ?? 0)) / 1000)) : 0);
      const base = { t: 'flow-start' as const, flowId: f.r.flowId, transport: s.transport, bytes, durationMs: s.transport === 'lossless' ? 0 : (s.durationMs ?? 0), rate: s.rate ?? 0 };
      // The sink first: its receiver is then usually open before the first byte arrives (it works either way).
      this.#hooks.send(s.dst, { ...base, role: 'sink', peer: s.src });
      this.#hooks.send(s.src, { ...base, role: 'source', peer: s.dst });
      f.r.state = 'running';
      f.r.startedAtMs = Date.now();
      log.info(`flow ${f.r.flowId}: ${s.transport} ${s.src} -> ${s.dst} started`);
      this.#save(f.r);
    }
  }

  /** Stops a flow: its generator stops, and it ends 'stopped' with what was delivered so far. */
  stop(flowId: number): void {
    const f = this.#flows.get(flowId);
    if (!f) throw new NextminiError('UNKNOWN_FLOW', `stopFlow: there is no flow ${flowId}${this.#flows.size ? ` (flows are ${[...this.#flows.keys()].join(', ')})` : ' (no flows exist)'}`);
    if (TERMINAL.includes(f.r.state)) return;
    if (f.r.state === 'running') {
      this.#hooks.send(f.r.spec.src, { t: 'flow-stop', flowId });
      this.#hooks.send(f.r.spec.dst, { t: 'flow-stop', flowId });
    }
    this.#finish(f, 'stopped', 'stopped by stopFlow');
  }

  /** A node's report about its side of a flow; reports from a node that is not that side's are ignored. */
  onReport(node: number, m: FlowReport): void {
    const f = this.#flows.get(m.flowId);
    if (!f || node !== (m.role === 'source' ? f.r.spec.src : f.r.spec.dst)) return;
    const t = Date.now();
    const at = (ago: number) => (ago >= 0 && Number.isFinite(ago) ? t - ago : null);
    const side: Side = { state: m.state, reason: m.reason, bytes: m.bytes, packets: m.packets, extra: m.extra, startAtMs: at(m.startAgoMs), endAtMs: at(m.endAgoMs) };
    if (m.role === 'source') f.source = side;
    else f.sink = side;
    this.#compute(f);
    if (f.r.state === 'running') {
      const failed = f.source?.state === 'failed' ? f.source : f.sink?.state === 'failed' ? f.sink : undefined;
      if (failed) return this.#finish(f, 'failed', `${failed === f.source ? `source node ${f.r.spec.src}` : `sink node ${f.r.spec.dst}`}: ${failed.reason}`);
      if (f.source?.state === 'done') {
        if (f.r.spec.transport === 'lossless') return this.#finish(f, 'done', '');
        // A stream source is done once its stream closed, so the sink read every byte; its own
        // report (what it counted) settles the flow, or the settle timer if it is lost.
        if (f.r.spec.transport === 'stream' && f.sink?.state === 'done') return this.#finish(f, 'done', '');
        if (f.sink && f.sink.packets >= f.source.packets) return this.#finish(f, 'done', '');
        // Datagrams still in flight, or lost: the sink's last report settles it.
        f.settle ??= setTimeout(() => this.#finish(f, 'done', ''), FLOW_SETTLE_MS);
      }
    } else if (TERMINAL.includes(f.r.state)) {
      // Late counts of a flow that ended (a stopped flow's last datagrams): kept and stored.
      this.#save(f.r);
    }
  }

  /** A node left: its running flows failed; pending ones wait for it. */
  nodeLeft(node: number): void {
    for (const f of this.#flows.values()) {
      if (f.r.state !== 'running' || (f.r.spec.src !== node && f.r.spec.dst !== node)) continue;
      // The other end stops too (a datagram source also stops at its first PEER_DOWN, once it
      // hears the sink is down; a lossless one would otherwise wait for its session to time out).
      this.#hooks.send(f.r.spec.src === node ? f.r.spec.dst : f.r.spec.src, { t: 'flow-stop', flowId: f.r.flowId });
      // The node's own side may run on without the controller (its dataplane outlives the
      // connection); it is stopped when the node comes back.
      let owed = this.#owedStop.get(node);
      if (!owed) this.#owedStop.set(node, (owed = new Set()));
      owed.add(f.r.flowId);
      this.#finish(f, 'failed', `node ${node} disconnected from the controller`);
    }
  }

  /** A node joined (again): it stops the sides of flows that failed while it was away. */
  nodeJoined(node: number): void {
    const owed = this.#owedStop.get(node);
    if (!owed) return;
    this.#owedStop.delete(node);
    for (const flowId of owed) this.#hooks.send(node, { t: 'flow-stop', flowId });
  }

  /** Pending and running flows' weights. */
  weights(): FlowWeight[] {
    const out: FlowWeight[] = [];
    for (const f of this.#flows.values()) if (!TERMINAL.includes(f.r.state)) out.push({ src: f.r.spec.src, dst: f.r.spec.dst, weight: f.r.spec.weight });
    return out;
  }

  close(): void {
    for (const f of this.#flows.values()) if (f.settle) clearTimeout(f.settle);
  }

  #compute(f: Flow): void {
    const r = f.r;
    const src = f.source;
    const sink = f.sink;
    if (src) {
      r.bytesSent = src.bytes;
      r.packetsSent = src.packets;
      if (r.spec.transport !== 'datagram') r.framesResent = src.extra;
      if (src.startAtMs !== null) r.startedAtMs = src.startAtMs;
      r.endedAtMs = src.state === 'running' ? null : src.endAtMs;
    }
    if (sink) {
      r.bytesReceived = sink.bytes;
      r.packetsReceived = sink.packets;
      if (r.spec.transport === 'datagram') r.duplicates = sink.extra;
    }
    r.durationMs = r.startedAtMs !== null && r.endedAtMs !== null ? Math.max(0, r.endedAtMs - r.startedAtMs) : null;
    if (r.spec.transport === 'datagram') {
      r.loss = r.packetsSent > 0 ? Math.max(0, (r.packetsSent - r.packetsReceived) / r.packetsSent) : null;
      const last = sink?.endAtMs ?? null;
      r.completionMs = r.startedAtMs !== null && last !== null ? Math.max(0, last - r.startedAtMs) : null;
    } else {
      r.loss = r.bytesSent > 0 ? 0 : null;
      r.completionMs = src?.state === 'done' && r.durationMs !== null ? r.durationMs : null;
    }
  }

  #finish(f: Flow, state: 'done' | 'stopped' | 'failed', reason: string): void {
    if (TERMINAL.includes(f.r.state)) return;
    if (f.settle) clearTimeout(f.settle);
    f.settle = undefined;
    f.r.state = state;
    f.r.reason = reason;
    this.#compute(f);
    // Stopped or failed before the source said it ended: it ended now, as far as we know.
    if (f.r.endedAtMs === null && f.r.startedAtMs !== null && state !== 'done') {
      f.r.endedAtMs = Date.now();
      f.r.durationMs = Math.max(0, f.r.endedAtMs - f.r.startedAtMs);
    }
    const s = f.r.spec;
    const loss = f.r.loss === null ? '' : `, loss ${(f.r.loss * 100).toFixed(2)}%`;
    log.info(`flow ${f.r.flowId}: ${s.transport} ${s.src} -> ${s.dst} ${state}${reason ? ` (${reason})` : ''}: ${f.r.bytesSent} bytes sent, ${f.r.bytesReceived} received${loss}`);
    this.#save(f.r);
    this.#weightsChanged();
  }

  /** Stores a row without waiting; the hook has logged a failure (storeFailed). */
  #save(r: FlowResult): void {
    this.#hooks.store(copy(r)).catch(() => {});
  }

  #weightsChanged(): void {
    this.#hooks.weights(this.weights());
  }
}
