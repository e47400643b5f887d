import { createSocket, type Socket } from 'node:dgram';
import { NextminiError } from '../errors.js';
import type { DatagramHandler, PeerAddr, Transport, TransportStats } from './transport.js';

// Large kernel buffers: a node receives bursts from several neighbours at once, and the
// default ~200 KiB drops a good part of any burst on loopback.
const SOCKET_BUFFER = 8 * 1024 * 1024;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly stats: TransportStats = { sendErrors: 0, framingErrors: 0 };
  #socket: Socket;
  local: PeerAddr;

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
    socket.on('message', (msg: Buffer) => onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)));
    return t;
  }

  send(peer: PeerAddr, datagram: Uint8Array): void {
    this.#socket.send(datagram, peer.port, peer.host, (err) => {
      if (err) this.stats.sendErrors++;
    });
  }

  async connect(): Promise<void> {}

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
