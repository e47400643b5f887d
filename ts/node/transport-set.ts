// The transports one node speaks, used together: each peer is reached on the one transport
// the controller chose for the pair (control/messages.ts PeerAddress), and each transport
// learns only its own peers, so a datagram is credited to a peer only when it arrives on the
// transport that peer was assigned. The engine sees one object with one send per datagram.
import type { PeerAddress, Protocol } from '../control/messages.js';
import type { FlowStats, PeerAddr, Transport, TransportStats } from './transport.js';

interface Link {
  transport: Transport;
  addr: PeerAddr;
}

export class TransportSet {
  readonly list: readonly Transport[];
  readonly #byProtocol: Map<Protocol, Transport>;
  #links = new Map<number, Link>();

  constructor(list: Transport[]) {
    this.list = list;
    this.#byProtocol = new Map(list.map((t) => [t.protocol, t]));
  }

  get(protocol: Protocol): Transport | undefined {
    return this.#byProtocol.get(protocol);
  }

  /** The transport a peer is reached on, if it has one. */
  protocolOf(peer: number): Protocol | undefined {
    return this.#links.get(peer)?.transport.protocol;
  }

  /**
   * Installs every peer's link. A peer on a transport this node does not speak (a controller
   * that got it wrong) gets no link: sends to it count as unknown_peer.
   */
  setPeers(peers: Map<number, PeerAddress>): void {
    const links = new Map<number, Link>();
    const perTransport = new Map<Transport, Map<number, PeerAddr>>(this.list.map((t) => [t, new Map()]));
    for (const [id, p] of peers) {
      const t = this.#byProtocol.get(p.protocol);
      if (!t) continue;
      const addr = { host: p.host, port: p.port };
      links.set(id, { transport: t, addr });
      perTransport.get(t)!.set(id, addr);
    }
    this.#links = links;
    for (const [t, mine] of perTransport) t.setPeers?.(mine);
  }

  /** Sends on the peer's transport; false if the peer has no link (unknown). */
  send(hop: number, datagram: Uint8Array): boolean {
    const link = this.#links.get(hop);
    if (!link) return false;
    link.transport.send(link.addr, datagram, hop);
    return true;
  }

  /** Resolves when some transport's backlog fell below its high water mark; null when none is above it. */
  whenWritable(): Promise<void> | null {
    for (const t of this.list) {
      const w = t.whenWritable();
      if (w) return w;
    }
    return null;
  }

  /**
   * Brings up the links to these peers, each on its transport (TCP dials; the relay binds its
   * connection). `always`: transports to bring up even with no peer on them yet.
   */
  async connect(peers: PeerAddress[], always: Protocol[] = []): Promise<void> {
    const byTransport = new Map<Transport, PeerAddr[]>();
    for (const p of always) {
      const t = this.#byProtocol.get(p);
      if (t && !byTransport.has(t)) byTransport.set(t, []);
    }
    for (const p of peers) {
      const t = this.#byProtocol.get(p.protocol);
      if (!t) continue;
      let list = byTransport.get(t);
      if (!list) byTransport.set(t, (list = []));
      list.push({ host: p.host, port: p.port });
    }
    await Promise.all([...byTransport].map(([t, addrs]) => t.connect(addrs)));
  }

  setAuth(on: boolean): void {
    for (const t of this.list) t.setAuth?.(on);
  }

  setLinkKeys(keys: { neighbor: number; key: Uint8Array }[]): void {
    for (const t of this.list) t.setLinkKeys?.(keys);
  }

  /** Every transport's counters added up. */
  stats(): TransportStats {
    const sum: TransportStats = { sendErrors: 0, framingErrors: 0, backlogDrops: 0, refusedConnections: 0 };
    for (const t of this.list) {
      sum.sendErrors += t.stats.sendErrors;
      sum.framingErrors += t.stats.framingErrors;
      sum.backlogDrops += t.stats.backlogDrops;
      sum.refusedConnections += t.stats.refusedConnections;
    }
    return sum;
  }

  /** UDP flow control's counters (zeros without UDP). */
  flowStats(): FlowStats {
    return this.get('udp')?.flowStats?.() ?? { waitingBytes: 0, probes: 0, creditsSent: 0, creditsTaken: 0, recvBufferBytes: 0 };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list.map((t) => t.close()));
  }
}
