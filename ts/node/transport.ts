// Host adapters that carry datagrams between nodes. The core never sees sockets: it hands
// out (next hop, bytes) and takes bytes in.
export interface PeerAddr {
  host: string;
  port: number;
}

export interface TransportStats {
  sendErrors: number;
  framingErrors: number;
  /** Datagrams dropped because a peer's send backlog exceeded the hard limit. */
  backlogDrops: number;
}

/** Above this many bytes waiting in sockets, local sends wait (backpressure). */
export const SEND_HIGH_WATER = 8 * 1024 * 1024;
/** Above this, datagrams (e.g. forwarded ones, which cannot wait) are dropped and counted. */
export const SEND_HARD_LIMIT = 64 * 1024 * 1024;

export interface Transport {
  readonly protocol: 'udp' | 'tcp' | 'relay';
  /** The data address announced in hello (a placeholder for the relay). */
  readonly local: PeerAddr;
  readonly stats: TransportStats;
  /** Relay only: the secret announced in hello and proven on the relay connection. */
  readonly relayToken?: string;
  /**
   * Fire and forget; failures are counted, never thrown (UDP semantics for all). `hop` is the
   * next hop's node id (the relay addresses by id; the socket transports use `peer`).
   */
  send(peer: PeerAddr, datagram: Uint8Array, hop: number): void;
  /** Resolves when the send backlog is below SEND_HIGH_WATER; null when it already is. */
  whenWritable(): Promise<void> | null;
  /** Establishes links to these peers (TCP dials; the relay binds its connection; UDP has nothing to do). */
  connect(peers: PeerAddr[]): Promise<void>;
  close(): Promise<void>;
}

export type DatagramHandler = (datagram: Uint8Array) => void;

export const peerKey = (p: PeerAddr): string => `${p.host}:${p.port}`;
