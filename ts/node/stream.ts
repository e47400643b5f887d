// One reliable byte stream between two nodes, as WHATWG streams. The protocol lives in the
// core (core-rs/src/stream); this side only moves bytes between the core's buffers and the
// application's readable/writable, and turns the core's events into promise settlements.
import { NextminiError, isNextminiError } from '../errors.js';
import type { Engine } from './engine.js';

/** What `stream.stats()` reports. */
export interface StreamStats {
  /** Smoothed round-trip time in ms; null until measured. */
  rttMs: number | null;
  /** Congestion window in bytes. */
  cwndBytes: number;
  /** New payload bytes sent (retransmissions not counted). */
  bytesSent: number;
  /** Payload bytes received in order. */
  bytesReceived: number;
  /** Segments sent again after a loss or timeout. */
  retransmits: number;
  /** Bytes sent and not yet acknowledged. */
  bytesInFlight: number;
  /** Retransmission timeouts that fired with data in flight (each resends what was outstanding; loss found by acks costs none). */
  timeouts: number;
}

/**
 * Bytes per core read: large enough that a crossing moves a useful amount, small enough that
 * what the application has not asked for stays in the core's receive window (which is what
 * slows a writer down when its reader is slow).
 */
const READ_CHUNK = 64 * 1024;
/** Bytes per core write: a large chunk is offered in slices so a full send buffer does not mean copying the whole chunk again. */
const WRITE_SLICE = 256 * 1024;

/**
 * One wake-up for the one loop (pull or write) waiting on a core event. A wake with nobody
 * waiting is kept for the next wait: an event drained inside the call that found nothing must
 * not be lost (the loop re-checks, so a spare wake-up costs one empty call).
 */
class Signal {
  #waiting: (() => void) | undefined;
  #pending = false;
  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((r) => (this.#waiting = r));
  }
  wake(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w) w();
    else this.#pending = true;
  }
}

/** What a core call for a connection the core already dropped returns (see NextminiStream#call). */
const GONE = Symbol('gone');

const ZERO_STATS: StreamStats = { rttMs: null, cwndBytes: 0, bytesSent: 0, bytesReceived: 0, retransmits: 0, bytesInFlight: 0, timeouts: 0 };

/**
 * A connection between (this node, `localPort`) and (`remoteNodeId`, `remotePort`). Read from
 * `readable`, write to `writable` (a `Uint8Array`, or any `ArrayBufferView`/`ArrayBuffer`).
 * `writable.close()` half-closes: the peer reads to the end, and this side goes on reading
 * until the peer closes too. `close()` ends both directions; `abort()` resets the connection.
 */
