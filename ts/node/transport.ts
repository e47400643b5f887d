// Host adapters that carry datagrams between nodes. The core never sees sockets: it hands
// out (next hop, bytes) and takes bytes in.
export interface PeerAddr {
  host: string;
  port: number;
}

export interface TransportStats {
  sendErrors: number;
  framingErrors: number;
}

export interface Transport {
  readonly protocol: 'udp' | 'tcp';
  readonly local: PeerAddr;
  readonly stats: TransportStats;
  /** Fire and forget; failures are counted, never thrown (UDP semantics for both). */
  send(peer: PeerAddr, datagram: Uint8Array): void;
  /** Establishes links to these peers (TCP dials; UDP has nothing to do). */
  connect(peers: PeerAddr[]): Promise<void>;
  close(): Promise<void>;
}

export type DatagramHandler = (datagram: Uint8Array) => void;

export const peerKey = (p: PeerAddr): string => `${p.host}:${p.port}`;
