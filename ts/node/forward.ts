// Unmodified TCP applications across the network: `forward` listens on a local TCP port and
// carries each accepted connection over a stream to (node, port); `expose` accepts streams on a
// port and connects each to a local TCP address. A client on one side reaches a server on the
// other through the emulated topology (its routes, delays, losses and rates).
// Node's `node:net` (also in Deno and Bun); browsers have no TCP.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { NextminiError } from '../errors.js';
import { checkOptions } from '../options.js';
import type { Dataplane } from './dataplane.js';
import type { NextminiStream } from './stream.js';
import type { StreamListener } from './streams.js';

export interface HostPort {
  host?: string;
  port: number;
}

export interface ForwardArgs {
  dataplane: Dataplane;
  /** The local TCP port to listen on (127.0.0.1 unless a host is given; port 0 picks a free one). */
  listen: number | HostPort;
  /** Where each connection goes: a stream to this node and port (an `expose` there). */
  to: { nodeId: number; port: number };
  /** Closes the forwarder. */
  signal?: AbortSignal;
  /** Called with each connection's failure as it happens (refused, no route, reset, timed out), e.g. for a log line. */
  onError?: (err: Error) => void;
}

export interface ExposeArgs {
  dataplane: Dataplane;
  /** The stream port to accept on (what the other side's `forward` names in `to.port`). */
  port: number;
  /** The TCP server each stream is connected to (host default 127.0.0.1). */
  target: number | HostPort;
  signal?: AbortSignal;
  /** Called with each connection's failure as it happens (target refused, reset, timed out), e.g. for a log line. */
  onError?: (err: Error) => void;
}

/** Counters of a forwarder or an exposer. */
export interface SpliceStats {
  /** Connections carried so far (open ones included). */
  connections: number;
  /** Open now. */
  open: number;
  /** Connections that ended with an error (refused, reset, timed out). */
  failed: number;
  /** Bytes from the TCP side into the network. */
  bytesToNetwork: number;
  /** Bytes from the network to the TCP side. */
  bytesFromNetwork: number;
  /** The last failure, for a log line. */
  lastError: string | undefined;
}

export interface Forwarder {
  /** Where it listens (the port filled in when 0 was asked for). */
  readonly address: { host: string; port: number };
  stats(): SpliceStats;
  /** Stops listening and ends the connections it carries. */
  close(): Promise<void>;
}

export interface Exposer {
  readonly port: number;
  stats(): SpliceStats;
  close(): Promise<void>;
}

function hostPort(what: string, v: unknown, allowZero: boolean): { host: string; port: number } {
  const o = typeof v === 'number' ? { port: v } : v;
  if (o === null || typeof o !== 'object') throw new NextminiError('INVALID_ARGUMENT', `${what} must be a port number or { host, port }, got ${String(v)}`);
  const { host = '127.0.0.1', port } = o as HostPort;
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) throw new NextminiError('INVALID_ARGUMENT', `${what}: port must be ${allowZero ? '0' : '1'}..65535, got ${String(port)}`);
  if (typeof host !== 'string' || host === '') throw new NextminiError('INVALID_ARGUMENT', `${what}: host must be a non-empty string, got ${String(host)}`);
  return { host, port };
}

function newStats(): SpliceStats {
  return { connections: 0, open: 0, failed: 0, bytesToNetwork: 0, bytesFromNetwork: 0, lastError: undefined };
}

/** Counts a failed connection and tells the application's onError (whose own throw must not tear anything down). */
function failure(stats: SpliceStats, onError: ((err: Error) => void) | undefined, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  stats.failed++;
  stats.lastError = e.message;
  try {
    onError?.(e);
  } catch {
    // The application's callback; a failure there is not the connection's.
  }
}

/** One connection being carried: `done` settles once both sides are torn down or finished. */
interface Splice {
  done: Promise<void>;
  /** Ends it now (the forwarder or exposer is closing): not counted as a failure. */
  stop(): void;
}

/*
 * Not exported: the shipped declarations must not name node:net's Socket, or a consumer
 * without @types/node (e.g. browser code) fails to type-check the package.
 *
 * Joins a TCP socket and a stream until both directions ended: what the socket sends goes into
 * the stream and the other way round, each with backpressure (a slow side pauses the other);
 * an end on one side is a half-close on the other; an error on either side tears both down
 * (the stream's peer sees CONNECTION_RESET, the socket's peer a reset connection). A socket
 * that closes before both ends went through (destroyed locally, e.g. by close()) resets the
 * stream too, or the far side would hold its connection open for good.
 */
function splice(socket: Socket, s: NextminiStream, stats: SpliceStats, onError: ((err: Error) => void) | undefined): Splice {
  stats.connections++;
  stats.open++;
  const writer = s.writable.getWriter();
  const reader = s.readable.getReader();
  let failed = false;
  /** The stream's data ended and the socket was told (socket.end). */
  let downDone = false;
  const tearDown = (err: unknown, count: boolean): void => {
    if (failed) return;
    failed = true;
    if (count) failure(stats, onError, err);
    s.abort(err);
    socket.destroy();
  };
  const fail = (err: unknown): void => tearDown(err, true);
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    stats.bytesToNetwork += chunk.length;
    // One write in flight at a time: the socket waits while the stream's send buffer is full.
    socket.pause();
    writer.write(chunk).then(
      () => socket.resume(),
      (err: unknown) => fail(err),
    );
  });
  socket.on('end', () => {
    writer.close().catch((err: unknown) => fail(err));
  });
  socket.on('error', (err) => fail(err));
  const down = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (socket.destroyed) return;
      stats.bytesFromNetwork += value.length;
      if (!socket.write(value)) {
        await new Promise<void>((r) => {
          const go = () => {
            socket.off('drain', go);
            socket.off('close', go);
            r();
          };
          socket.on('drain', go);
          socket.on('close', go);
        });
        if (socket.destroyed) return;
      }
    }
    downDone = true;
    socket.end();
  })().catch((err: unknown) => fail(err));
  const done = new Promise<void>((resolve) => {
    socket.on('close', () => {
      // Closed cleanly after both ends: the stream finishes on its own (its close completes
      // once the peer acknowledged). Otherwise the stream is reset, which also ends `down`.
      if (!failed && !(downDone && socket.readableEnded)) fail(new Error('the TCP connection closed before its end'));
      void down.then(() => {
        stats.open--;
        resolve();
      });
    });
  });
  return { done, stop: () => tearDown(new Error('closed by its forwarder or exposer'), false) };
}

