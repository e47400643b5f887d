// A WebSocket that works in every runtime: the platform's own where there is one (browsers,
// Deno, Bun, Node >= 22), the `ws` package otherwise (Node 20).
import { WebSocket as WsWebSocket } from 'ws';

export interface MessageSocket {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
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
  send(d: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
};

export function openSocket(url: string, h: SocketHandlers): MessageSocket {
  const Native = (globalThis as { WebSocket?: new (url: string) => AnySocket }).WebSocket;
  const ws: AnySocket = Native ? new Native(url) : (new WsWebSocket(url) as unknown as AnySocket);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => h.onOpen();
  ws.onmessage = (ev: { data: unknown }) => {
    const d = ev.data;
    if (d instanceof ArrayBuffer) h.onMessage(new Uint8Array(d));
    else if (ArrayBuffer.isView(d)) h.onMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  };
  ws.onclose = (ev: { code: number; reason: string }) => h.onClose(ev.code, ev.reason);
  ws.onerror = (ev: { error?: unknown; message?: string }) => h.onError(ev.error ?? ev.message ?? ev);
  return ws;
}
