// The controller's UDP bridge: how a node that speaks only UDP and one that speaks only the
// relay (a browser tab, a Deno node) exchange datagrams. Each relay node without UDP gets a
// UDP socket of its own on the controller, its "face": UDP nodes send to the face as if it
// were the relay node's data address, and the bridge passes each datagram to the relay node
// over its relay connection, stamped with the UDP node the source address belongs to. The
// other way, the relay hands a frame for a node without a relay connection to the bridge,
// which sends it from the relay node's face, so the UDP node recognises the sender by
// address as it does any peer. One socket per relay node keeps that identification exact.
// Datagrams are opaque here: per-hop MACs (with authentication) are checked by the nodes.
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { logger } from '../log.js';
import { plainAddress } from './guard.js';
import { CreditLedger, decodeCredit, encodeCredit, grantedRecvBuffer, isCreditRequest, newEpoch, windowFor } from '../node/udp-flow.js';

const log = logger('controller');
const FACE_BUFFER = 8 * 1024 * 1024;

export interface BridgeCounters {
  /** Datagrams from UDP nodes passed to relay nodes. */
  toRelay: number;
  /** Datagrams from relay nodes sent to UDP nodes. */
  toUdp: number;
  /** Datagrams to a face from an address that is no node's UDP address. */
  dropsUnknownSource: number;
  /** The face's socket refused a send. */
  sendErrors: number;
}

export interface UdpBridgeHooks {
  /** The node whose UDP data address this is (either form of an IPv4 address), or undefined. */
  nodeAt(host: string, port: number): number | undefined;
  /** Passes a datagram from `src` to relay node `dst`; false if `dst` has no relay connection. */
  toRelay(dst: number, src: number, datagram: Uint8Array): boolean;
}

export class UdpBridge {
  readonly counters: BridgeCounters = { toRelay: 0, toUdp: 0, dropsUnknownSource: 0, sendErrors: 0 };
  readonly #faces = new Map<number, { socket: Socket; port: number }>();
  readonly #opening = new Map<number, Promise<number | undefined>>();
  /** The faces' ports, for isFace on every datagram the bridge sends. */
  readonly #facePorts = new Set<number>();
  readonly #bindHost: string;
  readonly #hooks: UdpBridgeHooks;
  #closed = false;

  /** `bindHost`: the controller's listen address (a wildcard binds every interface). */
  constructor(bindHost: string, hooks: UdpBridgeHooks) {
    this.#bindHost = bindHost === '' || bindHost === '::' || bindHost === '[::]' ? '0.0.0.0' : bindHost;
    this.#hooks = hooks;
  }

  /** Relay nodes with a face and its UDP port, by node id. */
  faces(): { nodeId: number; port: number }[] {
    return [...this.#faces].map(([nodeId, f]) => ({ nodeId, port: f.port })).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Relay node `id`'s face port, if it has one. */
  port(id: number): number | undefined {
    return this.#faces.get(id)?.port;
  }

  /**
   * Whether host:port reaches one of this bridge's own faces: a face port at an address of this
   * machine. A node on the controller's host could otherwise announce a face as its UDP data
   * address (the controller vouches for the host, never the port), and every datagram the
   * bridge sent it would come back into a face, attributed to that node: one relay frame
   * bounced between the relay node and the bridge up to the hop limit, and the face's own
   * node received its peers' traffic for that node.
   */
  isFace(host: string, port: number): boolean {
    if (!this.#facePorts.has(port)) return false;
    const h = plainAddress(host);
    if (h.startsWith('127.') || h === '::1' || h === 'localhost' || h === '0.0.0.0' || h === '::' || h === '' || h === this.#bindHost) return true;
    return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === h));
  }

  /** Opens relay node `id`'s face; resolves its port (undefined if it could not bind, or was closed meanwhile). */
  open(id: number): Promise<number | undefined> {
    const face = this.#faces.get(id);
    if (face) return Promise.resolve(face.port);
    let p = this.#opening.get(id);
    if (!p) {
      p = this.#bind(id).finally(() => this.#opening.delete(id));
      this.#opening.set(id, p);
    }
    return p;
  }

  async #bind(id: number): Promise<number | undefined> {
    // Large kernel buffers, as a node's own UDP socket has: a face takes whole messages' bursts.
    const socket = createSocket({ type: 'udp4', recvBufferSize: FACE_BUFFER, sendBufferSize: FACE_BUFFER });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, this.#bindHost, () => resolve());
      });
    } catch (err) {
      log.warn(`no UDP bridge for relay node ${id}: cannot bind ${this.#bindHost}: ${(err as Error).message}`);
      socket.close();
      return undefined;
    }
    if (this.#closed) {
      socket.close();
      return undefined;
    }
    const port = socket.address().port;
    const granted = grantedRecvBuffer(socket);
    // A face is a UDP peer like any other to the nodes that send to it: it credits what it read
    // (udp-flow.ts), or they would crawl at their probe allowance. Its own sends are paced by the
    // relay connection they come from, so the credits UDP nodes send it are only read and dropped.
    const ledger = new CreditLedger(windowFor(granted, 4));
    const epoch = newEpoch();
    const credit = (limit: number, rinfo: { address: string; port: number }) =>
      socket.send(encodeCredit(limit, epoch), rinfo.port, rinfo.address, (err) => {
        if (err) this.counters.sendErrors++;
      });
    // Where each node last sent from: a node that came back on a new port sends from a new
    // socket counting from zero, so its count here restarts too (else it would be credited
    // for all its old socket sent, and overrun this face's buffer by as much).
    const lastFrom = new Map<number, { address: string; port: number }>();
    socket.removeAllListeners('error');
    socket.on('error', () => this.counters.sendErrors++);
    socket.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
      const d = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      if (decodeCredit(d) !== undefined) return;
      const src = this.#hooks.nodeAt(rinfo.address, rinfo.port);
      if (src === undefined) {
        this.counters.dropsUnknownSource++;
        return;
      }
      if (isCreditRequest(d)) return credit(ledger.now(src), rinfo);
      if (this.#hooks.toRelay(id, src, d)) this.counters.toRelay++;
      const last = lastFrom.get(src);
      if (!last || last.port !== rinfo.port || last.address !== rinfo.address) {
        if (last) ledger.forget(src);
        lastFrom.set(src, { address: rinfo.address, port: rinfo.port });
      }
      const limit = ledger.onRead(src, d.length);
      if (limit !== undefined) credit(limit, rinfo);
    });
    this.#faces.set(id, { socket, port });
    this.#facePorts.add(port);
    return port;
  }

  /** Sends a datagram from relay node `from`'s face; false if it has none. */
  send(from: number, host: string, port: number, datagram: Uint8Array): boolean {
    const face = this.#faces.get(from);
    if (!face) return false;
    // Never into a face of ours (see isFace): a port a node announced may be taken by a face later.
    if (this.isFace(host, port)) {
      this.counters.sendErrors++;
      return false;
    }
    face.socket.send(datagram, port, host, (err) => {
      if (err) this.counters.sendErrors++;
    });
    this.counters.toUdp++;
    return true;
  }

  /** Closes relay node `id`'s face (it left). */
  close(id: number): void {
    const face = this.#faces.get(id);
    if (!face) return;
    this.#faces.delete(id);
    this.#facePorts.delete(face.port);
    face.socket.close();
  }

  closeAll(): void {
    this.#closed = true;
    for (const id of [...this.#faces.keys()]) this.close(id);
  }
}
