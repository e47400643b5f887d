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
  /** TCP: inbound connections refused (not from a peer's address, or a bad link hello). */
  refusedConnections: number;
}

/** UDP flow control (udp-flow.ts), as a node reports it. */
export interface FlowStats {
  /** Bytes waiting for peers' credits now. */
  waitingBytes: number;
  /** Times a sender went on without a credit after waiting 25 ms (a lost credit, or a peer that stopped reading). */
  probes: number;
  creditsSent: number;
  creditsTaken: number;
  /** The receive buffer the kernel granted the UDP socket (bytes, as Linux reports it: twice what it holds in payload); 0 without UDP. */
  recvBufferBytes: number;
}

/** Above this many bytes waiting in sockets, local sends wait (backpressure). */
export const SEND_HIGH_WATER = 8 * 1024 * 1024;
/** Above this, datagrams (e.g. forwarded ones, which cannot wait) are dropped and counted. */
export const SEND_HARD_LIMIT = 64 * 1024 * 1024;

export interface Transport {
  readonly protocol: 'udp' | 'tcp' | 'relay' | 'memory';
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
  /**
   * The peers' data addresses by node id (from the controller's snapshots), so the transport
   * can tell the engine which neighbour sent each datagram. The relay needs none: the
   * controller stamps the true source on every frame.
   */
  setPeers?(peers: Map<number, PeerAddr>): void;
  /** Authentication on: link keys, for transports that authenticate their own link set-up (TCP). */
  setLinkKeys?(keys: { neighbor: number; key: Uint8Array }[]): void;
  setAuth?(on: boolean): void;
  /** UDP only: flow-control counters. */
  flowStats?(): FlowStats;
  close(): Promise<void>;
}

/**
 * Receives one datagram and the node id of its link-level sender as the transport determined
 * it (0 = not a current peer / unknown).
 */
export type DatagramHandler = (datagram: Uint8Array, from: number) => void;

/**
 * The source addresses a peer's datagrams and connections come from: its data address, as the
 * controller hands it out (never a wildcard: the controller puts the address the node
 * connected from in its place), plain or IPv4-mapped.
 */
export function sourceHosts(announced: string): string[] {
  return [announced, `::ffff:${announced}`];
}

export const peerKey = (p: PeerAddr): string => `${p.host}:${p.port}`;

/** Bounds on what peers (or anyone who can reach the port) make a TCP listener hold. */
export interface TcpLimits {
  /** Inbound connections at once, all peers together; more are refused. */
  maxConnections: number;
  /**
   * Inbound connections from one peer node. Over it, with authentication the newcomer replaces
   * the peer's longest-silent one; without, it does so only if that one has been silent 5 s,
   * else the newcomer is refused.
   */
  maxConnectionsPerPeer: number;
  /** An inbound connection silent this long is closed (its peer re-dials on its next send). */
  idleTimeoutMs: number;
  /** A frame begun must be complete within this long, or the connection is closed (slowloris). */
  frameTimeoutMs: number;
}
