// Link keys for datagram MACs: one random 32-byte key per pair of nodes that exchange datagrams
// directly. A node's keys are all replaced whenever it says hello (it rejoined, or the
// controller restarted), so a key never outlives the connection that received it. Keys live
// in memory only: they are not worth keeping across a controller restart, where every node
// rejoins and rotates them anyway.
import { LINK_KEY_BYTES, randomBytes } from '../control/auth.js';

const pairKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`);

export class LinkKeys {
  readonly #keys = new Map<string, Uint8Array>();

  /** New keys for every pair (node, peer); returns them by peer. */
  rotate(node: number, peers: Iterable<number>): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const p of peers) {
      if (p === node) continue;
      const k = randomBytes(LINK_KEY_BYTES);
      this.#keys.set(pairKey(node, p), k);
      out.set(p, k);
    }
    return out;
  }

  get(a: number, b: number): Uint8Array | undefined {
    return this.#keys.get(pairKey(a, b));
  }
}
