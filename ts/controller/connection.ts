// The connections the controller's logic talks over, as interfaces: a node's control
// connection is a `ws` WebSocket (server.ts) or an in-realm pipe end (control/realm.ts), and
// both offer exactly this. Nothing here names a runtime's types, so the logic and its
// declarations stay usable in browsers.

/** A node's control connection: binary messages in, binary messages out. */
export interface ControlConnection {
  /** The value of `readyState` while the connection is open. */
  readonly OPEN: number;
  readonly readyState: number;
  send(data: Uint8Array, cb?: (err?: Error) => void): void;
  on(event: 'message', fn: (data: Uint8Array, isBinary: boolean) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/**
 * A relay frame as `ws` delivers it (a Node Buffer): the hub reads and rewrites its u32 node id
 * prefix in place, so it needs Buffer's two accessors, named here instead of Buffer itself.
 */
export type RelayFrame = Uint8Array & {
  readUInt32BE(offset: number): number;
  writeUInt32BE(value: number, offset: number): number;
};

/**
 * A relay node's datagram connection (`/relay`). Only a WebSocket server offers one, so in
 * practice it is a `ws` WebSocket; the hub needs its send queue to apply backpressure.
 */
export interface RelaySocket {
  readonly OPEN: number;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array, options?: { binary: boolean }): void;
  on(event: 'message', fn: (data: RelayFrame, isBinary: boolean) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  close(code?: number, reason?: string): void;
  terminate(): void;
}
