import { createSocket, type Socket } from 'node:dgram';
import { NextminiError } from '../errors.js';
import { SEND_HARD_LIMIT, SEND_HIGH_WATER, sourceHosts, type DatagramHandler, type PeerAddr, type Transport, type TransportStats } from './transport.js';

/** Bytes per datagram assumed when turning the byte limits into counts of sends in flight. */
const DATAGRAM_ESTIMATE = 1400;

// Large kernel buffers: a node receives bursts from several neighbours at once, and the
// default ~200 KiB drops a good part of any burst on loopback.
const SOCKET_BUFFER = 8 * 1024 * 1024;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly stats: TransportStats = { sendErrors: 0, framingErrors: 0, backlogDrops: 0, refusedConnections: 0 };
  #socket: Socket;
  local: PeerAddr;
  /**
   * Who sends from where: source port, then source address, to the peer's node id (peers
   * send from their data socket, so their source is their announced data address). Two
   * lookups by number and string: no string built per datagram.
   */
  #senders = new Map<number, Map<string, number>>();

  private constructor(socket: Socket, local: PeerAddr) {
    this.#socket = socket;
    this.local = local;
  }

  static async bind(host: string, port: number, onDatagram: DatagramHandler): Promise<UdpTransport> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new NextminiError('CONFIG_INVALID', `cannot bind UDP ${host}:${port}: ${err.message}`, { cause: err })));
      socket.bind(port, host, () => resolve());
    });
    const addr = socket.address();
    const t = new UdpTransport(socket, { host, port: addr.port });
    socket.removeAllListeners('error');
    socket.on('error', () => t.stats.sendErrors++);
    socket.on('message', (msg: Buffer, rinfo: { address: string; port: number }) =>
      onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), t.#senders.get(rinfo.port)?.get(rinfo.address) ?? 0),
    );
    return t;
  }

  /** Sends handed to dgram whose callback has not run yet (dgram sends asynchronously). */
  #inFlight = 0;
  #idle: (() => void) | undefined;

  #onSent = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
    if (--this.#inFlight === 0) this.#idle?.();
  };

  send(peer: PeerAddr, datagram: Uint8Array): void {
    // Counting sends in JS instead of asking dgram for its queue size saves a native call per
    // datagram; at a full MTU the two limits mean the same bytes.
    if (this.#inFlight > SEND_HARD_LIMIT / DATAGRAM_ESTIMATE) {
      this.stats.backlogDrops++;
      return;
    }
    this.#inFlight++;
    this.#socket.send(datagram, peer.port, peer.host, this.#onSent);
  }

  whenWritable(): Promise<void> | null {
    const high = SEND_HIGH_WATER / DATAGRAM_ESTIMATE;
    if (this.#inFlight <= high) return null;
    // dgram has no 'drain' event: check once per event-loop turn until half of it has gone.
    return new Promise((resolve) => {
      const check = () => (this.#inFlight <= high / 2 ? resolve() : setImmediate(check));
      setImmediate(check);
    });
  }

  async connect(): Promise<void> {}

  setPeers(peers: Map<number, PeerAddr>): void {
    const senders = new Map<number, Map<string, number>>();
    for (const [id, p] of peers) {
      let byHost = senders.get(p.port);
      if (!byHost) senders.set(p.port, (byHost = new Map()));
      for (const h of sourceHosts(p.host)) byHost.set(h, id);
    }
    this.#senders = senders;
  }

  /** Lets sends already handed to dgram go out (up to 1 s), then closes the socket. */
  async close(): Promise<void> {
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
