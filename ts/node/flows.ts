// A node's part in controller-driven traffic flows (README "Traffic flows"): as a source it
// generates a flow's traffic when the controller says so (flow-start), as a sink it counts
// what arrives, and both sides report to the controller (flow-report) every REPORT_MS while
// anything changed, and at once when their side ends.
//
// datagram: paced messages to the destination's reserved FLOW_PORT, each carrying
// (flow id, sequence); the destination's dataplane hands FLOW_PORT deliveries here instead of
// to the application, and the sink counts received packets and duplicates.
// lossless: one lossless session (sessions.ts) of the flow's bytes from FLOW_PORT to FLOW_PORT;
// the sink opens its receiver itself, so no application call is needed on either side.
// stream: one reliable stream (streams.ts) to the destination's stream port FLOW_PORT, on which
// every node's flows listen: a header (magic, flow id), then the flow's bytes, then the end.
import { logger } from '../log.js';
import { PacketView } from '../packet.js';
import { NextminiError } from '../errors.js';
import type { FlowReport, FlowStart, FlowSideState } from '../control/messages.js';
import type { NodeSessions, SessionOutcome } from './sessions.js';
import type { NextminiStream } from './stream.js';
import type { StreamListener } from './streams.js';

const log = logger('flows');

/** The port flow traffic uses at both ends; deliveries to it never reach the application. */
export const FLOW_PORT = 65535;
/** Payload bytes of one flow datagram (one fragment at the default mtu, with room for the MAC trailer). */
export const FLOW_PACKET_BYTES = 1024;
/** A flow datagram starts with "NMFL", then the flow id and the sequence number (u32 each). */
const MAGIC = 0x4e4d464c;
const HEADER = 12;
/** A flow stream starts with "NMFS", then the flow id (u32). */
const STREAM_MAGIC = 0x4e4d4653;
const STREAM_HEADER = 8;
/** A stream sink that has not read its header within this many ms is reset (a stray connect). */
const STREAM_HEADER_MS = 10_000;
/** Bytes per write of a stream source without a rate (the stream's backpressure paces it). */
const STREAM_CHUNK = 64 * 1024;
/** The flow's bytes are zeros: one buffer written again and again (a write copies it into the core). */
const ZEROS = new Uint8Array(STREAM_CHUNK);
/** How often the generator wakes to send what its rate allows. */
const TICK_MS = 5;
/** The most a generator that fell behind (a full queue) sends in one go: this many ms at its rate. */
const BURST_MS = 50;
/** Progress reports while a side runs, at most this often. */
const REPORT_MS = 250;
/** An ended side is forgotten this long after it ended (its late counts reported by then). */
const FORGET_MS = 10_000;
/** Sinks opened by a datagram before the controller announced the flow: at most this many (the rest are dropped as no_receiver). */
const MAX_UNANNOUNCED_SINKS = 64;
/** Until the controller announced it, a sink takes sequence numbers below this (a 128 KiB bitmap). */
const UNANNOUNCED_MAX_SEQ = 1 << 20;

export interface FlowHost {
  nodeId: number;
  /** Sends one flow datagram; false when the node's queue is full (try again on a later tick). */
  send(dst: number, payload: Uint8Array): boolean;
  /** A node's user-space address (the destIp of a lossless unicast). */
  addressOf(nodeId: number): string;
  sessions: NodeSessions;
  report(m: FlowReport): void;
  /** A stream to `dst`'s flow port (stream flows' sources). */
  connect(dst: number, signal: AbortSignal): Promise<NextminiStream>;
  /** The listener on this node's flow port (stream flows' sinks), the application's listen refuses. */
  listen(): StreamListener;
}

interface Side {
  flowId: number;
  role: 'source' | 'sink';
  state: FlowSideState;
  reason: string;
  bytes: number;
  packets: number;
  extra: number;
  startAt: number;
  endAt: number;
  /** Something changed since the last report. */
  dirty: boolean;
  /** When this side ended here (-1: running), to forget it FORGET_MS later. */
  endedAt: number;
}

interface DatagramSource extends Side {
  dst: number;
  total: number;
  durationMs: number;
  rate: number;
  seq: number;
  tokens: number;
  lastAt: number;
  timer?: ReturnType<typeof setInterval>;
}

