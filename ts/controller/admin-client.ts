// The admin protocol, client side: a ControllerApi for a controller in another process,
// reached through its `/admin` endpoint (admin.ts). Uses the isomorphic socket helper, so it
// runs wherever a WebSocket does (the `ws` package on Node 20).
import type { LinkParamsConfig } from '../config/link-config.js';
import { NextminiError, type NextminiErrorCode } from '../errors.js';
import { logger } from '../log.js';
import { checkOptions } from '../options.js';
import { openSocket, type MessageSocket, type SocketOptions } from '../control/socket.js';
import { adminProof } from '../control/auth.js';
import type { ClearRoutesArgs, ControllerApi, ControllerStatus, FlowResult, MetricsQuery, MetricsResult, SetLinkArgs, SetRoutesArgs, StartFlowArgs } from './api.js';
import { ADMIN_MAX_FRAME, ADMIN_MAX_IN_FLIGHT, adminUrl, fromHex, toHex, type AdminArgs, type AdminGreeting, type AdminMethod, type AdminResults } from './admin-protocol.js';

const log = logger('admin');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ConnectControllerOptions {
  /** Give up connecting after this many milliseconds (CONTROLLER_UNREACHABLE). Default 5000. */
  timeoutMs?: number;
  /** Abort connecting; rejects with ABORTED. */
  signal?: AbortSignal;
  /** How long each call waits for its answer before rejecting with TIMEOUT. Default 15 000. */
  requestTimeoutMs?: number;
  /** The controller's `admin_token`, proven by challenge-response (never sent). */
  adminToken?: string;
  /** PEM text of a CA to trust for a wss:// controller (Node; elsewhere use the system's trust store). */
  ca?: string;
}

const OPTION_KEYS = ['timeoutMs', 'signal', 'requestTimeoutMs', 'adminToken', 'ca'] as const;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * A running controller's admin operations, from another process. Every call resolves with the
 * controller's answer or rejects with its NextminiError (same code as in-process); TIMEOUT
 * when no answer comes in time, CONTROLLER_UNREACHABLE once the connection is lost (there is
 * no reconnect: connect again), CLOSED after close().
 */
