// The relay data path: relay nodes (browsers, Deno) send datagrams over a WebSocket to the
// controller, which passes each one to its destination's relay connection.
import type { RelayFrame, RelaySocket } from './connection.js';
import { logger } from '../log.js';
import type { Hello } from '../control/messages.js';
import type { RelayStatus } from './api.js';
import { equalBytes } from '../control/auth.js';
import { terminateSoon } from './guard.js';

/** The token as the bytes a relay client sends (one byte per char, as Buffer's latin1). */
const latin1 = (t: string): Uint8Array => Uint8Array.from(t, (ch) => ch.charCodeAt(0) & 0xff);

const log = logger('controller');
// Relay connections come from a `ws` server on Node; the hub sees them through these
// interfaces (connection.ts), under the old names so the code below reads as before.
type WebSocket = RelaySocket;
type Buffer = RelayFrame;
/** Largest relay frame: a u32 node id and one datagram (an MTU is at most 65 535). */
export const RELAY_MAX_FRAME = 4 + 65_535;
/** Above this many bytes queued towards a relay node, frames for it are dropped and counted. */
const RELAY_BUFFER_LIMIT = 8 * 1024 * 1024;

/** What the relay needs to know of an admitted node. */
export interface RelayMember {
  hello: Hello;
  /** The bound relay connection of a relay node. */
  relay?: WebSocket;
}

/**
 * Where a frame goes whose destination has no relay connection: the UDP bridge, if the
 * destination speaks UDP and the source has a face (udp-bridge.ts). True if it went.
 */
export type RelayFallback = (src: number, dst: number, datagram: Uint8Array) => boolean;

export class RelayHub {
  readonly #replaced = new WeakSet<WebSocket>();
  readonly #counters = { framesForwarded: 0, bytesForwarded: 0, dropsUnknownNode: 0, dropsBackpressure: 0, dropsMalformed: 0, bindsRejected: 0 };
  /** Set by a controller that runs a UDP bridge. */
  fallback: RelayFallback | undefined;

  constructor(
    private readonly member: (id: number) => RelayMember | undefined,
    private readonly members: () => Iterable<RelayMember>,
    private readonly tokenTimeoutMs: number,
  ) {}

  status(): Omit<RelayStatus, 'bridge'> {
    const bound = [...this.members()].filter((m) => m.relay).map((m) => m.hello.nodeId);
    return { bound: bound.sort((a, b) => a - b), ...this.#counters };
  }

  /**
   * A relay connection: its first frame must be the token its node announced in hello (only a
   * member whose hello lists the relay has one); then every frame {u32 dst}{datagram}
   * goes to dst's relay connection as {u32 src}{datagram}.
   */
  /** `onBound` runs once the connection proved its token (the controller then stops treating it as pending). */
  accept(ws: WebSocket, nodeParam: string | null, onBound: () => void = () => {}): void {
    const id = nodeParam !== null && /^\d{1,10}$/.test(nodeParam) ? Number(nodeParam) : NaN;
    let bound: RelayMember | undefined;
    const refuse = (reason: string) => {
      this.#counters.bindsRejected++;
      log.warn(`refusing a relay connection for node ${nodeParam}: ${reason}`);
      ws.close(4003, reason.slice(0, 120));
      terminateSoon(ws);
    };
    const tokenTimer = setTimeout(() => refuse('no relay token in time'), this.tokenTimeoutMs);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (bound) {
        // Frames the node sent before it left still go out while the connection closes; a
        // connection replaced by a newer one for the same node is silent.
        if (!this.#replaced.has(ws)) this.#frame(bound.hello.nodeId, data);
        return;
      }
      if (ws.readyState !== ws.OPEN) return;
      clearTimeout(tokenTimer);
      const m = this.member(id);
      if (!isBinary || !m || !m.hello.relayToken || !equalBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), latin1(m.hello.relayToken))) {
        return refuse(`node ${nodeParam} has not said hello as a relay node with this token`);
      }
      if (m.relay && m.relay !== ws) {
        this.#replaced.add(m.relay);
        m.relay.close(4003, 'replaced by a new relay connection');
      }
      m.relay = ws;
      bound = m;
      onBound();
      log.info(`node ${id} bound its relay connection`);
      ws.send(new Uint8Array(4)); // {u32 0}: bound
    });
    ws.on('close', () => {
      clearTimeout(tokenTimer);
      if (bound && bound.relay === ws) bound.relay = undefined;
    });
    ws.on('error', () => {});
  }

  #frame(src: number, data: Buffer): void {
    const c = this.#counters;
    if (data.length < 4) {
      c.dropsMalformed++;
      return;
    }
    const dst = data.readUInt32BE(0);
    const to = this.member(dst)?.relay;
    if (!to || to.readyState !== to.OPEN) {
      if (this.fallback?.(src, dst, data.subarray(4))) {
        c.framesForwarded++;
        c.bytesForwarded += data.length - 4;
      } else c.dropsUnknownNode++;
      return;
    }
    if (to.bufferedAmount > RELAY_BUFFER_LIMIT) {
      c.dropsBackpressure++;
      return;
    }
    // The frame's bytes are this message's own: rewrite the prefix in place, no copy.
    data.writeUInt32BE(src, 0);
    to.send(data, { binary: true });
    c.framesForwarded++;
    c.bytesForwarded += data.length - 4;
  }

  /** Passes a datagram from `src` (not on the relay: the UDP bridge) to relay node `dst`; false if it has no relay connection. */
  deliver(dst: number, src: number, datagram: Uint8Array): boolean {
    const to = this.member(dst)?.relay;
    const c = this.#counters;
    if (!to || to.readyState !== to.OPEN) {
      c.dropsUnknownNode++;
      return false;
    }
    if (to.bufferedAmount > RELAY_BUFFER_LIMIT) {
      c.dropsBackpressure++;
      return false;
    }
    const frame = new Uint8Array(4 + datagram.length);
    new DataView(frame.buffer).setUint32(0, src);
    frame.set(datagram, 4);
    to.send(frame, { binary: true });
    c.framesForwarded++;
    c.bytesForwarded += datagram.length;
    return true;
  }
}
