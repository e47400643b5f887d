// A node's lossless sessions: the seed's send_data / receive_data / lossless_wait /
// get_data_buffer in TypeScript idiom, plus progress, outcomes and cancellation.
import { NextminiError } from '../errors.js';
import { checkOptions, checkPort } from '../options.js';
import { PacketView, shareView } from '../packet.js';
import { ipv4ToInt } from '../config/reader.js';
import type { Engine } from './engine.js';
import type { NodeGroups } from './groups.js';
import { Conditions, type WaitOptions } from './waiters.js';

/**
 * How a sender adapts its rate (`sendData({ congestion })`):
 * - `'rate'` (default): paces at the delivery rate its receivers report during each pass;
 *   until the first report, the loss-based controller below.
 * - `'loss'`: loss-based only: after each pass, backs off when a receiver lost more than 2%
 *   of it, climbs back otherwise; the receivers' rate reports are ignored.
 * - `'off'`: no adaptation: paces at `[lossless_runtime_config.data_bucket]` if the node
 *   configures one, else sends as fast as the host wakes it (bursts of up to 256 KiB). This
 *   can overrun links and receivers' socket buffers; repairs then cost extra passes.
 */
export type CongestionMode = 'rate' | 'loss' | 'off';

export interface SendDataArgs {
  /** The group the data goes to (optional when `destIp` names it, or for unicast). */
  groupId?: number;
  /** A group address, or a node's user-space address for a lossless unicast. */
  destIp: string;
  /** Every node that must confirm all bytes. */
  receiverIds: number[];
  buffer: PacketView;
  /** Bytes per chunk (clamped to one datagram). Default: lossless_runtime_config.default_chunk_size (8500). */
  chunkSize?: number;
  /** Upstream nextmini's name for `chunkSize`; give one of the two. */
  blockSize?: number;
  srcPort?: number;
  dstPort?: number;
  /** How the sender adapts its rate; default `'rate'`. `true` = `'rate'`, `false` = `'off'`. */
  congestion?: CongestionMode | boolean;
}

export interface ReceiveDataArgs {
  groupId?: number;
  /** The group address, or this node's own user-space address for unicast. */
  destIp: string;
  sourceNodeId: number;
  /** Exactly this many bytes; a sender announcing another size ends the session with size_mismatch. */
  expectedBytes: number;
  chunkSize?: number;
  /** Upstream nextmini's name for `chunkSize`; give one of the two. */
  blockSize?: number;
  srcPort?: number;
  dstPort?: number;
}

/** Where one receiver of a sender's session stands, as the sender knows it. */
export type ReceiverStatus = 'active' | 'completed' | 'receiver_unreachable' | 'checksum_mismatch' | 'size_mismatch' | 'cancelled' | 'timeout';

export interface ReceiverProgress {
  nodeId: number;
  /** Bytes it holds by its last status report (a lower bound); bytesTotal once done. */
  bytesDone: number;
  done: boolean;
  /** `active` while it runs; otherwise how its side ended (its own report, or the sender giving up: `receiver_unreachable`). */
  status: ReceiverStatus;
}

export interface SessionProgress {
  bytesTotal: number;
  /**
   * Sender: bytes sent at least once (the first pass; resent chunks are not counted again).
   * Moves during the first pass, while `bytesConfirmed` waits for the first status round
   * after it. Never below `bytesConfirmed`. Receiver: 0.
   */
  bytesSent: number;
  /** Sender: bytes every listed receiver is known to hold (the least of `receivers[].bytesDone`). Receiver: bytes held. */
  bytesConfirmed: number;
  /** @deprecated the same as `bytesConfirmed`; kept for code written before `bytesSent` existed. */
  bytesDone: number;
  /** Sender: receivers that confirmed everything. Receiver: 1 once complete. */
  receiversDone: number;
  /** Source chunks sent again after the first pass. */
  retransmitted: number;
  /** RaptorQ repair symbols sent (sender) or received (receiver). */
  repairSymbols: number;
  /** Sender: every listed receiver, by node id. Receiver: empty. */
  receivers: ReceiverProgress[];
  /** Sender: the session's congestion mode. Receiver: absent. */
  congestion?: CongestionMode;
  /** Sender: its current pacing rate in bytes/s (`Infinity`: unpaced, `'off'` without a data_bucket). Receiver: absent. */
  pacingRate?: number;
  /** Sender: the geometry its manifest announced (from the call and `[lossless_runtime_config]`). Receiver: absent. */
  manifest?: { chunkSize: number; symbolsPerBlock: number; fec: boolean };
}

