// The memory transport (`protocol = "memory"`): nodes in one JavaScript realm hand datagrams
// to each other through a realm-wide registry, with no sockets and no copies (the core hands
// out memory it never reuses, and the receiving engine copies it into its own batch anyway).
// Each transport registers under a fresh random id, announced in hello as
// "<realm id>/<transport id>": the controller pairs two nodes over memory only when their
// realm ids match, and hands each the other's transport id. The receiver learns the sender
// from the registered object, never from the datagram, and credits it to the peer announced
// with that transport id (unknown senders are 0, which the core drops as not_a_peer). Delivery is asynchronous and batched, once per
// event-loop turn per receiver (like a UDP socket's), so a busy network never starves timers.
// Link emulation and MACs live in the core and apply unchanged. Nothing here imports a
// node-only module.
import { nextTurn } from '../next-turn.js';
import type { TransportContext } from './host.js';
import { SEND_HARD_LIMIT, SEND_HIGH_WATER, type DatagramHandler, type PeerAddr, type Transport, type TransportStats } from './transport.js';

const hex = (n: number): string => {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
};
/** This realm's id: random, so no other realm (process, worker, tab) claims to be this one. */
export const REALM_ID = hex(8);
/** Open transports by their ids. */
const registry = new Map<string, MemoryTransport>();


export class MemoryTransport implements Transport {
  readonly protocol = 'memory' as const;
  readonly local: PeerAddr;
  readonly stats: TransportStats = { sendErrors: 0, framingErrors: 0, backlogDrops: 0, refusedConnections: 0 };
  readonly #id: string;
  readonly #onDatagram: DatagramHandler;
  /** Peers by their transport ids (setPeers). */
  #peers = new Map<string, number>();
  /** Datagrams waiting for this receiver's next turn, and who sent each. */
  #inbox: Uint8Array[] = [];
  #inboxFrom: MemoryTransport[] = [];
  #scheduled = false;
  /** Bytes this node sent that receivers have not taken yet (backpressure). */
  #queued = 0;
  #writable: (() => void)[] = [];
  #closed = false;

  private constructor(onDatagram: DatagramHandler) {
    let id: string;
    do id = hex(8);
    while (registry.has(id));
    this.#id = id;
    this.local = { host: `${REALM_ID}/${id}`, port: 0 };
    this.#onDatagram = onDatagram;
    registry.set(id, this);
  }

  static async open(ctx: TransportContext): Promise<MemoryTransport> {
    return new MemoryTransport(ctx.onDatagram);
  }

  setPeers(peers: Map<number, PeerAddr>): void {
    const byId = new Map<string, number>();
    for (const [node, p] of peers) byId.set(p.host.slice(p.host.indexOf('/') + 1), node);
    this.#peers = byId;
  }

  send(peer: PeerAddr, datagram: Uint8Array): void {
    const to = peer.host.startsWith(REALM_ID) ? registry.get(peer.host.slice(REALM_ID.length + 1)) : undefined;
    if (this.#closed || !to) {
      this.stats.sendErrors++;
      return;
    }
    if (this.#queued > SEND_HARD_LIMIT) {
      this.stats.backlogDrops++;
      return;
    }
    this.#queued += datagram.length;
    to.#take(datagram, this);
  }

  #take(datagram: Uint8Array, from: MemoryTransport): void {
    this.#inbox.push(datagram);
    this.#inboxFrom.push(from);
    if (!this.#scheduled) {
      this.#scheduled = true;
      nextTurn(this.#deliver);
    }
  }

  #deliver = (): void => {
    this.#scheduled = false;
    const inbox = this.#inbox;
    const from = this.#inboxFrom;
    this.#inbox = [];
    this.#inboxFrom = [];
    for (let i = 0; i < inbox.length; i++) {
      const d = inbox[i]!;
      const sender = from[i]!;
      sender.#sent(d.length);
      if (!this.#closed) this.#onDatagram(d, this.#peers.get(sender.#id) ?? 0);
    }
  };

  #sent(bytes: number): void {
    this.#queued -= bytes;
    if (this.#writable.length && this.#queued <= SEND_HIGH_WATER / 2) {
      const w = this.#writable;
      this.#writable = [];
      for (const f of w) f();
    }
  }

  whenWritable(): Promise<void> | null {
    if (this.#queued <= SEND_HIGH_WATER) return null;
    return new Promise((resolve) => this.#writable.push(resolve));
  }

  async connect(): Promise<void> {}

  /** Leaves the registry; datagrams already handed over are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    registry.delete(this.#id);
    const w = this.#writable;
    this.#writable = [];
    for (const f of w) f();
  }
}
