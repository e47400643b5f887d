import { NextminiError } from '../errors.js';

export interface WaitOptions {
  /** Resolve false after this many milliseconds. Default: wait forever. */
  timeoutMs?: number;
  /** Abort the wait; rejects with NextminiError code ABORTED. */
  signal?: AbortSignal;
}

/**
 * Promises waiting for one condition. State-based: callers check the condition first and
 * only wait when it does not hold yet; a wake-up never consumes anything, so any number of
 * waiters (and later callers) see the same state.
 */
export class Waiters {
  #pending = new Set<{ settle(v: boolean): void }>();

  wait(options: WaitOptions = {}): Promise<boolean> {
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(new NextminiError('ABORTED', 'wait aborted', { cause: signal.reason }));
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const entry = {
        settle: (v: boolean) => {
          cleanup();
          resolve(v);
        },
      };
      const onAbort = () => {
        cleanup();
        reject(new NextminiError('ABORTED', 'wait aborted', { cause: signal?.reason }));
      };
      const cleanup = () => {
        this.#pending.delete(entry);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (timeoutMs !== undefined) timer = setTimeout(() => entry.settle(false), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(entry);
    });
  }

  /** Settles every current waiter with `value`. */
  wakeAll(value: boolean): void {
    for (const e of [...this.#pending]) e.settle(value);
  }
}

/**
 * Waiters on conditions over changing state: each waits for its own predicate; `recheck()`
 * after every state change settles the ones whose predicate now holds.
 */
export class Conditions {
  #waiting = new Set<{ pred: () => boolean; waiters: Waiters }>();

  /** Resolves true at once when `pred` holds, else when a recheck finds it true; false on timeout. */
  wait(pred: () => boolean, options: WaitOptions = {}): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    const entry = { pred, waiters: new Waiters() };
    this.#waiting.add(entry);
    return entry.waiters.wait(options).finally(() => this.#waiting.delete(entry));
  }

  recheck(): void {
    for (const e of [...this.#waiting]) if (e.pred()) e.waiters.wakeAll(true);
  }

  /** Settles every waiter with false (e.g. on close). */
  cancelAll(): void {
    for (const e of [...this.#waiting]) e.waiters.wakeAll(false);
  }
}
