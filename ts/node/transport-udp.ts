import { createSocket, type Socket } from 'node:dgram';
import { NextminiError } from '../errors.js';
import { SEND_HARD_LIMIT, SEND_HIGH_WATER, sourceHosts, type DatagramHandler, type FlowStats, type PeerAddr, type Transport, type TransportStats } from './transport.js';
import { CreditLedger, creditEpoch, grantedRecvBuffer, decodeCredit, encodeCredit, encodeCreditRequest, isCreditRequest, newEpoch, PeerFlow, PROBE_MS, windowFor } from './udp-flow.js';

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
  /** Peers' addresses by node id (where credits go). */
  #addrs = new Map<number, PeerAddr>();
  /** Flow control towards each peer, and what its queues hold in all (udp-flow.ts). */
  #flows = new Map<number, PeerFlow>();
  #queued = 0;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Flow control from each peer: bytes read, credits owed. */
  readonly #ledger: CreditLedger;
  readonly #recvBuffer: number;
  /** This socket's epoch, sent with every credit (udp-flow.ts). */
  readonly #epoch = newEpoch();
  #closed = false;
  #writable: (() => void)[] = [];
  /** Flow-control counters: probes sent for want of a credit, credits sent and taken. */
  readonly flow = { probes: 0, creditsSent: 0, creditsTaken: 0 };

  private constructor(socket: Socket, local: PeerAddr, recvBuffer: number) {
    this.#socket = socket;
    this.local = local;
    this.#recvBuffer = recvBuffer;
    this.#ledger = new CreditLedger(windowFor(recvBuffer, 1));
  }

  flowStats(): FlowStats {
    return { waitingBytes: this.#queued, ...this.flow, recvBufferBytes: this.#recvBuffer };
  }

  static async bind(host: string, port: number, onDatagram: DatagramHandler): Promise<UdpTransport> {
    // The socket is udp4 (peers are matched by IPv4 source address); an IPv6 address would
    // fail with a bare EINVAL.
    if (host.includes(':')) throw new NextminiError('CONFIG_INVALID', `cannot bind UDP to ${JSON.stringify(host)}: UDP links here are IPv4; give an IPv4 private_network_addr ("0.0.0.0" for every interface), or protocol = "tcp" for IPv6`);
    const socket = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new NextminiError('CONFIG_INVALID', `cannot bind UDP ${host}:${port}: ${err.message}`, { cause: err })));
      socket.bind(port, host, () => resolve());
    });
    const addr = socket.address();
    const granted = grantedRecvBuffer(socket);
    const t = new UdpTransport(socket, { host, port: addr.port }, granted);
    socket.removeAllListeners('error');
    socket.on('error', () => t.stats.sendErrors++);
    socket.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
      const from = t.#senders.get(rinfo.port)?.get(rinfo.address) ?? 0;
      const d = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      const limit = decodeCredit(d);
      if (limit !== undefined) {
        if (from !== 0) t.#onCredit(from, limit, creditEpoch(d));
        return;
      }
      if (isCreditRequest(d)) {
        if (from !== 0) t.#sendCredit(from, t.#ledger.now(from));
        return;
      }
      onDatagram(d, from);
      if (from !== 0) t.#onRead(from, d.length);
    });
    return t;
  }

  #onRead(from: number, bytes: number): void {
    const limit = this.#ledger.onRead(from, bytes);
    if (limit !== undefined) this.#sendCredit(from, limit);
  }

  #sendCredit(peer: number, limit: number): void {
    const a = this.#addrs.get(peer);
    if (!a || this.#closed) return;
    this.flow.creditsSent++;
    this.#socket.send(encodeCredit(limit, this.#epoch), a.port, a.host, this.#onControlSent);
  }

  #onControlSent = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
  };

  #onCredit(from: number, limit: number, epoch: number): void {
    const f = this.#flows.get(from);
    if (!f) return;
    this.flow.creditsTaken++;
    f.credit(limit, epoch);
    this.#drain(from, f);
  }

  /** Sends what the peer's limit now allows from its queue. */
  #drain(peer: number, f: PeerFlow): void {
    const a = this.#addrs.get(peer);
    if (!a) return;
    while (f.queue.length && f.sent + f.queue[0]!.length <= f.limit) {
      const d = f.queue.shift()!;
      f.queuedBytes -= d.length;
      this.#queued -= d.length;
      this.#put(d, a);
      f.sent += d.length;
    }
    f.stalledSince = f.queue.length ? (f.stalledSince < 0 ? performance.now() : f.stalledSince) : -1;
    if (f.queue.length) this.#armProbe();
    this.#wakeWritable();
  }

  /** A peer whose credits stopped coming (lost, or the peer is busy or gone) is asked for one. */
  #armProbe(): void {
    if (this.#probeTimer) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      const now = performance.now();
      for (const [peer, f] of this.#flows) {
        if (f.queue.length === 0 || now - f.stalledSince < PROBE_MS) continue;
        this.flow.probes++;
        f.stalledSince = now;
        const a = this.#addrs.get(peer);
        if (a && !this.#closed) this.#socket.send(encodeCreditRequest(), a.port, a.host, this.#onControlSent);
      }
      if ([...this.#flows.values()].some((f) => f.queue.length)) this.#armProbe();
    }, PROBE_MS);
    this.#probeTimer.unref?.();
  }

  /** Sends handed to dgram whose callback has not run yet (dgram sends asynchronously). */
  #inFlight = 0;
  #idle: (() => void) | undefined;

  #onSent = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
    if (--this.#inFlight === 0) this.#idle?.();
    // Writers waiting on whenWritable are woken here and by #drain/#dropFlow/close, never by
    // polling: a peer that stopped reading keeps the queue over its high water for as long as
    // it likes, and a setImmediate poll spun a whole core meanwhile.
    if (this.#writable.length) this.#wakeWritable();
  };

  send(peer: PeerAddr, datagram: Uint8Array, hop: number): void {
    let f = this.#flows.get(hop);
    if (!f) this.#flows.set(hop, (f = new PeerFlow()));
    if (f.mayPass(datagram.length)) {
      // Counting sends in JS instead of asking dgram for its queue size saves a native call per
      // datagram; at a full MTU the two limits mean the same bytes.
      if (this.#inFlight > SEND_HARD_LIMIT / DATAGRAM_ESTIMATE) {
        this.stats.backlogDrops++;
        return;
      }
      this.#put(datagram, peer);
      f.sent += datagram.length;
      return;
    }
    // Past the peer's limit: wait for its credit, within the hard limit of the queues.
    if (this.#queued + datagram.length > SEND_HARD_LIMIT) {
      this.stats.backlogDrops++;
      return;
    }
    f.queue.push(datagram);
    f.queuedBytes += datagram.length;
    this.#queued += datagram.length;
    if (f.stalledSince < 0) f.stalledSince = performance.now();
    this.#armProbe();
  }

  #put(datagram: Uint8Array, to: PeerAddr): void {
    if (this.#closed) {
      this.stats.sendErrors++;
      return;
    }
    this.#inFlight++;
    this.#socket.send(datagram, to.port, to.host, this.#onSent);
  }

  /** Bytes waiting for peers' credits, and sends handed to dgram, both under their high water. */
  whenWritable(): Promise<void> | null {
    const high = SEND_HIGH_WATER / DATAGRAM_ESTIMATE;
    if (this.#closed || (this.#inFlight <= high && this.#queued <= SEND_HIGH_WATER)) return null;
    // Woken once half of it has gone: by send callbacks (#onSent), credits and probes (#drain),
    // a dropped flow, or close().
    return new Promise((resolve) => this.#writable.push(resolve));
  }

  #belowHalf(): boolean {
    return this.#inFlight <= SEND_HIGH_WATER / DATAGRAM_ESTIMATE / 2 && this.#queued <= SEND_HIGH_WATER / 2;
  }

  #wakeWritable(): void {
    if (!this.#writable.length || !this.#belowHalf()) return;
    const w = this.#writable;
    this.#writable = [];
    for (const f of w) f();
  }

  async connect(): Promise<void> {}

  setPeers(peers: Map<number, PeerAddr>): void {
    const senders = new Map<number, Map<string, number>>();
    for (const [id, p] of peers) {
      let byHost = senders.get(p.port);
      if (!byHost) senders.set(p.port, (byHost = new Map()));
      for (const h of sourceHosts(p.host)) byHost.set(h, id);
      // A peer at a new address is a new socket: its flow starts afresh (queued datagrams go).
      const old = this.#addrs.get(id);
      if (old && (old.host !== p.host || old.port !== p.port)) {
        this.#dropFlow(id);
        // And what it sends is counted from zero: its new socket's count starts there.
        this.#ledger.forget(id);
      }
    }
    for (const id of this.#flows.keys()) if (!peers.has(id)) this.#dropFlow(id);
    this.#senders = senders;
    this.#addrs = new Map(peers);
    this.#ledger.keep(peers.keys());
    // Each peer may send a share of the buffer at once.
    this.#ledger.window = windowFor(this.#recvBuffer, peers.size);
  }

  #dropFlow(id: number): void {
    const f = this.#flows.get(id);
    if (!f) return;
    this.#queued -= f.queuedBytes;
    this.stats.backlogDrops += f.queue.length;
    this.#flows.delete(id);
    this.#wakeWritable();
  }

  /** Lets sends queued for credits and handed to dgram go out (up to 1 s), then closes the socket. */
  async close(): Promise<void> {
    const deadline = performance.now() + 1000;
    while (this.#queued > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#closed = true;
    // What is still queued will never go (the peers stopped crediting and the deadline passed):
    // drop and count it, and wake writers waiting for room, or they would wait forever.
    for (const id of [...this.#flows.keys()]) this.#dropFlow(id);
    const w = this.#writable;
    this.#writable = [];
    for (const f of w) f();
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
