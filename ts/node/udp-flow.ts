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
// waited PROBE_MS with no credit sends a small probe allowance more, and counts it.
//
// Credit datagrams: 16 bytes, {u8 0xC5}{"CR"}{u8 1}{u32 0}{f64 limit}. The dataplane's own
// datagrams start with their version byte 1, so the two never mix.

export const CREDIT_MAGIC = 0xc5;
export const CREDIT_LEN = 16;
/** What a sender may send a peer before it has heard from it (fits a default 208 KiB buffer). */
export const INITIAL_WINDOW = 128 * 1024;
/** A receiver credits at least this often (in bytes read) while data keeps coming. */
export const CREDIT_EVERY = 64 * 1024;
/** A sender waiting this long at its limit with no credit sends PROBE_BYTES more. */
export const PROBE_MS = 25;
export const PROBE_BYTES = 64 * 1024;
/** The smallest window a receiver advertises to one peer. */
const MIN_WINDOW = 64 * 1024;

export function encodeCredit(limit: number): Uint8Array {
  const b = new Uint8Array(CREDIT_LEN);
  const v = new DataView(b.buffer);
  b[0] = CREDIT_MAGIC;
  b[1] = 0x43; // 'C'
  b[2] = 0x52; // 'R'
  b[3] = 1;
  v.setFloat64(8, limit);
  return b;
}

/** The limit a credit datagram carries, or undefined if this is not one. */
export function decodeCredit(d: Uint8Array): number | undefined {
  if (d.length !== CREDIT_LEN || d[0] !== CREDIT_MAGIC || d[1] !== 0x43 || d[2] !== 0x52 || d[3] !== 1) return undefined;
  const limit = new DataView(d.buffer, d.byteOffset, d.byteLength).getFloat64(8);
  return Number.isFinite(limit) && limit >= 0 ? limit : undefined;
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

  /** A credit: the limit only grows (a stale or reordered credit changes nothing). */
  credit(limit: number): void {
    if (limit > this.limit) this.limit = limit;
  }
}
