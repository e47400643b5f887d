// Link keys for datagram MACs: one random 32-byte key per pair of nodes that exchange datagrams
// directly. A node's keys are all replaced whenever it says hello (it rejoined, or the
// controller restarted), so a key never outlives the connection that received it. The
// controller keeps none: it hands each key to both ends at once and forgets it (a restart
// makes every node rejoin and rotate its keys anyway).
import { LINK_KEY_BYTES, randomBytes } from '../control/auth.js';
import { hmacSha256Sync } from '../control/hmac-sync.js';

/** New keys for every pair (node, peer), by peer. */
export function freshLinkKeys(node: number, peers: Iterable<number>): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const p of peers) if (p !== node) out.set(p, randomBytes(LINK_KEY_BYTES));
  return out;
}

/** One link key wrapped for a connection: the synchronous twin of control/auth.ts wrapKey. */
export function wrapKeySync(kek: Uint8Array, seq: number, neighbor: number, key: Uint8Array): Uint8Array {
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, seq >>> 0);
  view.setUint32(4, neighbor >>> 0);
  const pad = hmacSha256Sync(kek, msg);
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key[i]! ^ pad[i]!;
  return out;
}
