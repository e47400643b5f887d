// The relay transport: for runtimes without usable sockets (browsers; Deno, whose node:dgram
// is slow). Datagrams travel over one WebSocket to the controller, which forwards them to the
// next hop's relay connection. Frames, one datagram each:
//   node -> controller  {u32 next hop node id}{datagram}
//   controller -> node  {u32 source node id}{datagram}
// The connection is `<controller url>/relay?node=<id>`; its first frame is the relay token the
// node announced in hello, and the controller answers {u32 0} once it bound the connection to
// the node id (or closes it with the reason). Nothing here imports a node-only module.
import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { openSocket, type MessageSocket } from '../control/socket.js';
import type { TransportContext } from './host.js';
import { SEND_HARD_LIMIT, SEND_HIGH_WATER, type DatagramHandler, type PeerAddr, type Transport, type TransportStats } from './transport.js';

const log = logger('relay');

/** The id in a controller -> node frame that is not from a node: the bind acknowledgement. */
export const RELAY_CONTROL_ID = 0;
/** How long binding the relay connection may take. */
const BIND_TIMEOUT_MS = 10_000;
/** How long close() waits for queued frames to leave. */
const CLOSE_DRAIN_MS = 1000;
/** Polling period while waiting for bufferedAmount to fall (WebSocket has no drain event). */
const POLL_MS = 2;

/** The relay URL beside the controller's control URL. */
export function relayUrl(controllerUrl: string, nodeId: number): string {
  const u = new URL(controllerUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/relay`;
  u.search = `?node=${nodeId}`;
  return u.toString();
}

function newToken(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RelayTransport implements Transport {
  readonly protocol = 'relay' as const;
  readonly local: PeerAddr = { host: 'relay', port: 0 };
  readonly stats: TransportStats = { sendErrors: 0, framingErrors: 0, backlogDrops: 0, refusedConnections: 0 };
  readonly relayToken = newToken();
  readonly #url: string;
  readonly #onDatagram: DatagramHandler;
  #socket: MessageSocket | undefined;
  #bound = false;
  #binding: Promise<void> | undefined;
  #closed = false;

  private constructor(url: string, onDatagram: DatagramHandler) {
    this.#url = url;
    this.#onDatagram = onDatagram;
  }

  /** Nothing to bind locally: the connection opens once the controller admitted the node (connect). */
  static async open(ctx: TransportContext): Promise<RelayTransport> {
    return new RelayTransport(relayUrl(ctx.controllerUrl, ctx.nodeId), ctx.onDatagram);
  }

  send(_peer: PeerAddr, datagram: Uint8Array, hop: number): void {
    const s = this.#socket;
    if (!s || !this.#bound || s.readyState !== 1) {
      this.stats.sendErrors++;
      return;
    }
    if (s.bufferedAmount > SEND_HARD_LIMIT) {
      this.stats.backlogDrops++;
      return;
    }
    const frame = new Uint8Array(4 + datagram.length);
    new DataView(frame.buffer).setUint32(0, hop);
    frame.set(datagram, 4);
    try {
      s.send(frame);
    } catch {
      this.stats.sendErrors++;
    }
  }

  whenWritable(): Promise<void> | null {
    const s = this.#socket;
    if (!s || s.bufferedAmount <= SEND_HIGH_WATER) return null;
    return (async () => {
      while (this.#socket === s && s.readyState === 1 && s.bufferedAmount > SEND_HIGH_WATER / 2) await sleep(POLL_MS);
    })();
  }

  /** Opens and binds the relay connection if it is not bound already; resolves once bound. */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new NextminiError('CLOSED', 'the relay transport is closed'));
    if (this.#binding && this.#socket && this.#socket.readyState <= 1) return this.#binding;
    this.#binding = new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const socket = openSocket(this.#url, {
        onOpen: () => socket.send(new TextEncoder().encode(this.relayToken)),
        onMessage: (data) => {
          if (this.#socket !== socket) return;
          if (data.length < 4) {
            this.stats.framingErrors++;
            return;
          }
          const id = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
          if (id === RELAY_CONTROL_ID) {
            if (!this.#bound) {
              this.#bound = true;
              log.debug(`relay bound at ${this.#url}`);
              settle();
            }
            return;
          }
          // The controller writes the id of the connection the frame came in on: the true source.
          this.#onDatagram(data.subarray(4), id);
        },
        onClose: (code, reason) => {
          if (this.#socket === socket) {
            this.#socket = undefined;
            this.#bound = false;
          }
          settle(new NextminiError('PEER_UNREACHABLE', `the relay at ${this.#url} closed the connection (${code}${reason ? `: ${reason}` : ''})`));
        },
        onError: (err) => log.debug(`relay socket error: ${String(err)}`),
      });
      this.#socket = socket;
      this.#bound = false;
      timer = setTimeout(() => {
        settle(new NextminiError('PEER_UNREACHABLE', `the relay at ${this.#url} did not bind within ${BIND_TIMEOUT_MS} ms`));
        socket.close();
      }, BIND_TIMEOUT_MS);
    });
    const binding = this.#binding;
    binding.catch(() => {
      if (this.#binding === binding) this.#binding = undefined;
    });
    return binding;
  }

  /** Lets queued frames leave (up to 1 s), then closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const s = this.#socket;
    if (!s) return;
    const deadline = performance.now() + CLOSE_DRAIN_MS;
    while (s.readyState === 1 && s.bufferedAmount > 0 && performance.now() < deadline) await sleep(POLL_MS);
    this.#socket = undefined;
    this.#bound = false;
    try {
      s.close(1000, 'node closed');
    } catch {
      /* already closing */
    }
  }
}
