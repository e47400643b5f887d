import { createServer, connect as dial, type Server, type Socket } from 'node:net';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NextminiError } from '../errors.js';
import { peerKey, SEND_HARD_LIMIT, SEND_HIGH_WATER, sourceHosts, type PeerAddr, type TcpLimits, type Transport, type TransportStats } from './transport.js';

// Frames on a TCP link: u32 big-endian length, then one datagram. The bound keeps a hostile
// or broken peer from making us buffer without limit.
const MAX_FRAME = 65_535 + 64;
// A link opens with the dialer's hello, 8 bytes: "NMTL" and its u32 node id. The listener
// takes it only from a current peer's address, for a peer whose announced host is that
// address; every datagram on the connection is then from that node.
const LINK_MAGIC = 0x4e4d544c;
const LINK_HELLO_LEN = 8;
/** How long an accepted connection may take to send its link hello. */
const LINK_HELLO_TIMEOUT_MS = 5000;

/** A peer's connection silent this long may make way for a new one from that peer. */
const STALE_MS = 5000;


function linkHello(nodeId: number): Uint8Array {
  const b = new Uint8Array(LINK_HELLO_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, LINK_MAGIC);
  v.setUint32(4, nodeId);
  return b;
}

// With authentication on, the hello proves the link key instead: "NMTA", the dialer's id, a
// fresh 16-byte nonce and 16 bytes of HMAC-SHA256(link key, label | dialer | listener | nonce).
// Only the peer (which holds the key of this link) can open a connection that counts as it,
// so nobody else can take its connection slots or evict its working link.
const AUTH_MAGIC = 0x4e4d5441;
const AUTH_HELLO_LEN = 8 + 16 + 16;
const AUTH_LABEL = Buffer.from('nextmini/tcp-link/1');

function linkTag(key: Uint8Array, dialer: number, listener: number, nonce: Uint8Array): Buffer {
  const ids = Buffer.alloc(8);
  ids.writeUInt32BE(dialer, 0);
  ids.writeUInt32BE(listener, 4);
  return createHmac('sha256', key).update(AUTH_LABEL).update(ids).update(nonce).digest().subarray(0, 16);
}

function authHello(key: Uint8Array, dialer: number, listener: number): Uint8Array {
  const b = Buffer.alloc(AUTH_HELLO_LEN);
  b.writeUInt32BE(AUTH_MAGIC, 0);
  b.writeUInt32BE(dialer, 4);
  const nonce = randomBytes(16);
  nonce.copy(b, 8);
  linkTag(key, dialer, listener, nonce).copy(b, 24);
  return b;
}

/** Nonces of accepted authenticated hellos, per peer, so a captured hello cannot be replayed. */
const SEEN_NONCES = 4096;

type FrameHandler = (frame: Uint8Array) => void;

/** Splits a byte stream into length-prefixed frames. */
class FrameSplitter {
  #pending: Uint8Array[] = [];
  #pendingLen = 0;

  /** Bytes of an incomplete frame held now. */
  get partial(): number {
    return this.#pendingLen;
  }

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly onViolation: () => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.#pending.push(chunk);
    this.#pendingLen += chunk.length;
    while (this.#pendingLen >= 4) {
      const head = this.#peek(4);
      const len = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
      if (len > MAX_FRAME) return this.onViolation();
      if (this.#pendingLen < 4 + len) return;
      const frame = this.#take(4 + len).subarray(4);
      this.onFrame(frame);
    }
  }

  #peek(n: number): Uint8Array {
    const first = this.#pending[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return this.#flatten().subarray(0, n);
  }

  #flatten(): Uint8Array {
    if (this.#pending.length === 1) return this.#pending[0]!;
    const all = new Uint8Array(this.#pendingLen);
    let o = 0;
    for (const c of this.#pending) {
      all.set(c, o);
      o += c.length;
    }
    this.#pending = [all];
    return all;
  }

  #take(n: number): Uint8Array {
    const all = this.#flatten();
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#pending = rest.length ? [rest] : [];
    this.#pendingLen = rest.length;
    return out;
  }
}

