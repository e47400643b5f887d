// The admin endpoint, server side: serves a ControllerApi over one WebSocket with the admin
// protocol (admin-protocol.ts). It knows nothing about the Controller class; the controller
// routes upgrades on `/admin` here, from a WebSocketServer created with
// `maxPayload: ADMIN_MAX_FRAME`.
import type { RawData, WebSocket } from 'ws';
import { isNextminiError, NextminiError, type NextminiErrorCode } from '../errors.js';
import { logger } from '../log.js';
import type { ControllerApi } from './api.js';
import { ADMIN_MAX_FRAME, ADMIN_MAX_IN_FLIGHT, ADMIN_METHODS, fromHex, isAdminMethod, toHex, type AdminErrorBody, type AdminGreeting, type AdminMethod, type AdminReply } from './admin-protocol.js';
import { adminProof, equalBytes, NONCE_BYTES, randomBytes } from '../control/auth.js';
import { terminateSoon } from './guard.js';

export { ADMIN_MAX_FRAME, ADMIN_MAX_IN_FLIGHT, ADMIN_PATH } from './admin-protocol.js';

const log = logger('admin');
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Reasons for the closes ws makes on its own (it gives none). */
const CLOSE_REASONS: Record<number, string> = {
  1002: 'not a valid WebSocket frame',
  1007: 'admin text frames must be valid UTF-8',
  1009: `admin frames are limited to ${ADMIN_MAX_FRAME} bytes`,
};

/**
 * Answers admin requests arriving on `ws` by calling `api`. Never throws and never closes the
 * connection over a bad request: each one gets an error reply (INVALID_ARGUMENT for malformed
 * frames and unknown methods, QUEUE_FULL beyond ADMIN_MAX_IN_FLIGHT unanswered requests). A
 * frame over ADMIN_MAX_FRAME closes the connection with 1009 and a reason (also when ws's own
 * maxPayload check closes it), text that is not UTF-8 with 1007 and a reason.
 */
export interface AdminAuth {
  /** The admin_token to prove; undefined = anyone may administer (no authentication configured). */
  token: string | undefined;
  /** Set when the endpoint is off; the reason is sent in the greeting, then the connection closes. */
  disabled: string | undefined;
  onAuthenticated(): void;
  onRefused(): void;
  /** How long a client may take to prove the token before the connection is closed. */
  timeoutMs?: number;
}

