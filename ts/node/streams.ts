// A node's streams: `connect`, `listen`, and the table that routes the core's stream events
// to the NextminiStream (or pending connect, or listener) they belong to.
import { NextminiError, callCore, fromCoreError } from '../errors.js';
import { streamCoreParams, type StreamRuntimeConfig } from '../config/stream-config.js';
import { checkOptions } from '../options.js';
import type { Engine } from './engine.js';
import { NextminiStream } from './stream.js';

export interface ConnectArgs {
  dstNodeId: number;
  /** The port a listener waits on at `dstNodeId` (`dp.listen({ port })` there). */
  dstPort: number;
  /** This side's port; default: a free one from 49152..65535. */
  srcPort?: number;
  /** Give up connecting (ABORTED). Once connected the stream no longer watches it. */
  signal?: AbortSignal;
  /** Give up connecting after this many ms (TIMEOUT). Default: the core's idle timeout, 30 s. */
  timeoutMs?: number;
}

export interface ListenArgs {
  port: number;
}

/** The core's stream event kinds (core-rs/src/wasm/stream.rs). */
export const enum StreamEventKind {
  Connected = 1,
  Accepted = 2,
  Readable = 3,
  Writable = 4,
  Closed = 5,
  Error = 6,
}

/**
 * Connections accepted while the application is not iterating wait in the listener, up to the
 * node's `[stream] backlog` (this by default); beyond it new ones are reset (the connector sees
 * CONNECTION_RESET) and counted. The same number as the core's half-open backlog: a burst of
 * connects the core lets through completes in one drain, before the application's loop takes
 * the next, so a smaller queue would reset what the backlog was raised to admit.
 */
const DEFAULT_ACCEPT_QUEUE = 128;

/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Incoming streams on one port, as an async iterable:
 * `for await (const s of dp.listen({ port: 80 })) handle(s)`. `close()` stops accepting
 * (streams already accepted stay open) and ends the iteration.
 */
export class StreamListener implements AsyncIterable<NextminiStream> {
  readonly port: number;
  #queue: NextminiStream[] = [];
  #waiting: ((s: NextminiStream | null) => void)[] = [];
  #closed = false;
  #error: NextminiError | undefined;
  /** Connections reset because the accept queue was full. */
  overflowed = 0;
  readonly #onClose: () => void;
  readonly #queueLimit: number;

  /** @internal */
  constructor(port: number, onClose: () => void, queueLimit = DEFAULT_ACCEPT_QUEUE) {
    this.port = port;
    this.#onClose = onClose;
    this.#queueLimit = queueLimit;
  }

