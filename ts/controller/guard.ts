// What an unauthenticated client can make the controller hold: a bounded number of pending
// connections per source address, and a bounded number of bytes before its hello (or admin
// proof) is accepted. Both act on the raw socket, before ws buffers a frame whole.
import type { Duplex } from 'node:stream';

/** An address with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) written as plain IPv4. */
export function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** The connection's source address, IPv4-mapped IPv6 written as plain IPv4. */
export function remoteAddress(socket: { remoteAddress?: string | undefined }): string {
  return plainAddress(socket.remoteAddress ?? '');
}

/**
 * After a close frame: a peer that never answers the close handshake loses its socket anyway,
 * a second later, instead of holding it for ws's 30 s close timeout.
 */
export function terminateSoon(ws: { terminate(): void }): void {
  setTimeout(() => ws.terminate(), 1000).unref?.();
}

export class PendingLimiter {
  readonly #count = new Map<string, number>();
  /** Connections refused because their address had too many pending. */
  refused = 0;

  #total = 0;

  constructor(
    readonly maxPerAddress: number,
    readonly maxTotal: number,
  ) {}

  /** Takes a slot for `addr`; returns a release function (idempotent), or undefined when full. */
  take(addr: string): (() => void) | undefined {
    const n = this.#count.get(addr) ?? 0;
    if (n >= this.maxPerAddress || this.#total >= this.maxTotal) {
      this.refused++;
      return undefined;
    }
    this.#count.set(addr, n + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#count.get(addr) ?? 1) - 1;
      if (left <= 0) this.#count.delete(addr);
      else this.#count.set(addr, left);
    };
  }

  get pending(): number {
    return this.#total;
  }
}

/**
 * Counts the bytes arriving on `socket` (frames included, as the peer sent them) and destroys
 * it past `limit`. Returns a function that stops counting (call it once the peer has
 * authenticated). Being a second 'data' listener beside ws's own, it sees every chunk as it
 * arrives, so an oversize frame is cut off after `limit` bytes, not after it was buffered whole.
 */
export function capBytes(socket: Duplex, limit: number, onExceeded: () => void): () => void {
  let seen = 0;
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) {
      socket.off('data', onData);
      onExceeded();
      socket.destroy();
    }
  };
  socket.on('data', onData);
  return () => socket.off('data', onData);
}