/**
 * Listens on a local TCP port and carries each connection over a stream to `to`
 * (`expose({ port: to.port })` there). A connection the far side cannot take (nothing exposed:
 * CONNECTION_REFUSED, or no route) is closed at once and counted in `stats().failed`.
 */
export async function forward(args: ForwardArgs): Promise<Forwarder> {
  checkOptions('forward', args, ['dataplane', 'listen', 'to', 'signal', 'onError']);
  if (!args?.dataplane) throw new NextminiError('INVALID_ARGUMENT', 'forward: pass { dataplane, listen, to }');
  const dp = args.dataplane;
  const at = hostPort('forward: listen', args.listen, true);
  const to = args.to;
  if (!to || typeof to !== 'object') throw new NextminiError('INVALID_ARGUMENT', `forward: to must be { nodeId, port }, got ${JSON.stringify(to)}`);
  // Checked here, not by each connect: a bad target would otherwise fail every connection.
  if (!Number.isInteger(to.nodeId) || to.nodeId < 1 || to.nodeId > 0xffff_fffe) throw new NextminiError('INVALID_ARGUMENT', `forward: to.nodeId must be a node id >= 1, got ${String(to.nodeId)}`);
  if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) throw new NextminiError('INVALID_ARGUMENT', `forward: to.port must be a stream port in 1..65535, got ${String(to.port)}`);
  // A closed node would make a listener that fails every connection: CLOSED now instead
  // (stats() is the node's cheapest call that checks it is open).
  dp.stats();
  const stats = newStats();
  const sockets = new Set<Socket>();
  const splices = new Set<Splice>();
  let closed = false;
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    dp.connect({ dstNodeId: to.nodeId, dstPort: to.port }).then(
      (s) => {
        if (socket.destroyed || closed) {
          socket.destroy();
          return s.abort(new Error('the TCP client left'));
        }
        const sp = splice(socket, s, stats, args.onError);
        splices.add(sp);
        void sp.done.then(() => splices.delete(sp));
        socket.resume();
      },
      (err: unknown) => {
        stats.connections++;
        failure(stats, args.onError, err);
        socket.destroy();
        // The node was closed: nothing can be carried any more, so stop accepting (clients
        // are refused rather than accepted and dropped).
        if (err instanceof NextminiError && err.code === 'CLOSED') void close();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new NextminiError('INVALID_ARGUMENT', `forward: cannot listen on ${at.host}:${at.port}: ${err.message}`, { cause: err })));
    server.listen(at.port, at.host, () => resolve());
  });
  const addr = server.address();
  const address = { host: at.host, port: typeof addr === 'object' && addr ? addr.port : at.port };
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const ending = new Promise<void>((r) => server.close(() => r()));
    // Carried connections are reset (their streams too, so the far side lets go); connections
    // still connecting are dropped when their connect settles.
    for (const sp of splices) sp.stop();
    for (const s of sockets) s.destroy();
    await Promise.all([ending, ...[...splices].map((sp) => sp.done)]);
  };
  args.signal?.addEventListener('abort', () => void close(), { once: true });
  if (args.signal?.aborted) await close();
  return { address, stats: () => ({ ...stats }), close };
}

/**
 * Accepts streams on `port` and connects each to the TCP server at `target`. A target that
 * refuses resets the stream (the forwarding side's client sees its connection closed).
 */
export function expose(args: ExposeArgs): Exposer {
  checkOptions('expose', args, ['dataplane', 'port', 'target', 'signal', 'onError']);
  if (!args?.dataplane) throw new NextminiError('INVALID_ARGUMENT', 'expose: pass { dataplane, port, target }');
  const target = hostPort('expose: target', args.target, false);
  // Checked here so the message names expose's argument, not the listen() inside it.
  if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) throw new NextminiError('INVALID_ARGUMENT', `expose: port must be a stream port in 1..65535, got ${String(args.port)}`);
  const listener: StreamListener = args.dataplane.listen({ port: args.port });
  const stats = newStats();
  const splices = new Set<Splice>();
  void (async () => {
    for await (const s of listener) {
      const socket = tcpConnect({ host: target.host, port: target.port, allowHalfOpen: true });
      const sp = splice(socket, s, stats, args.onError);
      splices.add(sp);
      void sp.done.then(() => splices.delete(sp));
    }
  })();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    listener.close();
    // Carried connections are reset (their streams too, so the far side lets go).
    for (const sp of splices) sp.stop();
    await Promise.all([...splices].map((sp) => sp.done));
  };
  args.signal?.addEventListener('abort', () => void close(), { once: true });
  if (args.signal?.aborted) void close();
  return { port: listener.port, stats: () => ({ ...stats }), close };
}