  /** @internal */
  push(s: NextminiStream): boolean {
    if (this.#closed) return false;
    const w = this.#waiting.shift();
    if (w) {
      w(s);
      return true;
    }
    if (this.#queue.length >= this.#queueLimit) {
      this.overflowed++;
      return false;
    }
    this.#queue.push(s);
    return true;
  }

  /** The next incoming stream; null once the listener is closed. */
  accept(): Promise<NextminiStream | null> {
    const s = this.#queue.shift();
    if (s) return Promise.resolve(s);
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((r) => this.#waiting.push(r));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<NextminiStream> {
    for (;;) {
      const s = await this.accept();
      if (!s) return;
      yield s;
    }
  }

  /** Stops accepting. Streams accepted but not yet taken are reset. Idempotent. */
  close(): void {
    this.#end(undefined);
  }

  /** @internal */
  end(err: NextminiError | undefined): void {
    this.#end(err);
  }

  #end(err: NextminiError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = err;
    this.#onClose();
    for (const s of this.#queue.splice(0)) s.abort(new Error('the listener was closed'));
    for (const w of this.#waiting.splice(0)) w(null);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

interface Pending {
  resolve(s: NextminiStream): void;
  reject(e: NextminiError): void;
}

export interface NodeStreamsOptions {
  nodeId: number;
  /** The node config's `[stream]` table. */
  config: StreamRuntimeConfig;
  /** Throws when the destination cannot be reached (PEER_DOWN). */
  assertUp(dst: number): void;
}

export class NodeStreams {
  readonly #engine: Engine;
  readonly #o: NodeStreamsOptions;
  readonly #open = new Map<number, NextminiStream>();
  readonly #pending = new Map<number, Pending>();
  /**
   * While a connect is inside its core call: Connected/Error events of connections with no
   * pending entry yet. A connection to this node itself completes in that call (the core loops
   * its frames back at once), before connect could register what the events settle.
   */
  #early: Map<number, { kind: StreamEventKind; error: string }> | undefined;
  readonly #listeners = new Map<number, StreamListener>();
  #closed = false;

  constructor(engine: Engine, o: NodeStreamsOptions) {
    this.#engine = engine;
    this.#o = o;
    callCore(() => engine.core.streamConfigure(streamCoreParams(o.config)));
    // Initial sequence numbers from the CSPRNG: the core's default seed (the node id) is guessable.
    const seed = crypto.getRandomValues(new Uint32Array(2));
    engine.core.streamReseed(seed[0]!, seed[1]!);
  }

  async connect(args: ConnectArgs): Promise<NextminiStream> {
    checkOptions('connect', args, ['dstNodeId', 'dstPort', 'srcPort', 'signal', 'timeoutMs']);
    if (args === undefined) throw new NextminiError('INVALID_ARGUMENT', 'connect: pass { dstNodeId, dstPort }');
    const dst = args.dstNodeId;
    if (!Number.isInteger(dst) || dst < 1 || dst > 0xffff_fffe) throw new NextminiError('INVALID_ARGUMENT', `connect: dstNodeId must be a node id >= 1, got ${String(dst)}`);
    checkStreamPort('connect: dstPort', args.dstPort);
    if (args.srcPort !== undefined) checkStreamPort('connect: srcPort', args.srcPort);
    const { signal, timeoutMs } = args;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw new NextminiError('INVALID_ARGUMENT', `connect: timeoutMs must be a positive number of ms, got ${String(timeoutMs)}`);
    if (signal?.aborted) throw new NextminiError('ABORTED', `connect to node ${dst} port ${args.dstPort} aborted`, { cause: signal.reason });
    this.#o.assertUp(dst);
    if (!this.#engine.core.streamRouteKnown(dst)) {
      throw new NextminiError(
        'NO_ROUTE',
        `connect: node ${this.#o.nodeId} has no route to node ${dst}: it is not in the topology, or the controller's routes do not take node ${this.#o.nodeId} there (a controller config file without [routing] installs only its [[routes]])`,
      );
    }
    this.#early = new Map();
    let id: number;
    let early: { kind: StreamEventKind; error: string } | undefined;
    try {
      id = this.#engine.run((core, now) => core.streamConnect(now, dst, args.dstPort, args.srcPort ?? 0));
      early = this.#early.get(id);
    } finally {
      this.#early = undefined;
    }
    return new Promise<NextminiStream>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const giveUp = (err: NextminiError) => {
        if (!this.#pending.delete(id)) return;
        cleanup();
        try {
          this.#engine.run((core, now) => core.streamAbort(now, id));
        } catch {
          // Already gone.
        }
        reject(err);
      };
      const onAbort = () => giveUp(new NextminiError('ABORTED', `connect to node ${dst} port ${args.dstPort} aborted`, { cause: signal?.reason }));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A timer holds at most 2^31-1 ms (more fires at once, with a warning); a longer wait, or
      // Infinity, needs no timer: the core's idle timeout ends a connect that gets no answer.
      if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) timer = setTimeout(() => giveUp(new NextminiError('TIMEOUT', `connect to node ${dst} port ${args.dstPort}: no answer within ${timeoutMs} ms`)), timeoutMs);
      this.#pending.set(id, {
        resolve: (s) => {
          cleanup();
          resolve(s);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      if (early) this.onEvent(early.kind, id, 0, early.error);
    });
  }

  listen(args: ListenArgs): StreamListener {
    checkOptions('listen', args, ['port']);
    if (args === undefined) throw new NextminiError('INVALID_ARGUMENT', 'listen: pass { port }');
    const port = checkStreamPort('listen: port', args.port);
    try {
      this.#engine.core.streamListen(port);
    } catch (err) {
      const e = fromCoreError(err);
      throw new NextminiError(e.code, `listen: ${e.message}`);
    }
    const l = new StreamListener(port, () => {
      if (this.#listeners.get(port) !== l) return;
      this.#listeners.delete(port);
      if (!this.#closed) this.#engine.run((core, now) => core.streamUnlisten(now, port));
    }, this.#o.config.backlog ?? DEFAULT_ACCEPT_QUEUE);
    this.#listeners.set(port, l);
    return l;
  }

  /** Open streams (connecting ones not counted). */
  get openCount(): number {
    return this.#open.size;
  }

  /** @internal A stream event drained from the core. */
  onEvent(kind: StreamEventKind, id: number, listener: number, error: string): void {
    switch (kind) {
      case StreamEventKind.Connected: {
        const p = this.#pending.get(id);
        if (!p) {
          this.#early?.set(id, { kind, error });
          return;
        }
        this.#pending.delete(id);
        const s = this.#adopt(id);
        if (s) p.resolve(s);
        else p.reject(new NextminiError('CONNECTION_RESET', `connect: node ${this.#o.nodeId}'s connection ${id} was reset as soon as it was established`));
        return;
      }
      case StreamEventKind.Accepted: {
        const l = this.#listeners.get(listener);
        // Gone already (the connector reset it right after its handshake): nothing to accept.
        const s = this.#adopt(id);
        if (!s) return;
        if (!l || !l.push(s)) s.abort(new Error(l ? 'the accept queue is full' : 'nobody listens any more'));
        return;
      }
      case StreamEventKind.Readable:
        this.#open.get(id)?.onReadable();
        return;
      case StreamEventKind.Writable:
        this.#open.get(id)?.onWritable();
        return;
      case StreamEventKind.Closed:
        this.#open.get(id)?.onClosed();
        return;
      case StreamEventKind.Error: {
        const err = fromCoreError(new Error(error));
        const p = this.#pending.get(id);
        if (p) {
          this.#pending.delete(id);
          p.reject(refusedWhy(err));
          return;
        }
        if (!this.#open.has(id)) this.#early?.set(id, { kind, error });
        this.#open.get(id)?.onError(err);
        return;
      }
    }
  }

  /**
   * The stream of a connection the core reported established; undefined when the core dropped
   * it in the same batch of events (e.g. the peer's ACK and RST arrived together), which a
   * hostile or hasty peer can cause at will: that must not throw out of the event dispatch.
   */
  #adopt(id: number): NextminiStream | undefined {
    let s: NextminiStream;
    try {
      s = new NextminiStream(this.#engine, id, () => {
        if (this.#open.get(id) === s) this.#open.delete(id);
      });
    } catch (err) {
      if (fromCoreError(err).code === 'CLOSED') return undefined;
      throw err;
    }
    this.#open.set(id, s);
    return s;
  }

  /** The node is closing: streams fail with CLOSED (their peers are reset), listeners end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new NextminiError('CLOSED', `node ${this.#o.nodeId} was closed`);
    for (const [, p] of this.#pending) p.reject(err);
    this.#pending.clear();
    for (const s of [...this.#open.values()]) s.onNodeClosed(this.#o.nodeId);
    for (const l of [...this.#listeners.values()]) l.end(undefined);
  }
}

/**
 * The core's refusal says "nothing listens on port N", but the same RST answers a SYN beyond a
 * listener's full backlog (a burst of connects to one port): name both causes, and the key.
 */
function refusedWhy(err: NextminiError): NextminiError {
  if (err.code !== 'CONNECTION_REFUSED' || !/nothing listens on port \d+$/.test(err.message)) return err;
  return new NextminiError(err.code, `${err.message}, or its listener's backlog of half-open connections is full (the [stream] backlog key there, default 128)`);
}

function checkStreamPort(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) throw new NextminiError('INVALID_ARGUMENT', `${name} must be a port in 1..65535, got ${String(v)}`);
  return v as number;
}