export function serveAdmin(ws: WebSocket, api: ControllerApi, auth: AdminAuth = { token: undefined, disabled: undefined, onAuthenticated: () => {}, onRefused: () => {} }): void {
  let inFlight = 0;
  // The greeting: whether a proof is needed, and the nonce to prove it over.
  const nonce = randomBytes(NONCE_BYTES);
  const greeting: AdminGreeting = { greeting: 'nextmini-admin', auth: auth.disabled ? 'disabled' : auth.token === undefined ? 'none' : 'required', nonce: toHex(nonce) };
  if (auth.disabled) greeting.reason = auth.disabled;
  ws.send(encoder.encode(JSON.stringify(greeting)));
  if (auth.disabled) {
    auth.onRefused();
    ws.close(4403, 'admin endpoint disabled');
    return;
  }
  let authenticated = auth.token === undefined;
  let checking = false;
  if (authenticated) auth.onAuthenticated();
  else {
    const timer = setTimeout(() => {
      if (authenticated) return;
      auth.onRefused();
      ws.close(4408, 'no admin proof in time');
      terminateSoon(ws);
    }, auth.timeoutMs ?? 10_000);
    ws.once('close', () => clearTimeout(timer));
  }
  // Without a listener an 'error' event would crash the process; ws closes the connection
  // itself afterwards, with a code and a reason (1007 bad UTF-8, 1009 too large, ...).
  ws.on('error', (err) => log.debug(`admin connection error: ${err.message}`));
  // Those closes come from inside ws (a frame over maxPayload, bad UTF-8, a protocol error)
  // and carry no reason; give them one.
  const close = ws.close.bind(ws);
  ws.close = ((code?: number, reason?: string | Buffer) =>
    close(code, reason === undefined || reason.length === 0 ? (code === undefined ? undefined : CLOSE_REASONS[code]) : reason)) as typeof ws.close;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const send = (r: AdminReply): void => {
      if (ws.readyState !== 1) return;
      let text: string;
      try {
        text = JSON.stringify(r);
      } catch (err) {
        text = JSON.stringify({ id: r.id, error: { code: 'INTERNAL', message: `the controller's answer cannot be encoded as JSON: ${messageOf(err)}` } });
      }
      ws.send(isBinary ? encoder.encode(text) : text, (err) => {
        if (err) log.debug(`admin reply not sent: ${err.message}`);
      });
    };
    const fail = (id: number | null, code: NextminiErrorCode, message: string): void => send({ id, error: { code, message } });

    const bytes = toBytes(data);
    if (bytes.byteLength > ADMIN_MAX_FRAME) {
      ws.close(1009, `admin frames are limited to ${ADMIN_MAX_FRAME} bytes`);
      return;
    }
    let req: unknown;
    try {
      req = JSON.parse(decoder.decode(bytes));
    } catch (err) {
      fail(null, 'INVALID_ARGUMENT', `an admin request must be a JSON object in UTF-8: ${messageOf(err)}`);
      return;
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      fail(null, 'INVALID_ARGUMENT', 'an admin request must be a JSON object { id, method, args }');
      return;
    }
    const { id, method, args } = req as { id?: unknown; method?: unknown; args?: unknown };
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      fail(null, 'INVALID_ARGUMENT', `an admin request needs an integer "id", got ${describe(id)}`);
      return;
    }
    if (method === 'auth' && !authenticated) {
      if (checking) return fail(id, 'CONTROLLER_REJECTED', 'an auth request is already being checked');
      const proof = typeof (args as { proof?: unknown } | undefined)?.proof === 'string' ? fromHex((args as { proof: string }).proof) : undefined;
      checking = true;
      void (proof ? adminProof(auth.token!, nonce) : Promise.resolve(undefined)).then((expected) => {
        checking = false;
        if (expected && proof && equalBytes(expected, proof)) {
          authenticated = true;
          auth.onAuthenticated();
          send({ id, result: null });
          return;
        }
        auth.onRefused();
        log.warn('refusing an admin connection: wrong admin token');
        fail(id, 'CONTROLLER_REJECTED', 'the admin token is wrong');
        ws.close(4401, 'UNAUTHORIZED');
        terminateSoon(ws);
      });
      return;
    }
    if (!authenticated) {
      fail(id, 'CONTROLLER_REJECTED', 'this controller requires the admin token: authenticate first (UNAUTHORIZED)');
      return;
    }
    if (!isAdminMethod(method)) {
      fail(id, 'INVALID_ARGUMENT', `unknown admin method ${describe(method)} (known: ${ADMIN_METHODS.join(', ')})`);
      return;
    }
    if (inFlight >= ADMIN_MAX_IN_FLIGHT) {
      fail(id, 'QUEUE_FULL', `more than ${ADMIN_MAX_IN_FLIGHT} admin requests in flight on one connection; wait for answers first`);
      return;
    }
    inFlight++;
    dispatch(api, method, args).then(
      (result) => {
        inFlight--;
        send({ id, result: result ?? null });
      },
      (err: unknown) => {
        inFlight--;
        send({ id, error: errorBody(method, err) });
      },
    );
  });
}

async function dispatch(api: ControllerApi, method: AdminMethod, args: unknown): Promise<unknown> {
  switch (method) {
    case 'status':
      return api.status();
    case 'metrics':
      // JSON carries an array's elements only: the flows travel by their own call ('flows').
      return [...(args === undefined || args === null ? await api.metrics() : await api.metrics(object(method, args)))];
    case 'flows':
      return api.flows();
    case 'startFlow':
      return api.startFlow(object(method, args));
    case 'stopFlow': {
      const a = object(method, args) as { flowId?: unknown };
      await api.stopFlow(a.flowId as number);
      return null;
    }
    case 'getLink': {
      const a = object(method, args) as { srcNodeId?: unknown; dstNodeId?: unknown };
      return api.getLink(nodeId(method, 'srcNodeId', a.srcNodeId), nodeId(method, 'dstNodeId', a.dstNodeId));
    }
    case 'setLink':
      await api.setLink(object(method, args));
      return null;
    case 'setRoutes':
      await api.setRoutes(object(method, args));
      return null;
    case 'clearRoutes':
      await api.clearRoutes(object(method, args));
      return null;
  }
}

// The api checks the fields itself; the protocol only makes sure it gets an object.
function object<T>(method: string, args: unknown): T {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new NextminiError('INVALID_ARGUMENT', `${method}: "args" must be an object, got ${describe(args)}`);
  }
  return args as T;
}

function nodeId(method: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new NextminiError('INVALID_ARGUMENT', `${method}: args.${name} must be a node id, got ${describe(v)}`);
  return v;
}

/** NextminiErrors keep their code (also one from another copy of the SDK); anything else is INTERNAL. */
function errorBody(method: string, err: unknown): AdminErrorBody {
  if (isNextminiError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error && err.name === 'NextminiError') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return { code: code as NextminiErrorCode, message: err.message };
  }
  log.warn(`admin ${method} failed: ${messageOf(err)}`);
  return { code: 'INTERNAL', message: `the controller failed in ${method}: ${messageOf(err)}` };
}

function toBytes(data: RawData): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (!Array.isArray(data)) return data;
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of data) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return typeof v;
  }
}
