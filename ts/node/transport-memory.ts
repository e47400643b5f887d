// The memory transport (`protocol = "memory"`): nodes in one JavaScript realm hand datagrams
// to each other through a realm-wide registry keyed by controller and node id, with no
// sockets and no copies (the core hands out memory it never reuses, and the receiving engine
// copies it into its own batch anyway). A transport registers itself under its node id when
// it opens, and only it can send as that id: the receiver learns the sender from the
// registered object, never from the datagram. Delivery is asynchronous and batched, once per
// event-loop turn per receiver (like a UDP socket's), so a busy network never starves timers.
// Link emulation and MACs live in the core and apply unchanged. Nothing here imports a
// node-only module.
import { NextminiError } from '../errors.js';
import { nextTurn } from '../next-turn.js';
import type { TransportContext } from './host.js';
import { SEND_HARD_LIMIT, SEND_HIGH_WATER, type DatagramHandler, type PeerAddr, type Transport, type TransportStats } from './transport.js';

/** Nodes by node id, per controller URL (two networks in one realm do not mix). */
const realm = new Map<string, Map<number, MemoryTransport>>();


export class MemoryTransport implements Transport {
  readonly protocol = 'memory' as const;
  readonly local: PeerAddr = { host: 'memory', port: 0 };
  readonly stats: TransportStats = { sendErrors: 0, framingErrors: 0, backlogDrops: 0, refusedConnections: 0 };
  readonly nodeId: number;
  readonly #nodes: Map<number, MemoryTransport>;
  readonly #key: string;
  readonly #onDatagram: DatagramHandler;
  /** Datagrams waiting for this receiver's next turn, and who sent each. */
  #inbox: Uint8Array[] = [];
  #inboxFrom: MemoryTransport[] = [];
  #scheduled = false;
  /** Bytes this node sent that receivers have not taken yet (backpressure). */
  #queued = 0;
  #writable: (() => void)[] = [];
  #closed = false;

  private constructor(key: string, nodes: Map<number, MemoryTransport>, nodeId: number, onDatagram: DatagramHandler) {
    this.#key = key;
    this.#nodes = nodes;
    this.nodeId = nodeId;
    this.#onDatagram = onDatagram;
  }

  /** Claims `nodeId` under the node's controller in this realm; fails if another transport holds it. */
  static async open(ctx: TransportContext): Promise<MemoryTransport> {
    let nodes = realm.get(ctx.controllerUrl);
    if (!nodes) realm.set(ctx.controllerUrl, (nodes = new Map()));
    if (nodes.has(ctx.nodeId)) {
      throw new NextminiError('CONFIG_INVALID', `node ${ctx.nodeId} of ${ctx.controllerUrl} is already open in this realm on the memory transport`);
    }
    const t = new MemoryTransport(ctx.controllerUrl, nodes, ctx.nodeId, ctx.onDatagram);
    nodes.set(ctx.nodeId, t);
    return t;
  }

  send(_peer: PeerAddr, datagram: Uint8Array, hop: number): void {
    const to = this.#nodes.get(hop);
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
      if (!this.#closed) this.#onDatagram(d, sender.nodeId);
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

  /** Gives up the node id; datagrams already handed over are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#nodes.get(this.nodeId) === this) this.#nodes.delete(this.nodeId);
    if (this.#nodes.size === 0 && realm.get(this.#key) === this.#nodes) realm.delete(this.#key);
    const w = this.#writable;
    this.#writable = [];
    for (const f of w) f();
  }
}