const CONGESTION: readonly CongestionMode[] = ['rate', 'loss', 'off'];

/** The mode asked for, as the core's code (0 rate, 1 loss, 2 off). */
function checkCongestion(v: unknown): number {
  if (v === undefined || v === true) return 0;
  if (v === false) return 2;
  const i = CONGESTION.indexOf(v as CongestionMode);
  if (i < 0) {
    const shown = typeof v === 'string' ? `'${v}'` : String(v);
    throw bad(`sendData: congestion must be 'rate', 'loss' or 'off' (or true = 'rate', false = 'off'), got ${shown}`);
  }
  return i;
}

const RECEIVER_STATUS: readonly ReceiverStatus[] = ['active', 'completed', 'receiver_unreachable', 'checksum_mismatch', 'size_mismatch', 'cancelled', 'timeout'];

/** A wire session id from the host's CSPRNG: unpredictable, non-zero. */
function randomSessionId(): number {
  const v = new Uint32Array(1);
  do globalThis.crypto.getRandomValues(v);
  while (v[0] === 0);
  return v[0]!;
}

export type SessionOutcome =
  | { status: 'completed' }
  | { status: 'timeout' }
  | { status: 'cancelled' }
  | { status: 'receiver_unreachable'; receiverIds: number[] }
  /** Sender: these receivers ended their side themselves (cancelled, or timed out) and said so. */
  | { status: 'receiver_aborted'; receiverIds: number[] }
  | { status: 'size_mismatch'; expectedBytes: number; announcedBytes: number }
  | { status: 'checksum_mismatch' };

export interface ProgressEvent {
  sessionId: number;
  progress: SessionProgress;
  /** True on the last event of a session (completed or failed). */
  done: boolean;
}

const SEND_KEYS = ['groupId', 'destIp', 'receiverIds', 'buffer', 'chunkSize', 'blockSize', 'srcPort', 'dstPort', 'congestion'] as const;
const RECV_KEYS = ['groupId', 'destIp', 'sourceNodeId', 'expectedBytes', 'chunkSize', 'blockSize', 'srcPort', 'dstPort'] as const;

function bad(message: string): NextminiError {
  return new NextminiError('INVALID_ARGUMENT', message);
}

function checkKeys(call: string, args: object, allowed: readonly string[]): void {
  try {
    checkOptions(call, args, allowed);
  } catch (err) {
    throw bad(`${(err as Error).message}; FEC and the pacing rate come from the node's [lossless_runtime_config], not from calls`);
  }
}