/**
 * One outbound connection per peer carries our datagrams to it; inbound connections carry
 * theirs to us. Keeping the directions apart avoids any dial race between two nodes.
 */
export class TcpTransport implements Transport {
  readonly protocol = 'tcp' as const;
  readonly stats: TransportStats = { sendErrors: 0, framingErrors: 0, backlogDrops: 0, refusedConnections: 0 };
  readonly local: PeerAddr;
  /** Datagrams waiting for this microtask's coalesced write, per peer. */
  #pending = new Map<string, { peer: PeerAddr; datagrams: Uint8Array[]; bytes: number }>();
  #flushQueued = false;
  #server: Server;
  #out = new Map<string, { socket: Socket; ready: Promise<void> }>();
  /** Inbound connections and the node each one proved to be (0 until its link hello). */
  #inbound = new Map<Socket, number>();
  #closed = false;
  /** Current peers: node id to the addresses its connections may come from. */
  #peerHosts = new Map<number, Set<string>>();
  #allowedHosts = new Set<string>();
  /** When each inbound connection last brought data. */
  #lastData = new WeakMap<Socket, number>();
  #auth = false;
  /** Link keys by neighbour: the current one, and the one before (a rotation may be in flight). */
  #keys = new Map<number, { current: Uint8Array; previous?: Uint8Array }>();
  #seen = new Map<number, Set<string>>();
  /** Data address -> node id, for dialling with the right key. */
  #idByAddr = new Map<string, number>();

  private constructor(
    server: Server,
    local: PeerAddr,
    private readonly nodeId: number,
    private readonly onDatagram: (datagram: Uint8Array, from: number) => void,
    private readonly limits: TcpLimits,
  ) {
    this.#server = server;
    this.local = local;
  }