interface DatagramSink extends Side {
  /** Packets the source will send (0: not known, a Duration flow). */
  expectPackets: number;
  /** Sequence numbers at or above this are not the flow's (a bound on the bitmap): ignored. */
  maxSeq: number;
  /** The controller announced this flow (flow-start), rather than a datagram opening it. */
  announced: boolean;
  seen: Uint8Array;
}

interface SessionSide extends Side {
  sessionId: number;
}

interface StreamSide extends Side {
  stream: NextminiStream | undefined;
  /** Stops a source's connect (flow-stop before the stream is open). */
  abort: AbortController;
  /** Bytes the flow carries (0: not known, a Duration flow). */
  expectBytes: number;
  /** The controller announced this flow (flow-start), rather than its stream opening it. */
  announced: boolean;
}

const isStream = (side: Side | undefined): side is StreamSide => side !== undefined && 'abort' in side;

const now = (): number => performance.now();

export class NodeFlows {
  readonly #host: FlowHost;
  readonly #sides = new Map<string, Side>();
  /** Lossless sides by session id, for progress events. */
  readonly #bySession = new Map<number, SessionSide>();
  /** Flows whose sides were forgotten (bounded): their late datagrams must not open a new sink. */
  readonly #forgotten = new Set<number>();
  readonly #reportTimer: ReturnType<typeof setInterval>;
  readonly #unlisten: () => void;
  readonly #listener: StreamListener;
  #closed = false;

