// The in-realm control channel: a controller running in this JavaScript realm (process,
// worker, tab) registers under an id, and a node whose controller_addr is `realm://<id>`
// reaches it through an in-memory pipe instead of a WebSocket. The node end is a
// MessageSocket (what openSocket returns); the controller end offers the part of the `ws`
// WebSocket API the controller's connection handler uses, so a pipe goes through the same
// admission, authentication and limits as a WebSocket. There is no raw socket to cap, so the
// pipe itself counts the bytes a node sends before it is admitted (max_hello_bytes).
// Messages are copied (a sender may reuse its buffer) and delivered in order from microtasks,
// never synchronously. Nothing here imports a node-only module, so browsers can bundle it.
import type { MessageSocket, SocketHandlers } from './socket.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

type Listener = (...args: never[]) => void;

/** The controller's end of a pipe: the subset of `ws`'s WebSocket the controller uses. */
export class PipeEnd {
  readonly OPEN = OPEN;
  readyState = CONNECTING;
  readonly #listeners = new Map<string, Listener[]>();
  readonly #node: SocketHandlers;
  #cap: { seen: number; limit: number; onExceeded: () => void } | undefined;

  /** @internal */
  constructor(node: SocketHandlers) {
    this.#node = node;
  }

  on(event: 'message' | 'close' | 'error', fn: Listener): this {
    let l = this.#listeners.get(event);
    if (!l) this.#listeners.set(event, (l = []));
    l.push(fn);
    return this;
  }

  #emit(event: string, ...args: unknown[]): void {
    for (const fn of this.#listeners.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }

  /** Controller -> node. */
  send(data: Uint8Array, cb?: (err?: Error) => void): void {
    if (this.readyState !== OPEN) {
      if (cb) queueMicrotask(() => cb(new Error('the pipe is not open')));
      return;
    }
    const copy = data.slice();
    queueMicrotask(() => {
      if (this.readyState === OPEN) this.#node.onMessage(copy);
      cb?.();
    });
  }

  close(code = 1000, reason = ''): void {
    this.#end(code, reason);
  }

  terminate(): void {
    this.#end(1006, '');
  }

  /**
   * Counts the bytes the node sends and ends the pipe past `limit` (max_hello_bytes). Returns a
   * function that stops counting (once the node is admitted).
   */
  capBytes(limit: number, onExceeded: () => void): () => void {
    this.#cap = { seen: 0, limit, onExceeded };
    return () => {
      this.#cap = undefined;
    };
  }

  /** @internal the node's side opened (the controller attached its listeners). */
  open(): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.#node.onOpen();
  }

  /** @internal node -> controller */
  fromNode(data: Uint8Array): void {
    if (this.readyState !== OPEN) return;
    const cap = this.#cap;
    if (cap && (cap.seen += data.length) > cap.limit) {
      this.#cap = undefined;
      cap.onExceeded();
      this.terminate();
      return;
    }
    const copy = data.slice();
    queueMicrotask(() => {
      if (this.readyState === OPEN) this.#emit('message', copy, true);
    });
  }

  /** Both sides learn of the end, each from a microtask. */
  #end(code: number, reason: string): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    queueMicrotask(() => {
      this.readyState = CLOSED;
      this.#node.onClose(code, reason);
      this.#emit('close', code, reason);
    });
  }
}

/** What a controller registers: it takes each new pipe's controller end. */
export type PipeAcceptor = (end: PipeEnd) => void;

const controllers = new Map<string, PipeAcceptor>();
let nextId = 1;

/** Registers a controller in this realm; returns its `realm://<id>` URL and a way to unregister. */
export function registerRealmController(accept: PipeAcceptor): { url: string; unregister: () => void } {
  const id = `controller-${nextId++}`;
  controllers.set(id, accept);
  return { url: `realm://${id}`, unregister: () => void controllers.delete(id) };
}

export const isRealmUrl = (url: string): boolean => url.startsWith('realm://');

/** The node side: a MessageSocket connected to the controller registered under the URL's id. */
export function openRealmSocket(url: string, h: SocketHandlers): MessageSocket {
  const id = url.slice('realm://'.length).replace(/\/+$/, '');
  const accept = controllers.get(id);
  const end = new PipeEnd(h);
  const socket: MessageSocket = {
    get readyState() {
      return end.readyState;
    },
    bufferedAmount: 0,
    send: (data) => end.fromNode(data),
    close: (code = 1000, reason = '') => end.close(code, reason),
  };
  queueMicrotask(() => {
    if (!accept || !controllers.has(id)) {
      h.onError(new Error(`no controller is registered at ${url} in this realm`));
      end.readyState = CLOSED;
      h.onClose(1006, '');
      return;
    }
    end.open();
    accept(end);
  });
  return socket;
}