  static async bind(host: string, port: number, nodeId: number, onDatagram: (datagram: Uint8Array, from: number) => void, limits: TcpLimits): Promise<TcpTransport> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new NextminiError('CONFIG_INVALID', `cannot listen on TCP ${host}:${port}: ${err.message}`, { cause: err })));
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    const t = new TcpTransport(server, { host, port: typeof addr === 'object' && addr ? addr.port : port }, nodeId, onDatagram, limits);
    server.on('connection', (s) => t.#accept(s));
    return t;
  }

  /** Refuses a connection that is not, or is no longer, a current peer's. */
  #refuse(socket: Socket): void {
    this.stats.refusedConnections++;
    socket.destroy();
  }

  #accept(socket: Socket): void {
    socket.on('error', () => {});
    if (this.#closed || !this.#allowedHosts.has(socket.remoteAddress ?? '')) return this.#refuse(socket);
    if (this.#inbound.size >= this.limits.maxConnections) return this.#refuse(socket);
    socket.setNoDelay(true);
    this.#inbound.set(socket, 0);
    let frameTimer: ReturnType<typeof setTimeout> | undefined;
    let frames = 0;
    socket.on('close', () => {
      this.#inbound.delete(socket);
      clearTimeout(frameTimer);
    });
    // Silence closes the connection; the peer's next send dials a new one.
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    const stalled = () => {
      this.stats.framingErrors++;
      socket.destroy();
    };
    // Armed while a frame is incomplete; a frame that keeps trickling in does not re-arm it.
    const watchFrame = (partial: number) => {
      if (partial === 0) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      } else if (!frameTimer) {
        frameTimer = setTimeout(stalled, this.limits.frameTimeoutMs);
      }
    };
    const timer = setTimeout(() => this.#refuse(socket), LINK_HELLO_TIMEOUT_MS);
    let head = new Uint8Array(0);
    let splitter: FrameSplitter | undefined;
    this.#lastData.set(socket, performance.now());
    socket.on('data', (chunk: Buffer) => {
      this.#lastData.set(socket, performance.now());
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (splitter) {
        const before = frames;
        splitter.push(bytes);
        // A frame completed: the clock starts again for the next one.
        if (frames !== before) {
          clearTimeout(frameTimer);
          frameTimer = undefined;
        }
        return watchFrame(splitter.partial);
      }
      const all = new Uint8Array(head.length + bytes.length);
      all.set(head);
      all.set(bytes, head.length);
      const helloLen = this.#auth ? AUTH_HELLO_LEN : LINK_HELLO_LEN;
      if (all.length < helloLen) {
        head = all;
        return;
      }
      clearTimeout(timer);
      const v = new DataView(all.buffer, all.byteOffset, helloLen);
      const from = v.getUint32(4);
      if (v.getUint32(0) !== (this.#auth ? AUTH_MAGIC : LINK_MAGIC) || !this.#peerHosts.get(from)?.has(socket.remoteAddress ?? '')) return this.#refuse(socket);
      if (this.#auth && !this.#proves(from, all.subarray(8, 24), all.subarray(24, 40))) return this.#refuse(socket);
      this.#inbound.set(socket, from);
      // One peer may hold only so many connections. Over the cap, the one silent longest goes
      // if it has been silent a while (a peer that restarted leaves half-open ones behind);
      // otherwise the newcomer is refused, so that nobody who can name a peer evicts its
      // working connection.
      // With authentication, only the peer itself can be here, so its newest connection wins.
      const others = [...this.#inbound].filter(([sock, id]) => id === from && sock !== socket).map(([sock]) => sock);
      if (others.length >= this.limits.maxConnectionsPerPeer) {
        const stalest = others.reduce((a, b) => ((this.#lastData.get(a) ?? 0) <= (this.#lastData.get(b) ?? 0) ? a : b));
        if (this.#auth || performance.now() - (this.#lastData.get(stalest) ?? 0) >= STALE_MS) this.#refuse(stalest);
        else return this.#refuse(socket);
      }
      const s = new FrameSplitter(
        (frame) => {
          frames++;
          this.onDatagram(frame, from);
        },
        () => {
          this.stats.framingErrors++;
          socket.destroy();
        },
      );
      splitter = s;
      if (all.length > helloLen) s.push(all.subarray(helloLen));
      watchFrame(s.partial);
    });
  }

  /** Checks an authenticated link hello from `from`: its tag under a key of that link, a fresh nonce. */
  #proves(from: number, nonce: Uint8Array, tag: Uint8Array): boolean {
    const k = this.#keys.get(from);
    if (!k) return false;
    const ok = [k.current, k.previous].some((key) => key !== undefined && timingSafeEqual(linkTag(key, from, this.nodeId, nonce), tag));
    if (!ok) return false;
    let seen = this.#seen.get(from);
    if (!seen) this.#seen.set(from, (seen = new Set()));
    const n = Buffer.from(nonce).toString('hex');
    if (seen.has(n)) return false;
    seen.add(n);
    if (seen.size > SEEN_NONCES) seen.delete(seen.values().next().value!);
    return true;
  }

  setAuth(on: boolean): void {
    this.#auth = on;
  }

  setLinkKeys(keys: { neighbor: number; key: Uint8Array }[]): void {
    for (const { neighbor, key } of keys) {
      const k = this.#keys.get(neighbor);
      if (k && Buffer.compare(Buffer.from(k.current), Buffer.from(key)) === 0) continue;
      this.#keys.set(neighbor, { current: key, ...(k ? { previous: k.current } : {}) });
    }
  }

  /** New peers: connections from nodes that are no longer peers (or moved) are closed. */
  setPeers(peers: Map<number, PeerAddr>): void {
    this.#idByAddr = new Map([...peers].map(([id, p]) => [peerKey(p), id]));
    this.#peerHosts = new Map([...peers].map(([id, p]) => [id, new Set(sourceHosts(p.host))]));
    this.#allowedHosts = new Set([...this.#peerHosts.values()].flatMap((h) => [...h]));
    for (const [socket, from] of this.#inbound) {
      const ok = from === 0 ? this.#allowedHosts.has(socket.remoteAddress ?? '') : this.#peerHosts.get(from)?.has(socket.remoteAddress ?? '');
      if (!ok) this.#refuse(socket);
    }
  }

  #link(peer: PeerAddr): { socket: Socket; ready: Promise<void> } {
    const key = peerKey(peer);
    const existing = this.#out.get(key);
    if (existing && !existing.socket.destroyed) return existing;
    const socket = dial({ host: peer.host, port: peer.port });
    socket.setNoDelay(true);
    const to = this.#idByAddr.get(key);
    const k = to === undefined ? undefined : this.#keys.get(to);
    // Without a key (yet) an authenticating listener refuses us; the next send dials again.
    socket.write(this.#auth && k && to !== undefined ? authHello(k.current, this.nodeId, to) : linkHello(this.nodeId));
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', (err) => reject(err));
    });
    ready.catch(() => {});
    socket.on('error', () => {
      this.stats.sendErrors++;
      this.#out.delete(key);
    });
    socket.on('close', () => {
      if (this.#out.get(key)?.socket === socket) this.#out.delete(key);
    });
    const link = { socket, ready };
    this.#out.set(key, link);
    return link;
  }

  /**
   * Queues a datagram; all datagrams queued in one synchronous run go out as one write per
   * peer (length-prefixed frames in one buffer), which saves a syscall pair per datagram.
   */
  send(peer: PeerAddr, datagram: Uint8Array): void {
    if (this.#closed) return;
    const key = peerKey(peer);
    const link = this.#out.get(key);
    if (link && link.socket.writableLength > SEND_HARD_LIMIT) {
      this.stats.backlogDrops++;
      return;
    }
    let q = this.#pending.get(key);
    if (!q) {
      q = { peer, datagrams: [], bytes: 0 };
      this.#pending.set(key, q);
    }
    q.datagrams.push(datagram);
    q.bytes += 4 + datagram.length;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushWrites);
    }
  }

  #flushWrites = (): void => {
    this.#flushQueued = false;
    for (const { peer, datagrams, bytes } of this.#pending.values()) {
      const buf = new Uint8Array(bytes);
      const view = new DataView(buf.buffer);
      let o = 0;
      for (const d of datagrams) {
        view.setUint32(o, d.length);
        buf.set(d, o + 4);
        o += 4 + d.length;
      }
      this.#link(peer).socket.write(buf);
    }
    this.#pending.clear();
  };

  /** Bytes waiting in our outbound sockets. */
  #backlog(): number {
    let n = 0;
    for (const { socket } of this.#out.values()) n += socket.writableLength;
    return n;
  }

  whenWritable(): Promise<void> | null {
    if (this.#backlog() <= SEND_HIGH_WATER) return null;
    const busy = [...this.#out.values()].filter((l) => l.socket.writableLength > 0 && !l.socket.destroyed);
    // Whichever socket drains (or closes) first ends the wait, and every listener this wait
    // added goes with it: left behind, they would pile up on a long transfer's sockets.
    return new Promise<void>((resolve) => {
      const done = () => {
        for (const l of busy) {
          l.socket.off('drain', done);
          l.socket.off('close', done);
        }
        resolve();
      };
      for (const l of busy) {
        l.socket.once('drain', done);
        l.socket.once('close', done);
      }
      if (busy.length === 0) done();
    }).then(() => (this.#backlog() > SEND_HIGH_WATER ? this.whenWritable() ?? undefined : undefined));
  }

  async connect(peers: PeerAddr[]): Promise<void> {
    const attempts = peers.map(async (p) => {
      for (let i = 0; ; i++) {
        try {
          await this.#link(p).ready;
          return;
        } catch (err) {
          if (this.#closed || i >= 20) throw new NextminiError('PEER_UNREACHABLE', `cannot open TCP link to ${peerKey(p)}: ${(err as Error).message}`, { cause: err });
          await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** i, 1000)));
        }
      }
    });
    await Promise.all(attempts);
  }

  /** Flushes queued writes and ends outbound links gracefully (up to 1 s), then closes. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#flushQueued) this.#flushWrites();
    await Promise.all(
      [...this.#out.values()].map(
        ({ socket }) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              socket.destroy();
              resolve();
            }, 1000);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.end();
          }),
      ),
    );
    for (const s of this.#inbound.keys()) s.destroy();
    this.#out.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