/** The chunk size asked for, as `chunkSize` or upstream's `blockSize` (0 = the node's default). */
function checkChunk(call: string, args: { chunkSize?: number; blockSize?: number }): number {
  if (args.chunkSize !== undefined && args.blockSize !== undefined) {
    throw bad(`${call}: give chunkSize or blockSize (upstream nextmini's name for it), not both`);
  }
  const name = args.blockSize !== undefined ? 'blockSize' : 'chunkSize';
  const v = args[name];
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 1 || v > 65_535) throw bad(`${call}: ${name} must be a whole number from 1 to 65535, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return v;
}

/** How many lossless sessions this node has running and has seen end (stats().sessions). */
export interface SessionCounts {
  /** Sending or receiving now. */
  active: number;
  completed: number;
  /** Ended otherwise: timeout, cancelled, unreachable receivers, size or checksum mismatch. */
  failed: number;
}

export class NodeSessions {
  readonly #conditions = new Conditions();
  /** Sessions opened here that have not ended yet. */
  readonly #active = new Set<number>();
  readonly #counts = { completed: 0, failed: 0 };
  readonly #kept = new Map<number, PacketView>();
  readonly #listeners = new Set<(e: ProgressEvent) => void>();

  constructor(
    private readonly engine: Engine,
    private readonly groups: NodeGroups,
    private readonly me: { nodeId: number; userSpaceBase: () => number; clientPort: number; serverPort: number },
  ) {}

  /** @internal from the engine */
  onCoreEvent(what: 1 | 2 | 3, id: number): void {
    if (what !== 1) {
      this.#ended(id, what === 2);
      this.#conditions.recheck();
    }
    if (this.#listeners.size === 0) return;
    let progress: SessionProgress;
    try {
      progress = this.progress(id);
    } catch {
      return;
    }
    for (const l of this.#listeners) l({ sessionId: id, progress, done: what !== 1 });
  }

  /** Resolves `destIp` to a group or a node. */
  #dest(destIp: string, groupId: number | undefined): { group: boolean; id: number } {
    if (typeof destIp !== 'string') throw bad('destIp must be a dotted address');
    const addr = ipv4ToInt(destIp);
    const gid = this.groups.idOfIp(destIp);
    if (gid !== undefined) {
      if (groupId !== undefined && groupId !== gid) throw bad(`destIp ${destIp} is group ${gid}, not group ${groupId}`);
      return { group: true, id: gid };
    }
    if (groupId !== undefined && this.groups.info(groupId)) {
      throw bad(`destIp ${destIp} is not the address of group ${groupId} (${this.groups.ipOf(groupId)})`);
    }
    const node = (addr - this.me.userSpaceBase()) >>> 0;
    if (node >= 1 && node < 0x1000_0000) return { group: false, id: node };
    throw new NextminiError('UNKNOWN_GROUP', `destIp ${destIp} is neither a known group nor a node's user-space address`);
  }

  send(args: SendDataArgs): number {
    checkKeys('sendData', args, SEND_KEYS);
    if (!Array.isArray(args.receiverIds) || args.receiverIds.length === 0) throw bad('sendData needs at least one receiver in receiverIds');
    if (!args.receiverIds.every((r) => Number.isInteger(r) && r >= 1)) throw bad('receiverIds must be node ids >= 1');
    if (!(args.buffer instanceof PacketView)) throw bad('buffer must be a PacketView (e.g. new PacketView(bytes) or builder.freeze())');
    if (args.buffer.length === 0) throw bad('sendData needs a non-empty buffer');
    const chunk = checkChunk('sendData', args);
    const congestion = checkCongestion(args.congestion);
    const d = this.#dest(args.destIp, args.groupId);
    if (!d.group && (args.receiverIds.length !== 1 || args.receiverIds[0] !== d.id)) {
      throw bad(`a lossless unicast to node ${d.id} (${args.destIp}) must list exactly that node in receiverIds`);
    }
    const sp = checkPort('srcPort', args.srcPort ?? this.me.clientPort);
    const dp = checkPort('dstPort', args.dstPort ?? this.me.serverPort);
    const receivers = Uint32Array.from(args.receiverIds);
    const bytes = args.buffer.read();
    // The wire session id comes from the CSPRNG; on the (2^-32) chance it is in use here, draw again.
    for (let attempt = 0; ; attempt++) {
      try {
        const sid = randomSessionId();
        return this.#opened(this.engine.run((core, now) => core.openSender(now, sid, d.group, d.id, receivers, bytes, chunk, sp, dp, congestion)));
      } catch (err) {
        if (attempt >= 3 || !(err instanceof Error) || !/already used by a sender/.test(err.message)) throw err;
      }
    }
  }

  receive(args: ReceiveDataArgs): number {
    checkKeys('receiveData', args, RECV_KEYS);
    if (!Number.isInteger(args.sourceNodeId) || args.sourceNodeId < 1) throw bad(`sourceNodeId must be a node id >= 1, got ${args.sourceNodeId}`);
    if (!Number.isSafeInteger(args.expectedBytes) || args.expectedBytes < 1) throw bad(`expectedBytes must be a whole number >= 1, got ${args.expectedBytes}`);
    const chunk = checkChunk('receiveData', args);
    const d = this.#dest(args.destIp, args.groupId);
    if (!d.group && d.id !== this.me.nodeId) throw bad(`a unicast receive must name this node's own address, not node ${d.id}'s`);
    const sp = checkPort('srcPort', args.srcPort ?? this.me.clientPort);
    const dp = checkPort('dstPort', args.dstPort ?? this.me.serverPort);
    return this.#opened(this.engine.run((core, now) => core.openReceiver(now, args.sourceNodeId, d.group, d.id, args.expectedBytes, chunk, sp, dp)));
  }

  #opened(id: number): number {
    this.#active.add(id);
    return id;
  }

  /** Counts a session's end once, whether the core reported it or a cancel ended it. */
  #ended(id: number, completed: boolean): void {
    if (!this.#active.delete(id)) return;
    if (completed) this.#counts.completed++;
    else this.#counts.failed++;
  }

  counts(): SessionCounts {
    return { active: this.#active.size, ...this.#counts };
  }

  progress(id: number): SessionProgress {
    const [v, pacing] = this.engine.run((core) => [core.sessionProgress(id), core.senderSetup(id)] as const);
    const receivers: ReceiverProgress[] = [];
    // Seven session figures, then three per receiver (core-rs/src/wasm/node.rs).
    for (let i = 7; i + 2 < v.length; i += 3) {
      const status = RECEIVER_STATUS[v[i + 2]!] ?? 'active';
      receivers.push({ nodeId: v[i]!, bytesDone: v[i + 1]!, done: status === 'completed', status });
    }
    const p: SessionProgress = { bytesTotal: v[0]!, bytesSent: v[6]!, bytesConfirmed: v[1]!, bytesDone: v[1]!, receiversDone: v[2]!, retransmitted: v[3]!, repairSymbols: v[4]!, receivers };
    // A sender's [mode, rate, chunk, k, fec] (core-rs/src/wasm/node.rs senderSetup); rate -1 = unpaced.
    if (pacing.length === 5) {
      p.congestion = CONGESTION[pacing[0]!] ?? 'rate';
      p.pacingRate = pacing[1]! < 0 ? Infinity : pacing[1]!;
      p.manifest = { chunkSize: pacing[2]!, symbolsPerBlock: pacing[3]!, fec: pacing[4] === 1 };
    }
    return p;
  }

  outcome(id: number): SessionOutcome | null {
    const s = this.engine.run((core) => core.sessionOutcome(id));
    if (s === '') return null;
    const [status, a, b] = s.split(':');
    switch (status) {
      case 'receiver_unreachable':
      case 'receiver_aborted':
        return { status, receiverIds: (a ?? '').split(',').filter(Boolean).map(Number) };
      case 'size_mismatch':
        return { status, expectedBytes: Number(a), announcedBytes: Number(b) };
      case 'completed':
      case 'timeout':
      case 'cancelled':
      case 'checksum_mismatch':
        return { status };
      default:
        throw new NextminiError('INTERNAL', `unknown session outcome ${s}`);
    }
  }

  async wait(id: number, options: WaitOptions): Promise<boolean> {
    this.outcome(id); // UNKNOWN_SESSION for an id this node never issued
    const ended = await this.#conditions.wait(() => this.outcome(id) !== null, options);
    return ended && this.outcome(id)?.status === 'completed';
  }

  cancel(id: number): void {
    this.engine.run((core, now) => core.cancelSession(now, id));
    if (this.outcome(id) !== null) this.#ended(id, false);
    this.#conditions.recheck();
  }

  data(id: number, consume: boolean): PacketView {
    const kept = this.#kept.get(id);
    if (kept) {
      if (consume) this.#kept.delete(id);
      return kept;
    }
    const o = this.outcome(id);
    if (o === null || o.status !== 'completed') {
      throw new NextminiError('NOT_COMPLETE', `session ${id} has not completed${o ? ` (it ended: ${o.status})` : ''}; wait with losslessWait first`);
    }
    const view = shareView(this.engine.run((core) => core.takeSessionData(id)));
    if (!consume) this.#kept.set(id, view);
    return view;
  }

  onProgress(listener: (e: ProgressEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#conditions.cancelAll();
    this.#listeners.clear();
  }
}