export class NextminiStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly remoteNodeId: number;
  readonly remotePort: number;
  readonly localPort: number;
  /** Resolves when both directions finished cleanly; rejects with the error that ended the connection. */
  readonly closed: Promise<void>;

  readonly #engine: Engine;
  readonly #id: number;
  readonly #onGone: () => void;
  #readSignal = new Signal();
  #writeSignal = new Signal();
  #readController!: ReadableStreamDefaultController<Uint8Array>;
  #writeController!: WritableStreamDefaultController;
  /** Gone from the core: every later call is CLOSED, and nothing may call into it. */
  #gone = false;
  #error: NextminiError | undefined;
  /** The core reported the end of the peer's data (and everything before it was read). */
  #eof = false;
  /** The core's Closed event: both FINs are through. */
  #closedEvent = false;
  /** The application cancelled reading: data still arriving is read and thrown away, so the peer is not blocked. */
  #discarding = false;
  #writeEnded = false;
  /** The sink's write in progress (settled, never rejecting): the end of the data must follow its last byte. */
  #writing: Promise<void> = Promise.resolve();
  #settleClosed!: { resolve(): void; reject(e: NextminiError): void };
  /** The core's counters as last read (kept once the connection is gone). */
  #stats: StreamStats = { ...ZERO_STATS };
  /** Bytes handed to the application (or discarded after a cancel): a floor for the core's count, which stops with the connection. */
  #readBytes = 0;

  /** @internal Made by the node's stream table for a connection the core opened. */
  constructor(engine: Engine, id: number, onGone: () => void) {
    this.#engine = engine;
    this.#id = id;
    this.#onGone = onGone;
    const info = engine.core.streamInfo(id);
    this.remoteNodeId = info[0]!;
    this.remotePort = info[1]!;
    this.localPort = info[2]!;
    this.closed = new Promise<void>((resolve, reject) => (this.#settleClosed = { resolve, reject }));
    // An application that never looks at `closed` must not see an unhandled rejection.
    this.closed.catch(() => {});
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#readController = c;
        },
        pull: (c) => this.#pull(c),
        cancel: () => {
          this.#discarding = true;
          this.#drainDiscarded();
        },
      },
      { highWaterMark: READ_CHUNK, size: (chunk) => chunk.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>({
      start: (c) => {
        this.#writeController = c;
      },
      write: (chunk) => this.#write(chunk),
      close: () => this.#finishWriting(),
      abort: (reason) => this.#abort(reason, 'the writable side was aborted'),
    });
  }

  /**
   * The readable's chunks: `for await (const chunk of stream)`. Leaving the loop early releases
   * the readable without cancelling it (read on later, or `close()`).
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    const reader = this.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  toString(): string {
    return `stream :${this.localPort} <-> node ${this.remoteNodeId}:${this.remotePort}`;
  }

  async #pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#gone) {
        // Ended by an event: the controller was closed or errored there.
        return;
      }
      const want = Math.min(Math.max(c.desiredSize ?? READ_CHUNK, 16 * 1024), READ_CHUNK * 4);
      const data = this.#call((core, now) => core.streamRead(now, this.#id, want));
      if (data === GONE) return;
      if (data === undefined) {
        this.#eof = true;
        this.#endReadable();
        this.#maybeDone();
        return;
      }
      if (data.length > 0) {
        this.#readBytes += data.length;
        c.enqueue(data);
        return;
      }
      await this.#readSignal.wait();
    }
  }

  #drainDiscarded(): void {
    while (this.#discarding && !this.#gone && !this.#eof) {
      const data = this.#call((core, now) => core.streamRead(now, this.#id, READ_CHUNK * 4));
      if (data === GONE) return;
      if (data === undefined) {
        this.#eof = true;
        this.#maybeDone();
        return;
      }
      if (data.length === 0) return;
      this.#readBytes += data.length;
    }
  }

  /** Ends the application's readable (no-op when it was already closed or cancelled). */
  #endReadable(): void {
    try {
      this.#readController.close();
    } catch {
      // Already closed or cancelled by the application.
    }
  }

  #write(chunk: Uint8Array): Promise<void> {
    const p = this.#writeAll(chunk);
    this.#writing = p.catch(() => {});
    return p;
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    // Only close() with the writable locked gets here after the end: the writer's later writes.
    if (this.#writeEnded) throw this.#error ?? closedError(this);
    let bytes: Uint8Array;
    try {
      bytes = toBytes(chunk);
    } catch (err) {
      // WHATWG: a failed write errors the writable for good, so the data can never be ended
      // cleanly; reset the connection rather than leave the peer waiting for bytes or a FIN.
      this.#reset(err as NextminiError);
      throw err;
    }
    let off = 0;
    while (off < bytes.length) {
      if (this.#gone) throw this.#error ?? closedError(this);
      const slice = bytes.subarray(off, off + WRITE_SLICE);
      const n = this.#call((core, now) => core.streamWrite(now, this.#id, slice));
      if (n === GONE) throw await this.#why();
      off += n;
      if (off < bytes.length && n < slice.length) await this.#writeSignal.wait();
    }
  }

  async #finishWriting(): Promise<void> {
    if (this.#writeEnded) return;
    this.#writeEnded = true;
    // close() with the writable locked may come while a write is still going: that write
    // completes first, or the FIN would cut it short.
    await this.#writing;
    if (this.#gone) {
      if (this.#error) throw this.#error;
      return;
    }
    if (this.#call((core, now) => core.streamClose(now, this.#id)) === GONE) throw await this.#why();
  }

  /**
   * Ends both directions: what was written is still delivered (a FIN follows it), what arrives
   * from now on is read and thrown away. Resolves when the peer closed too; rejects if the
   * connection failed first (e.g. the peer reset it, or went silent: TIMEOUT).
   */
  async close(): Promise<void> {
    if (!this.#gone) {
      // Reading stops first: the writable's close waits for writes still queued, which may wait
      // for a peer that is itself blocked writing to us until we take its bytes.
      if (!this.#eof && !this.#discarding) {
        // What arrives from now on is thrown away; a reader holding the readable sees its end.
        this.#discarding = true;
        if (this.readable.locked) this.#endReadable();
        else await this.readable.cancel().catch(() => {});
        this.#drainDiscarded();
      }
      if (!this.#writeEnded && !this.#gone) {
        // It throws only when the connection already failed, which `closed` reports.
        if (this.writable.locked) void this.#finishWriting().catch(() => {});
        else await this.writable.close().catch(() => {});
      }
    }
    return this.closed;
  }

  /**
   * Ends the connection at once: buffered data is dropped and the peer's stream fails with
   * CONNECTION_RESET. Local reads and writes fail with ABORTED (carrying `reason` as cause).
   */
  abort(reason?: unknown): void {
    this.#abort(reason, 'the stream was aborted');
  }

  #abort(reason: unknown, what: string): void {
    this.#reset(new NextminiError('ABORTED', `${this}: ${what}`, { cause: reason }));
  }

  /** Resets the connection (the peer sees CONNECTION_RESET) and fails this side with `err`. */
  #reset(err: NextminiError): void {
    if (this.#gone) return;
    this.#refreshStats();
    this.#call((core, now) => core.streamAbort(now, this.#id));
    this.#fail(err);
  }

  /**
   * A core call for this connection. The core may have dropped it already (say the peer's data
   * and RST came in one batch: the Readable event is dispatched while the connection is gone,
   * its Error event next): then GONE, never a throw, which out of an event handler would stop
   * the node's event dispatch (the Error event included) and surface as an uncaught exception.
   */
  #call<T>(fn: (core: Engine['core'], now: number) => T): T | typeof GONE {
    try {
      return this.#engine.run(fn);
    } catch (err) {
      if (!isNextminiError(err, 'CLOSED')) throw err;
      // The Error event of the same batch says why; if none comes, CLOSED it is.
      queueMicrotask(() => this.#fail(err));
      return GONE;
    }
  }

  /** The error that ended the connection, once the events of the current batch were dispatched. */
  async #why(): Promise<NextminiError> {
    await new Promise<void>((r) => setTimeout(r, 0));
    return this.#error ?? closedError(this);
  }

  /** Counters of this connection; after it ended, their last values. */
  stats(): StreamStats {
    this.#refreshStats();
    return { ...this.#stats, bytesReceived: Math.max(this.#stats.bytesReceived, this.#readBytes) };
  }

  #refreshStats(): void {
    if (this.#gone) return;
    let v: ArrayLike<number>;
    try {
      v = this.#engine.core.streamStats(this.#id);
    } catch {
      // Dropped by the core a moment ago (its Error event is on its way): keep the last values.
      return;
    }
    this.#stats = {
      rttMs: v[0]! < 0 ? null : v[0]! / 1000,
      cwndBytes: v[1]!,
      bytesSent: v[2]!,
      bytesReceived: v[3]!,
      retransmits: v[4]!,
      bytesInFlight: v[5]!,
      timeouts: v[6]!,
    };
  }

  /** @internal The core's events for this connection. */
  onReadable(): void {
    this.#readSignal.wake();
    if (this.#discarding) this.#drainDiscarded();
  }
  /** @internal */
  onWritable(): void {
    this.#writeSignal.wake();
  }
  /** @internal Both FINs are through; unread data may remain (the core keeps it until read). */
  onClosed(): void {
    this.#closedEvent = true;
    this.#refreshStats();
    this.#readSignal.wake();
    this.#maybeDone();
  }
  /** @internal The core dropped the connection. */
  onError(err: NextminiError): void {
    this.#fail(err);
  }
  /** @internal The node is closing. */
  onNodeClosed(nodeId: number): void {
    if (this.#gone) return;
    this.#refreshStats();
    try {
      this.#engine.run((core, now) => core.streamAbort(now, this.#id));
    } catch {
      // Best effort: the peer times out otherwise.
    }
    this.#fail(new NextminiError('CLOSED', `${this}: node ${nodeId} was closed`));
  }

  /** Finished once the core said both FINs went through and the end of the data was read. */
  #maybeDone(): void {
    if (this.#gone || !this.#eof || !this.#closedEvent) return;
    this.#gone = true;
    this.#onGone();
    this.#settleClosed.resolve();
  }

  #fail(err: NextminiError): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#error = err;
    this.#onGone();
    try {
      this.#readController.error(err);
    } catch {
      // Closed already.
    }
    try {
      this.#writeController.error(err);
    } catch {
      // Closed already.
    }
    this.#readSignal.wake();
    this.#writeSignal.wake();
    this.#settleClosed.reject(err);
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  try {
    if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  } catch (err) {
    // A detached (transferred) buffer: the runtime's TypeError would not carry a code.
    throw new NextminiError('INVALID_ARGUMENT', `stream writes take bytes, but ${chunk instanceof ArrayBuffer ? 'this ArrayBuffer' : "this view's ArrayBuffer"} is detached (it was transferred): ${(err as Error).message}`, { cause: err });
  }
  if (typeof chunk === 'string') throw new NextminiError('INVALID_ARGUMENT', 'stream writes take bytes, not strings: pipe through a TextEncoderStream, or write new TextEncoder().encode(text)');
  throw new NextminiError('INVALID_ARGUMENT', `stream writes take a Uint8Array (or another ArrayBufferView or ArrayBuffer), got ${chunk === null ? 'null' : typeof chunk}`);
}

function closedError(s: NextminiStream): NextminiError {
  return new NextminiError('CLOSED', `${s} is closed`);
}
