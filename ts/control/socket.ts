// A WebSocket that works in every runtime: the platform's own where there is one (browsers,
// Deno, Bun, Node >= 22), otherwise a constructor the entry injects (the `ws` package on
// Node 20). Nothing here imports a node-only module, so browsers can bundle it.
import { NextminiError } from '../errors.js';
import { isRealmUrl, openRealmSocket } from './realm.js';

export interface MessageSocket {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
  /** Bytes queued by send() and not yet handed to the network. */
  readonly bufferedAmount: number;
}

export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: Uint8Array): void;
  onClose(code: number, reason: string): void;
  onError(err: unknown): void;
}

type AnySocket = {
  binaryType: string;
  readyState: number;
  bufferedAmount: number;
  send(d: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
};

export type WebSocketConstructor = new (url: string, options?: { ca?: string }) => unknown;

export interface SocketOptions {
  /** PEM certificate(s) to trust for a wss:// URL, besides the system's. */
  ca?: string;
}

let fallback: WebSocketConstructor | undefined;

/**
 * The `ws` package where the entry offers it (Node, Bun, Deno through npm): used where the
 * runtime has no global WebSocket (Node 20), and wherever a CA must be given, which the
 * standard WebSocket constructor cannot take.
 */
export function setWebSocketFallback(ctor: WebSocketConstructor): void {
  fallback = ctor;
}

export function openSocket(url: string, h: SocketHandlers, options: SocketOptions = {}): MessageSocket {
  // realm://<id>: a controller in this realm, reached through an in-memory pipe (realm.ts).
  if (isRealmUrl(url)) return openRealmSocket(url, h);
  let ws: AnySocket;
  if (options.ca !== undefined) {
    if (!fallback) {
      throw new NextminiError('CONFIG_INVALID', 'a ca file cannot be used in this runtime (its WebSocket takes no CA); add the CA to the system or browser trust store instead');
    }
    ws = new fallback(url, { ca: options.ca }) as AnySocket;
  } else {
    const Ctor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? fallback;
    if (!Ctor) throw new NextminiError('CONTROLLER_UNREACHABLE', 'this runtime has no WebSocket implementation');
    ws = new Ctor(url) as AnySocket;
  }
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => h.onOpen();
  ws.onmessage = (ev: { data: unknown }) => {
    const d = ev.data;
    if (d instanceof ArrayBuffer) h.onMessage(new Uint8Array(d));
    else if (ArrayBuffer.isView(d)) h.onMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  };
  ws.onclose = (ev: { code: number; reason: string }) => h.onClose(ev.code, ev.reason);
  // A browser's error event carries no reason at all (by design, so pages cannot probe
  // networks): say what we know rather than "[object Event]".
  ws.onerror = (ev: { error?: unknown; message?: string }) => h.onError(ev.error ?? ev.message ?? `could not connect to ${url} (the runtime gives no reason; is a controller listening there?)`);
  return ws;
}
