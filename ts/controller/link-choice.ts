// Which transport two nodes use between them. Nodes announce every transport they speak in
// hello; the controller picks one per pair and hands each side the other's address on it, so
// both sides always agree (a datagram is only accepted on the transport its sender is known
// by). The order: memory (same JavaScript realm), then TCP (opt-in, so wanted where both
// speak it), then UDP, then the relay. Two nodes with none in common still reach each other
// when one speaks UDP and the other only the relay: the controller's UDP bridge gives the
// relay node a UDP address, and the relay carries the other direction (see udp-bridge.ts).
import type { Endpoint, PeerAddress, Protocol } from '../control/messages.js';

/** The realm part of a memory endpoint's "<realm id>/<transport id>". */
export const realmOf = (memoryHost: string): string => memoryHost.slice(0, memoryHost.indexOf('/'));

const find = (eps: readonly Endpoint[], p: Protocol): Endpoint | undefined => eps.find((e) => e.protocol === p);

/** A relay node's UDP face on the controller's bridge (undefined: it has none). */
export type BridgeAddress = (relayNode: number) => { host: string; port: number } | undefined;

/**
 * How node `self` (speaking `mine`) reaches node `peer` (speaking `theirs`), or undefined when
 * they have nothing in common and no bridge joins them.
 */
export function chooseLink(self: number, mine: readonly Endpoint[], peer: number, theirs: readonly Endpoint[], bridge: BridgeAddress): PeerAddress | undefined {
  const mm = find(mine, 'memory');
  const tm = find(theirs, 'memory');
  if (mm && tm && realmOf(mm.host) === realmOf(tm.host)) return { nodeId: peer, ...tm };
  for (const p of ['tcp', 'udp', 'relay'] as const) {
    const t = find(theirs, p);
    if (t && find(mine, p)) return { nodeId: peer, ...t };
  }
  // Bridged: UDP towards a relay-only peer (its bridge port), the relay towards a UDP peer.
  if (find(mine, 'udp') && find(theirs, 'relay')) {
    const b = bridge(peer);
    if (b) return { nodeId: peer, protocol: 'udp', host: b.host, port: b.port };
  }
  if (find(mine, 'relay') && find(theirs, 'udp') && bridge(self)) return { nodeId: peer, protocol: 'relay', host: '', port: 0 };
  return undefined;
}

/** "udp 127.0.0.1:4000, relay" — a node's transports for messages. */
export function describeEndpoints(eps: readonly Endpoint[]): string {
  return eps.map((e) => (e.protocol === 'udp' || e.protocol === 'tcp' ? `${e.protocol} ${e.host}:${e.port}` : e.protocol)).join(', ') || 'nothing';
}
