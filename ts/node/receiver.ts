import { NextminiError } from '../errors.js';
import { checkOptions, WAIT_KEYS } from '../options.js';
import type { PacketView } from '../packet.js';

/** One message delivered to this node. */
export interface PayloadDelivery {
  /** The payload bytes (shared with `frozenPayload`; treat as read-only). */
  readonly payload: Uint8Array;
  readonly frozenPayload: PacketView;
  /** (srcNodeId << 32) | (srcPort << 16) | dstPort: identifies the flow at this receiver. */
  readonly flowId: bigint;
  readonly srcNodeId: number;
  /** User-space address of the source node (dotted IPv4). */
  readonly srcIp: string;
  /** User-space address of this node, or the group address for multicast. */
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly messageId: number;
  readonly totalLen: number;
  readonly fragmentCount: number;
}

export interface RecvOptions {
  /** Give up after this many milliseconds and resolve null. Default: wait forever. */
  timeoutMs?: number;
  /** Abort the wait; the promise rejects with NextminiError code ABORTED. */
  signal?: AbortSignal;
}

interface Waiter {
  resolve(d: PayloadDelivery | null): void;
  reject(e: unknown): void;
  cleanup(): void;
}

/**
 * Deliveries of one flow. Buffers up to `capacity` deliveries; beyond that the oldest is
 * dropped and counted in `dropped` (a slow reader must not grow memory without bound).
 */
export class PacketReceiver implements AsyncIterable<PayloadDelivery> {
  readonly #queue: PayloadDelivery[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #capacity: number;
  readonly #onClose: () => void;
  #closed = false;
  #dropped = 0;

  /** @internal Created by Dataplane.registerReceiver*(). */
  constructor(
    readonly description: string,
    capacity: number,
    onClose: () => void,
  ) {
    this.#capacity = capacity;
    this.#onClose = onClose;
  }

  /** Deliveries dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Deliveries waiting to be read. */
  get pending(): number {
    return this.#queue.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  push(d: PayloadDelivery): void {
    if (this.#closed) return;
    const w = this.#waiters.shift();
    if (w) {
      w.cleanup();
      w.resolve(d);
      return;
    }
    if (this.#queue.length >= this.#capacity) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push(d);
  }

  /**
   * The next delivery, or null on timeout. Rejects with CLOSED once the receiver is closed
   * and empty, and with ABORTED when `signal` aborts.
   */
  recv(options: RecvOptions = {}): Promise<PayloadDelivery | null> {
    try {
      checkOptions('recv', options, WAIT_KEYS);
    } catch (err) {
      return Promise.reject(err);
    }
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    if (this.#closed) return Promise.reject(new NextminiError('CLOSED', `receiver ${this.description} is closed`));
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(new NextminiError('ABORTED', 'recv aborted', { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        remove();
        reject(new NextminiError('ABORTED', 'recv aborted', { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      const remove = () => {
        waiter.cleanup();
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          remove();
          resolve(null);
        }, Math.max(0, timeoutMs));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Iterates deliveries until the receiver is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<PayloadDelivery> {
    for (;;) {
      if (this.#closed && this.#queue.length === 0) return;
      try {
        const d = await this.recv();
        if (d) yield d;
      } catch (err) {
        if (err instanceof NextminiError && err.code === 'CLOSED') return;
        throw err;
      }
    }
  }

  /** Unsubscribes the flow; pending waiters get CLOSED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    for (const w of this.#waiters.splice(0)) {
      w.cleanup();
      w.reject(new NextminiError('CLOSED', `receiver ${this.description} is closed`));
    }
  }
}