  constructor(host: FlowHost) {
    this.#host = host;
    this.#reportTimer = setInterval(() => this.#reportAll(), REPORT_MS);
    (this.#reportTimer as { unref?: () => void }).unref?.();
    this.#unlisten = host.sessions.onProgress((e) => this.#onSession(e.sessionId, e.done));
    this.#listener = host.listen();
    void this.#acceptStreams();
  }

  /** The controller's flow-start: begins this node's side of the flow. */
  start(m: FlowStart): void {
    if (this.#closed) return;
    const key = `${m.role}:${m.flowId}`;
    this.#forgotten.delete(m.flowId);
    // A datagram sink may be running already: its first datagram came before the controller's
    // word. Any other running side means a repeated start, ignored. An ended side is replaced: a
    // controller started afresh (memory store) numbers its flows from 1 again.
    const running = this.#sides.get(key);
    // A stream sink its stream opened before the controller's word (running or already ended):
    // now it knows how many bytes to expect.
    if (m.role === 'sink' && m.transport === 'stream' && isStream(running) && !running.announced) {
      running.announced = true;
      running.expectBytes = m.bytes;
      if (running.state === 'done' && m.bytes > 0 && running.bytes !== m.bytes) {
        running.state = 'failed';
        running.reason = `the stream ended after ${running.bytes} of the flow's ${m.bytes} bytes`;
      }
      this.#report(running);
      return;
    }
    const existing = running?.state === 'running' ? running : undefined;
    if (existing && !(m.role === 'sink' && m.transport === 'datagram' && 'seen' in existing)) return;
    const base = { flowId: m.flowId, role: m.role, state: 'running' as FlowSideState, reason: '', bytes: 0, packets: 0, extra: 0, startAt: -1, endAt: -1, dirty: true, endedAt: -1 };
    try {
      if (m.transport === 'datagram') {
        if (m.role === 'sink') {
          const s = (existing as DatagramSink | undefined) ?? this.#newSink(m.flowId);
          s.expectPackets = m.bytes > 0 ? Math.ceil(m.bytes / FLOW_PACKET_BYTES) : 0;
          // A Duration flow sends at most rate × duration (twice that leaves room for late timers).
          s.maxSeq = s.expectPackets || Math.ceil((2 * m.rate * m.durationMs) / 1000 / FLOW_PACKET_BYTES) + 16;
          s.announced = true;
          this.#checkSinkDone(s);
          return;
        }
        const src: DatagramSource = { ...base, dst: m.peer, total: m.bytes > 0 ? m.bytes : Infinity, durationMs: m.durationMs > 0 ? m.durationMs : Infinity, rate: m.rate, seq: 0, tokens: FLOW_PACKET_BYTES, lastAt: now() };
        this.#sides.set(key, src);
        src.startAt = src.lastAt;
        src.timer = setInterval(() => this.#pump(src), TICK_MS);
        this.#pump(src);
        return;
      }
      if (m.transport === 'stream') {
        const side: StreamSide = { ...base, stream: undefined, abort: new AbortController(), expectBytes: m.bytes, announced: true };
        this.#sides.set(key, side);
        // A sink waits for its stream on the flows' listener; a source opens it.
        if (m.role === 'source') void this.#streamSource(side, m);
        return;
      }
      // lossless: a session of the flow's bytes (a Duration flow's were computed by the controller).
      const sessions = this.#host.sessions;
      const sessionId =
        m.role === 'source'
          ? sessions.send({ destIp: this.#host.addressOf(m.peer), receiverIds: [m.peer], buffer: new PacketView(new Uint8Array(m.bytes)), srcPort: FLOW_PORT, dstPort: FLOW_PORT })
          : sessions.receive({ destIp: this.#host.addressOf(this.#host.nodeId), sourceNodeId: m.peer, expectedBytes: m.bytes, srcPort: FLOW_PORT, dstPort: FLOW_PORT });
      const side: SessionSide = { ...base, sessionId };
      if (m.role === 'source') side.startAt = now();
      this.#sides.set(key, side);
      this.#bySession.set(sessionId, side);
    } catch (err) {
      const side: Side = { ...base, state: 'failed', reason: `could not start: ${(err as Error).message}` };
      this.#sides.set(key, side);
      log.warn(`node ${this.#host.nodeId}: flow ${m.flowId} (${m.role}) ${side.reason}`);
      this.#report(side);
    }
  }

  /** The controller's flow-stop: the source stops generating, a lossless sink cancels; both report. */
  stop(flowId: number): void {
    for (const role of ['source', 'sink'] as const) {
      const side = this.#sides.get(`${role}:${flowId}`);
      if (!side || side.state !== 'running') continue;
      if (isStream(side)) {
        // The source resets its stream (the sink then sees it end, stopped); a sink resets its own too.
        side.abort.abort();
        side.stream?.abort(new NextminiError('ABORTED', 'flow stopped by the controller'));
      }
      if ('sessionId' in side) {
        this.#refresh(side as SessionSide);
        if (side.state !== 'running') continue;
        try {
          this.#host.sessions.cancel((side as SessionSide).sessionId);
        } catch {
          // The session ended in between: its outcome stands.
        }
      }
      this.#end(side, 'stopped', 'stopped by the controller');
    }
  }

  /** A delivery to FLOW_PORT (datagram flows): counted, never handed to the application. */
  onDatagram(payload: Uint8Array): boolean {
    if (payload.length < HEADER) return false;
    const v = new DataView(payload.buffer, payload.byteOffset, HEADER);
    if (v.getUint32(0) !== MAGIC) return false;
    const flowId = v.getUint32(4);
    const seq = v.getUint32(8);
    let s = this.#sides.get(`sink:${flowId}`) as DatagramSink | undefined;
    if (!s) {
      if (this.#forgotten.has(flowId)) return true;
      if (this.#unannounced() >= MAX_UNANNOUNCED_SINKS) return false;
      s = this.#newSink(flowId);
    }
    if (!('seen' in s) || s.state === 'failed' || seq >= s.maxSeq) return true;
    const t = now();
    if (seq >= s.seen.length * 8) {
      const grown = new Uint8Array(Math.max(s.seen.length * 2, (seq >>> 3) + 1));
      grown.set(s.seen);
      s.seen = grown;
    }
    const bit = 1 << (seq & 7);
    if (s.seen[seq >>> 3]! & bit) {
      s.extra++;
    } else {
      s.seen[seq >>> 3]! |= bit;
      s.packets++;
      s.bytes += payload.length;
      if (s.startAt < 0) s.startAt = t;
      s.endAt = t;
    }
    s.dirty = true;
    this.#checkSinkDone(s);
    return true;
  }

  /**
   * A stream source: the header, then `bytes` zeros (or for `durationMs`), paced by a token
   * bucket at `rate` when there is one, else as fast as the stream takes them; then the end,
   * and done once the stream closed (the sink read everything and closed too).
   */
  async #streamSource(side: StreamSide, m: FlowStart): Promise<void> {
    const total = m.bytes > 0 ? m.bytes : Infinity;
    const durationMs = m.durationMs > 0 ? m.durationMs : Infinity;
    try {
      const s = await this.#host.connect(m.peer, side.abort.signal);
      if (side.state !== 'running' || this.#closed) {
        s.abort();
        return;
      }
      side.stream = s;
      side.startAt = now();
      side.dirty = true;
      const w = s.writable.getWriter();
      const header = new Uint8Array(STREAM_HEADER);
      new DataView(header.buffer).setUint32(0, STREAM_MAGIC);
      new DataView(header.buffer).setUint32(4, m.flowId);
      await w.write(header);
      let tokens = 0;
      let lastAt = side.startAt;
      while (side.state === 'running' && side.bytes < total && now() - side.startAt < durationMs) {
        let n = Math.min(STREAM_CHUNK, total - side.bytes);
        if (m.rate > 0) {
          // The datagram generator's bucket, filled on TICK_MS wake-ups and holding at most
          // BURST_MS worth (a late tick does not catch up in a burst). The wait comes after every
          // write: a loop of tiny writes the bucket refills between would never yield to timers.
          await new Promise((r) => setTimeout(r, TICK_MS));
          const t = now();
          tokens = Math.min(tokens + (m.rate * (t - lastAt)) / 1000, Math.max((m.rate * BURST_MS) / 1000, 1));
          lastAt = t;
          n = Math.min(n, Math.floor(tokens));
          if (n < 1 || side.state !== 'running' || now() - side.startAt >= durationMs) continue;
          tokens -= n;
        }
        await w.write(ZEROS.subarray(0, n));
        side.bytes += n;
        side.dirty = true;
      }
      if (side.state !== 'running') return;
      await w.close();
      await s.closed;
      side.extra = s.stats().retransmits;
      this.#end(side, 'done', '');
    } catch (err) {
      if (side.stream) side.extra = side.stream.stats().retransmits;
      this.#end(side, 'failed', `stream to node ${m.peer}: ${(err as Error).message}`);
    }
  }

  /** The flows' listener on the stream port: each stream is one flow's sink. */
  async #acceptStreams(): Promise<void> {
    try {
      for await (const s of this.#listener) void this.#streamSink(s);
    } catch (err) {
      // The node is closing (its streams end first): nothing more to accept.
      log.debug(`node ${this.#host.nodeId}: the flows' stream listener ended: ${(err as Error).message}`);
    }
  }

  /** Reads a flow stream's header, then counts its bytes to the end. */
  async #streamSink(s: NextminiStream): Promise<void> {
    const reader = s.readable.getReader();
    const reject = (why: string) => {
      log.debug(`node ${this.#host.nodeId}: stream from node ${s.remoteNodeId} port ${s.remotePort} to the flow port reset: ${why}`);
      s.abort();
    };
    let head = new Uint8Array(0);
    const timer = setTimeout(() => reject(`no flow header within ${STREAM_HEADER_MS} ms`), STREAM_HEADER_MS);
    try {
      while (head.length < STREAM_HEADER) {
        const r = await reader.read();
        if (r.done) return reject('it ended before its flow header');
        const grown = new Uint8Array(head.length + r.value.length);
        grown.set(head);
        grown.set(r.value, head.length);
        head = grown;
      }
    } catch {
      return;
    } finally {
      clearTimeout(timer);
    }
    const v = new DataView(head.buffer, 0, STREAM_HEADER);
    if (v.getUint32(0) !== STREAM_MAGIC) return reject('it does not start with a flow header');
    const flowId = v.getUint32(4);
    let side = this.#sides.get(`sink:${flowId}`);
    if (side === undefined) {
      if (this.#forgotten.has(flowId) || this.#unannounced() >= MAX_UNANNOUNCED_SINKS) return reject(`flow ${flowId} is not expected here`);
      const base = { flowId, role: 'sink' as const, state: 'running' as FlowSideState, reason: '', bytes: 0, packets: 0, extra: 0, startAt: -1, endAt: -1, dirty: true, endedAt: -1 };
      side = { ...base, stream: undefined, abort: new AbortController(), expectBytes: 0, announced: false } as StreamSide;
      this.#sides.set(`sink:${flowId}`, side);
    }
    if (!isStream(side) || side.stream || side.state !== 'running') return reject(`flow ${flowId} has no stream sink waiting here`);
    const sink = side;
    sink.stream = s;
    sink.startAt = now();
    const count = (n: number) => {
      if (n === 0) return;
      sink.bytes += n;
      sink.endAt = now();
      sink.dirty = true;
    };
    count(head.length - STREAM_HEADER);
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        count(r.value.length);
      }
    } catch (err) {
      // The source resets its stream when the controller stops the flow (its sink usually hears
      // the stop first); anything else that ended the stream early is a failure.
      const reset = err instanceof NextminiError && err.code === 'CONNECTION_RESET';
      this.#end(sink, reset ? 'stopped' : 'failed', reset ? 'the source reset the stream' : `stream from node ${s.remoteNodeId}: ${(err as Error).message}`);
      return;
    }
    // The end of the data: close this side too, so that the source's stream closes.
    s.close().catch(() => {});
    if (sink.expectBytes > 0 && sink.bytes !== sink.expectBytes) this.#end(sink, 'failed', `the stream ended after ${sink.bytes} of the flow's ${sink.expectBytes} bytes`);
    else this.#end(sink, 'done', '', sink.endAt < 0 ? now() : sink.endAt);
  }

  #newSink(flowId: number): DatagramSink {
    const s: DatagramSink = { flowId, role: 'sink', state: 'running', reason: '', bytes: 0, packets: 0, extra: 0, startAt: -1, endAt: -1, dirty: true, endedAt: -1, expectPackets: 0, maxSeq: UNANNOUNCED_MAX_SEQ, announced: false, seen: new Uint8Array(128) };
    this.#sides.set(`sink:${flowId}`, s);
    return s;
  }

  #unannounced(): number {
    let n = 0;
    for (const side of this.#sides.values()) if ((side as DatagramSink).announced === false) n++;
    return n;
  }

  #checkSinkDone(s: DatagramSink): void {
    if (s.state === 'running' && s.expectPackets > 0 && s.packets >= s.expectPackets) this.#end(s, 'done', '', s.endAt);
  }

  /** A token bucket at the flow's rate, holding at most BURST_MS worth (or one packet): a generator that fell behind does not catch up in a burst. */
  #pump(s: DatagramSource): void {
    if (s.state !== 'running') return;
    const t = now();
    const cap = Math.max((s.rate * BURST_MS) / 1000, FLOW_PACKET_BYTES);
    s.tokens = Math.min(s.tokens + (s.rate * (t - s.lastAt)) / 1000, cap);
    s.lastAt = t;
    while (s.bytes < s.total && t - s.startAt < s.durationMs) {
      const size = Math.max(Math.min(FLOW_PACKET_BYTES, s.total - s.bytes), HEADER);
      if (s.tokens < size) break;
      const p = new Uint8Array(size);
      const v = new DataView(p.buffer);
      v.setUint32(0, MAGIC);
      v.setUint32(4, s.flowId);
      v.setUint32(8, s.seq);
      let ok: boolean;
      try {
        ok = this.#host.send(s.dst, p);
      } catch (err) {
        this.#end(s, 'failed', `sending to node ${s.dst} failed: ${(err as Error).message}`);
        return;
      }
      if (!ok) break;
      s.tokens -= size;
      s.seq++;
      s.packets++;
      s.bytes += size;
      s.dirty = true;
    }
    if (s.bytes >= s.total || t - s.startAt >= s.durationMs) this.#end(s, 'done', '');
  }

  #onSession(sessionId: number, done: boolean): void {
    const side = this.#bySession.get(sessionId);
    if (!side) return;
    this.#refresh(side);
    if (done && side.state === 'running') this.#refresh(side, true);
  }

  /** Reads a lossless side's progress (and, once it ended, its outcome). */
  #refresh(side: SessionSide, ended = false): void {
    if (side.state !== 'running') return;
    const sessions = this.#host.sessions;
    let outcome: SessionOutcome | null;
    try {
      const p = sessions.progress(side.sessionId);
      const bytes = side.role === 'source' ? p.bytesSent : p.bytesConfirmed;
      // Frames beyond the first pass: chunks sent again and FEC repair symbols, what loss cost.
      const extra = side.role === 'source' ? p.retransmitted + p.repairSymbols : 0;
      if (bytes !== side.bytes || extra !== side.extra) side.dirty = true;
      if (side.role === 'sink' && bytes > 0 && side.startAt < 0) side.startAt = now();
      side.bytes = bytes;
      side.extra = extra;
      outcome = sessions.outcome(side.sessionId);
    } catch (err) {
      if (ended) this.#end(side, 'failed', (err as Error).message);
      return;
    }
    if (outcome === null) return;
    if (outcome.status === 'completed') {
      if (side.role === 'sink') {
        side.bytes = sessions.progress(side.sessionId).bytesTotal;
        // The bytes are the flow's zeros: free them now.
        try {
          sessions.data(side.sessionId, true);
        } catch {
          // Already taken.
        }
      }
      this.#end(side, 'done', '');
    } else if (outcome.status === 'cancelled') {
      this.#end(side, 'stopped', 'cancelled');
    } else {
      this.#end(side, 'failed', `lossless session ${outcome.status}${'receiverIds' in outcome ? ` (nodes ${outcome.receiverIds.join(', ')})` : ''}`);
    }
  }

  #end(side: Side, state: FlowSideState, reason: string, at = now()): void {
    if (side.state !== 'running') return;
    side.state = state;
    side.reason = reason;
    side.endedAt = now();
    // A source ends now; a sink's end is its last byte (a datagram sink's was passed in as `at`,
    // a lossless sink's is its completion, now).
    if (side.role === 'source' || state === 'done') side.endAt = at;
    const src = side as DatagramSource;
    if (src.timer) clearInterval(src.timer);
    if ('sessionId' in side) this.#bySession.delete((side as SessionSide).sessionId);
    this.#report(side);
  }

