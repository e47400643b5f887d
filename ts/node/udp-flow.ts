// Flow control on UDP links: a sender never puts more bytes on its way to a peer than the
// peer's socket can hold. Without it, one large sendToNode (6 MiB and up on loopback) fills
// the receiver's kernel buffer faster than its event loop drains it, and the rest of the
// message is dropped by the kernel, where nobody counts it.
//
// The receiver counts the bytes it has read from each peer and tells the peer how far it may
// send: a credit datagram with `limit` = bytes read + its window (a share of its granted
// receive buffer). It credits whenever it has read min(CREDIT_EVERY, window / 2) bytes since
// its last credit. That is enough: a sender stopped at its limit has sent at least
// window - (that much) more than was credited, so at least half a window is still on its way,
// and reading it brings the next credit. Small exchanges (a ping-pong) send no credits at all.
// The sender keeps, per peer, the bytes sent and the limit last heard; datagrams past the
// limit wait in a per-peer queue (bounded by the transport's hard limit, beyond which they
// are dropped and counted). Credits are datagrams too and may be lost: a sender that has
// waited PROBE_MS with no credit asks for one (a credit request, counted as a probe), and the
// peer answers with its current credit as soon as it reads the request. A probe sends no data:
// probes of data (64 KiB, once) overran receivers that were merely busy for 25 ms: four senders
// of 8 MiB into one receiver probed ~12 times each, and the probes overflowed its buffer and
// lost whole messages (test/e2e/hostile-flow-procs.test.ts, fan-in).
//
// Credit datagrams: 16 bytes, {u8 0xC5}{"CR"}{u8 1}{u32 epoch}{f64 limit}; a credit request is
// {u8 0xC5}{"CR"}{u8 2} and 12 zero bytes. The dataplane's own
// datagrams start with their version byte 1, so the two never mix. `epoch` is a random number
// the receiving socket picked when it opened (0: none): a peer that restarts on the same
// address counts its reads from zero again, and a sender that kept its old count would find
// every new limit below what it has sent, ignore them all and crawl at the probe allowance
// forever. A credit from a new epoch restarts the sender's count instead.

export const CREDIT_MAGIC = 0xc5;
export const CREDIT_LEN = 16;
/** What a sender may send a peer before it has heard from it (fits a default 208 KiB buffer). */
export const INITIAL_WINDOW = 128 * 1024;
/** A receiver credits at least this often (in bytes read) while data keeps coming. */
export const CREDIT_EVERY = 64 * 1024;
/** A sender waiting this long at its limit with no credit sends one more datagram. */
export const PROBE_MS = 25;
/** The smallest window a receiver advertises to one peer. */
const MIN_WINDOW = 64 * 1024;

export function encodeCredit(limit: number, epoch = 0): Uint8Array {
  const b = new Uint8Array(CREDIT_LEN);
  const v = new DataView(b.buffer);
  b[0] = CREDIT_MAGIC;
  b[1] = 0x43; // 'C'
  b[2] = 0x52; // 'R'
  b[3] = 1;
  v.setUint32(4, epoch >>> 0);
  v.setFloat64(8, limit);
  return b;
}

/** The limit a credit datagram carries, or undefined if this is not one. */
export function decodeCredit(d: Uint8Array): number | undefined {
  if (d.length !== CREDIT_LEN || d[0] !== CREDIT_MAGIC || d[1] !== 0x43 || d[2] !== 0x52 || d[3] !== 1) return undefined;
  const limit = new DataView(d.buffer, d.byteOffset, d.byteLength).getFloat64(8);
  return Number.isFinite(limit) && limit >= 0 ? limit : undefined;
}