export interface ControllerClient extends ControllerApi {
  /** The admin endpoint this client talks to (`ws://host:port/admin`). */
  readonly url: string;
  setLink(args: SetLinkArgs): Promise<void>;
  getLink(srcNodeId: number, dstNodeId: number): Promise<LinkParamsConfig>;
  setRoutes(args: SetRoutesArgs): Promise<void>;
  clearRoutes(args: ClearRoutesArgs): Promise<void>;
  status(): Promise<ControllerStatus>;
  metrics(query?: MetricsQuery): Promise<MetricsResult>;
  flows(): Promise<FlowResult[]>;
  startFlow(spec: StartFlowArgs): Promise<number>;
  stopFlow(flowId: number): Promise<void>;
  /** Closes the connection; calls still waiting reject with CLOSED. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Connects to the admin endpoint of the controller at `url` (`ws://host:port`, as nodes use,
 * or `host:port`). Rejects with CONTROLLER_UNREACHABLE when it cannot connect within
 * `timeoutMs` (default 5000), ABORTED on `signal`, INVALID_ARGUMENT for a bad url or option.
 */
export async function connectController(url: string, options?: ConnectControllerOptions): Promise<ControllerClient> {
  checkOptions('connectController', options, OPTION_KEYS);
  const timeoutMs = positive('timeoutMs', options?.timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const requestTimeoutMs = positive('requestTimeoutMs', options?.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  const signal = options?.signal;
  const target = adminUrl(url);
  if (!target) throw new NextminiError('INVALID_ARGUMENT', `connectController: url must be ws://host:port or host:port, got ${JSON.stringify(url)}`);
  if (signal?.aborted) throw new NextminiError('ABORTED', 'connectController aborted', { cause: signal.reason });
  for (const key of ['adminToken', 'ca'] as const) {
    const v = options?.[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw new NextminiError('INVALID_ARGUMENT', `connectController: options.${key} must be a non-empty string`);
  }
  if (options?.ca !== undefined && !options.ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new NextminiError('INVALID_ARGUMENT', 'connectController: options.ca must be the PEM text of a certificate (-----BEGIN CERTIFICATE-----…), not a path: read the file first');
  }
  const client = new AdminClient(target, url, requestTimeoutMs, options?.adminToken, options?.ca !== undefined ? { ca: options.ca } : {});
  await client.open(timeoutMs, signal);
  return client;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new NextminiError('INVALID_ARGUMENT', `connectController: ${name} must be a positive number of milliseconds, got ${String(v)}`);
  }
  return v;
}

interface Pending {
  method: AdminMethod;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
  /** Rejected by its timeout while its request was on the wire; the answer is dropped. */
  settled: boolean;
}

class AdminClient implements ControllerClient {
  readonly url: string;
  readonly #given: string;
  readonly #requestTimeoutMs: number;
  #socket: MessageSocket | undefined;
  #state: 'connecting' | 'open' | 'lost' | 'closed' = 'connecting';
  #nextId = 1;
  /** Sent and unanswered, by id. Stays at most ADMIN_MAX_IN_FLIGHT; the rest wait in #queue. */
  #inFlight = new Map<number, Pending>();
  #queue: { id: number; frame: Uint8Array; p: Pending }[] = [];
  #lastError = '';
  #closedWaiters: (() => void)[] = [];
  readonly #adminToken: string | undefined;
  readonly #socketOptions: SocketOptions;
  /** While connecting: takes the greeting and the auth reply; resolves or fails open(). */
  #handshake: ((frame: Record<string, unknown>) => void) | undefined;

  constructor(url: string, given: string, requestTimeoutMs: number, adminToken?: string, socketOptions: SocketOptions = {}) {
    this.url = url;
    this.#given = given;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#adminToken = adminToken;
    this.#socketOptions = socketOptions;
  }

  open(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: NextminiError) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!err) return resolve();
        this.#state = 'closed';
        try {
          this.#socket?.close();
        } catch {
          /* not open yet */
        }
        reject(err);
      };
      const unreachable = (why: string) => new NextminiError('CONTROLLER_UNREACHABLE', `cannot reach the controller at ${this.#given}: ${why}`);
      const timer = setTimeout(() => finish(unreachable(`no connection within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => finish(new NextminiError('ABORTED', 'connectController aborted', { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const rejected = (why: string) => new NextminiError('CONTROLLER_REJECTED', `the controller at ${this.#given} refused the admin connection: ${why} (UNAUTHORIZED)`);
      // The server greets first (admin-protocol.ts AdminGreeting); with auth "required" the
      // client answers with its proof as request id 0 before anything else.
      this.#handshake = (frame) => {
        if (done) return;
        if (frame.greeting === 'nextmini-admin') {
          const g = frame as unknown as AdminGreeting;
          if (g.auth === 'none') {
            this.#handshake = undefined;
            this.#state = 'open';
            return finish();
          }
          if (g.auth === 'disabled') return finish(rejected(g.reason ?? 'the admin endpoint is disabled'));
          if (this.#adminToken === undefined) return finish(rejected('it requires the admin token; pass adminToken (CLI: --token-file FILE or $NEXTMINI_ADMIN_TOKEN)'));
          // A greeting without a readable nonce gets a proof over none, which the server refuses.
          const nonce = fromHex(g.nonce) ?? new Uint8Array(0);
          void adminProof(this.#adminToken, nonce).then(
            (proof) => {
              if (!done) this.#socket?.send(encoder.encode(JSON.stringify({ id: 0, method: 'auth', args: { proof: toHex(proof) } })));
            },
            (err: unknown) => finish(new NextminiError('INTERNAL', `cannot compute the admin proof: ${errorText(err)}`)),
          );
          return;
        }
        if (frame.id === 0) {
          const error = frame.error as { message?: unknown } | undefined;
          if (error) return finish(rejected(typeof error.message === 'string' ? error.message : 'wrong admin token'));
          this.#handshake = undefined;
          this.#state = 'open';
          finish();
        }
      };
      try {
        const socket = openSocket(
          this.url,
          {
          onOpen: () => {},
          onMessage: (data) => this.#onMessage(data),
          onClose: (code, reason) => {
            const why = reason ? `${reason} (${code})` : this.#lastError || `connection closed (${code})`;
            if (!done) finish(unreachable(why));
            else this.#onLost(why);
          },
          onError: (err) => {
            this.#lastError = errorText(err);
            log.debug(`admin socket error: ${this.#lastError}`);
          },
          },
          this.#socketOptions,
        );
        this.#socket = socket;
      } catch (err) {
        finish(unreachable(errorText(err)));
      }
    });
  }

  setLink(args: SetLinkArgs): Promise<void> {
    return this.#call('setLink', args).then(() => undefined);
  }

  getLink(srcNodeId: number, dstNodeId: number): Promise<LinkParamsConfig> {
    return this.#call('getLink', { srcNodeId, dstNodeId });
  }

  setRoutes(args: SetRoutesArgs): Promise<void> {
    return this.#call('setRoutes', args).then(() => undefined);
  }

  clearRoutes(args: ClearRoutesArgs): Promise<void> {
    return this.#call('clearRoutes', args).then(() => undefined);
  }

  status(): Promise<ControllerStatus> {
    return this.#call('status', undefined);
  }

  async metrics(query?: MetricsQuery): Promise<MetricsResult> {
    const [rows, flows] = await Promise.all([this.#call('metrics', query), this.#call('flows', undefined)]);
    return Object.assign(rows, { flows });
  }

  flows(): Promise<FlowResult[]> {
    return this.#call('flows', undefined);
  }

  startFlow(spec: StartFlowArgs): Promise<number> {
    return this.#call('startFlow', spec);
  }

  stopFlow(flowId: number): Promise<void> {
    return this.#call('stopFlow', { flowId }).then(() => undefined);
  }

  #call<M extends AdminMethod>(method: M, args: AdminArgs[M]): Promise<AdminResults[M]> {
    if (this.#state === 'closed') return Promise.reject(new NextminiError('CLOSED', `${method}: the controller client is closed`));
    if (this.#state !== 'open') return Promise.reject(this.#lostError(method));
    const id = this.#nextId++;
    let frame: Uint8Array;
    try {
      frame = encoder.encode(JSON.stringify(args === undefined ? { id, method } : { id, method, args }));
    } catch (err) {
      return Promise.reject(new NextminiError('INVALID_ARGUMENT', `${method}: the arguments cannot be sent as JSON: ${errorText(err)}`));
    }
    if (frame.byteLength > ADMIN_MAX_FRAME) {
      return Promise.reject(new NextminiError('PAYLOAD_TOO_LARGE', `${method}: the request is ${frame.byteLength} bytes; admin requests are limited to ${ADMIN_MAX_FRAME}`));
    }
    return new Promise<AdminResults[M]>((resolve, reject) => {
      const p: Pending = {
        method,
        resolve: resolve as (v: unknown) => void,
        reject,
        settled: false,
        timer: setTimeout(() => {
          p.settled = true;
          // A queued request is simply dropped; a sent one keeps its slot until answered.
          const i = this.#queue.findIndex((q) => q.p === p);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new NextminiError('TIMEOUT', `the controller did not answer ${method} within ${this.#requestTimeoutMs} ms`));
        }, this.#requestTimeoutMs),
      };
      this.#queue.push({ id, frame, p });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#state === 'open' && this.#queue.length && this.#inFlight.size < ADMIN_MAX_IN_FLIGHT) {
      const { id, frame, p } = this.#queue.shift()!;
      this.#inFlight.set(id, p);
      try {
        this.#socket!.send(frame);
      } catch (err) {
        this.#inFlight.delete(id);
        this.#settle(p, undefined, new NextminiError('CONTROLLER_UNREACHABLE', `${p.method}: cannot send to the controller at ${this.#given}: ${errorText(err)}`));
      }
    }
  }

  #onMessage(data: Uint8Array): void {
    let reply: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      reply = JSON.parse(decoder.decode(data));
    } catch (err) {
      log.warn(`ignoring an admin reply that is not JSON: ${errorText(err)}`);
      return;
    }
    if (typeof reply !== 'object' || reply === null) return;
    if (this.#handshake) return this.#handshake(reply as Record<string, unknown>);
    const p = typeof reply.id === 'number' ? this.#inFlight.get(reply.id) : undefined;
    if (!p) {
      if (reply.error) log.warn(`the controller refused an admin frame: ${String(reply.error.code)}: ${String(reply.error.message)}`);
      return;
    }
    this.#inFlight.delete(reply.id as number);
    if (reply.error !== undefined) {
      const code = typeof reply.error?.code === 'string' ? (reply.error.code as NextminiErrorCode) : 'INTERNAL';
      const message = typeof reply.error?.message === 'string' ? reply.error.message : `${p.method} failed`;
      this.#settle(p, undefined, new NextminiError(code, message));
    } else {
      this.#settle(p, reply.result, undefined);
    }
    this.#pump();
  }

  #settle(p: Pending, value: unknown, err: NextminiError | undefined): void {
    clearTimeout(p.timer);
    if (p.settled) return;
    p.settled = true;
    if (err) p.reject(err);
    else p.resolve(value);
  }

  #lostError(method: string): NextminiError {
    return new NextminiError('CONTROLLER_UNREACHABLE', `${method}: the connection to the controller at ${this.#given} was lost${this.#lastError ? `: ${this.#lastError}` : ''}`);
  }

  /** The socket closed: every call waiting rejects (CLOSED after close(), else CONTROLLER_UNREACHABLE). */
  #onLost(why: string): void {
    if (this.#state === 'open') {
      this.#state = 'lost';
      this.#lastError = why;
      log.info(`admin connection to ${this.#given} lost: ${why}`);
    }
    this.#failAll();
    for (const w of this.#closedWaiters.splice(0)) w();
  }

  #failAll(): void {
    const all = [...this.#inFlight.values(), ...this.#queue.map((q) => q.p)];
    this.#inFlight.clear();
    this.#queue = [];
    for (const p of all) {
      this.#settle(p, undefined, this.#state === 'closed' ? new NextminiError('CLOSED', `${p.method}: the controller client was closed before the answer came`) : this.#lostError(p.method));
    }
  }

  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#failAll();
    if (!wasOpen || !this.#socket) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Resolve once the close handshake ends, or after a second whatever happens.
      const timer = setTimeout(resolve, 1000);
      this.#closedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.#socket!.close(1000, 'client closed');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}


function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : 'connection error';
}