  #report(side: Side): void {
    side.dirty = false;
    const t = now();
    const age = (at: number) => (at < 0 ? -1 : Math.max(0, t - at));
    try {
      this.#host.report({ t: 'flow-report', flowId: side.flowId, role: side.role, state: side.state, bytes: side.bytes, packets: side.packets, extra: side.extra, startAgoMs: age(side.startAt), endAgoMs: age(side.endAt), reason: side.reason });
    } catch (err) {
      log.debug(`flow report not sent: ${(err as Error).message}`);
    }
  }

  #reportAll(): void {
    if (this.#closed) return;
    for (const side of this.#sides.values()) {
      if ('sessionId' in side) this.#refresh(side as SessionSide);
      // Ended sides too: a sink still counts datagrams that were in flight when its flow stopped.
      if (side.dirty) this.#report(side);
      const t = now();
      // An unannounced stream sink is not stale while it runs: its stream ends it.
      const stale = side.state !== 'running' ? t - side.endedAt > FORGET_MS : (side as DatagramSink).announced === false && !isStream(side) && t - side.startAt > FORGET_MS;
      if (stale) {
        this.#sides.delete(`${side.role}:${side.flowId}`);
        if (this.#forgotten.size >= 4096) this.#forgotten.clear();
        this.#forgotten.add(side.flowId);
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#reportTimer);
    this.#unlisten();
    this.#listener.close();
    for (const side of this.#sides.values()) {
      const src = side as DatagramSource;
      if (src.timer) clearInterval(src.timer);
      if (isStream(side)) side.abort.abort();
    }
  }
}

/** INVALID_ARGUMENT when an application asks to listen on the flows' stream port. */
export function refuseFlowStreamPort(call: string, port: unknown): void {
  if (port === FLOW_PORT) throw new NextminiError('INVALID_ARGUMENT', `${call}: stream port ${FLOW_PORT} is reserved for the controller's traffic flows (README "Traffic flows"); choose another`);
}

/** INVALID_ARGUMENT when an application asks for the flow port. */
export function refuseFlowPort(call: string, port: number): void {
  if (port === FLOW_PORT) throw new NextminiError('INVALID_ARGUMENT', `${call}: port ${FLOW_PORT} is reserved for the controller's traffic flows (README "Traffic flows"); choose another`);
}