/** A sender's request for a credit (a probe). */
export function encodeCreditRequest(): Uint8Array {
  return Uint8Array.from([CREDIT_MAGIC, 0x43, 0x52, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
}

export function isCreditRequest(d: Uint8Array): boolean {
  return d.length === CREDIT_LEN && d[0] === CREDIT_MAGIC && d[1] === 0x43 && d[2] === 0x52 && d[3] === 2;
}

/** The epoch of a datagram decodeCredit accepted (0: the sender named none). */
export function creditEpoch(d: Uint8Array): number {
  return new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(4);
}

/** A random non-zero epoch for a receiving socket. */
export function newEpoch(): number {
  return (Math.floor(Math.random() * 0xffff_fffe) + 1) >>> 0;
}

/**
 * The receive buffer the kernel granted a socket (Linux doubles what was asked, within
 * rmem_max), or Linux's default doubled where the runtime cannot tell.
 */
export function grantedRecvBuffer(socket: { getRecvBufferSize(): number }): number {
  try {
    return socket.getRecvBufferSize();
  } catch {
    return 2 * 212_992;
  }
}

/**
 * The window one peer gets: a share of the receive buffer the kernel granted, split among the
 * peers that may send at once. A datagram takes about 1.65× its size of buffer on Linux (the
 * skb's truesize), so the window holds 45% of the buffer's bytes in payload, leaving room for
 * the control channel's neighbours and for datagrams that were not credited.
 */
export function windowFor(grantedRecvBuffer: number, peers: number): number {
  return Math.max(MIN_WINDOW, Math.floor((grantedRecvBuffer * 0.45) / Math.max(1, peers)));
}

/** The receiving side: bytes read per peer, and when to credit them. */
export class CreditLedger {
  readonly #read = new Map<number, { bytes: number; credited: number }>();
  window: number;

  constructor(window: number) {
    this.window = window;
  }

  /** Counts a datagram read from `peer`; returns a limit to credit now, or undefined. */
  onRead(peer: number, bytes: number): number | undefined {
    let r = this.#read.get(peer);
    if (!r) this.#read.set(peer, (r = { bytes: 0, credited: 0 }));
    r.bytes += bytes;
    if (r.bytes - r.credited < Math.min(CREDIT_EVERY, this.window / 2)) return undefined;
    r.credited = r.bytes;
    return r.bytes + this.window;
  }

  /** The limit to credit `peer` now, whatever was read since the last credit (a credit request). */
  now(peer: number): number {
    let r = this.#read.get(peer);
    if (!r) this.#read.set(peer, (r = { bytes: 0, credited: 0 }));
    r.credited = r.bytes;
    return r.bytes + this.window;
  }

  /**
   * Starts `peer`'s count afresh: it sends from a new socket now (a new address), whose own
   * count starts at zero. Crediting it from the old socket's count would let it send that many
   * bytes past what this socket can hold.
   */
  forget(peer: number): void {
    this.#read.delete(peer);
  }

  /** Forgets peers that are gone. */
  keep(peers: Iterable<number>): void {
    const keep = new Set(peers);
    for (const p of this.#read.keys()) if (!keep.has(p)) this.#read.delete(p);
  }
}

/** The sending side towards one peer. */
export class PeerFlow {
  sent = 0;
  limit = INITIAL_WINDOW;
  readonly queue: Uint8Array[] = [];
  queuedBytes = 0;
  /** When the head of the queue started waiting for a credit (ms), or -1. */
  stalledSince = -1;

  /** Whether `bytes` more may go now (and nothing is queued ahead of them). */
  mayPass(bytes: number): boolean {
    return this.queue.length === 0 && this.sent + bytes <= this.limit;
  }

  /** The receiving socket's epoch last heard (0: none yet). */
  epoch = 0;

  /**
   * A credit: the limit only grows (a stale or reordered credit changes nothing), unless it
   * comes from a new epoch: the peer's socket was replaced at the same address and counts from
   * zero, so this side's count restarts too (see the note on credit datagrams).
   */
  credit(limit: number, epoch = 0): void {
    if (epoch !== 0 && this.epoch !== 0 && epoch !== this.epoch) {
      this.sent = 0;
      this.limit = limit;
    } else if (limit > this.limit) this.limit = limit;
    if (epoch !== 0) this.epoch = epoch;
  }
}
