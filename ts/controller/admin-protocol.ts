// The admin protocol between ControllerClient (admin-client.ts) and serveAdmin (admin.ts):
// one WebSocket on the controller's port at the path `/admin`, JSON in text or binary (UTF-8)
// frames. A request `{ id, method, args }` gets exactly one reply with the same id,
// `{ id, result }` or `{ id, error: { code, message } }`; a frame the server cannot attribute
// to a request (not JSON, no id) gets an error reply with `id: null`. Replies use the frame
// kind of their request (text for text, binary for binary). Nothing here imports a node-only
// module: the client side runs in browsers too.
import type { LinkParamsConfig } from '../config/link-config.js';
import type { NextminiErrorCode } from '../errors.js';
import type { ClearRoutesArgs, ControllerStatus, FlowResult, MetricRow, MetricsQuery, SetLinkArgs, SetRoutesArgs, StartFlowArgs } from './api.js';

/** The path the controller serves the admin endpoint on. */
export const ADMIN_PATH = '/admin';

/** Largest admin frame, either way in, in bytes (1 MiB); the server's WebSocket maxPayload. */
export const ADMIN_MAX_FRAME = 1024 * 1024;

/** Requests one connection may have unanswered; the server refuses more with QUEUE_FULL. */
export const ADMIN_MAX_IN_FLIGHT = 64;

export const ADMIN_METHODS = ['setLink', 'getLink', 'setRoutes', 'clearRoutes', 'status', 'metrics', 'flows', 'startFlow', 'stopFlow'] as const;
export type AdminMethod = (typeof ADMIN_METHODS)[number];

/** `args` of each method. `status` takes none; `metrics` takes an optional query. */
export interface AdminArgs {
  setLink: SetLinkArgs;
  getLink: { srcNodeId: number; dstNodeId: number };
  setRoutes: SetRoutesArgs;
  clearRoutes: ClearRoutesArgs;
  status: undefined;
  metrics: MetricsQuery | undefined;
  flows: undefined;
  startFlow: StartFlowArgs;
  stopFlow: { flowId: number };
}

/** `result` of each method (`null` for the ones that resolve with nothing). */
export interface AdminResults {
  setLink: null;
  getLink: LinkParamsConfig;
  setRoutes: null;
  clearRoutes: null;
  status: ControllerStatus;
  /** The samples only: the client adds `flows` with a `flows` call. */
  metrics: MetricRow[];
  flows: FlowResult[];
  startFlow: number;
  stopFlow: null;
}

export interface AdminRequest<M extends AdminMethod = AdminMethod> {
  /** Chosen by the client, echoed in the reply; a safe integer. */
  id: number;
  method: M;
  args?: AdminArgs[M];
}

export interface AdminErrorBody {
  code: NextminiErrorCode;
  message: string;
}

export type AdminReply =
  | { id: number; result: unknown }
  /** `id` is null when the request could not be read far enough to know its id. */
  | { id: number | null; error: AdminErrorBody };

/**
 * The server's first frame on every admin connection. `auth`: "none" (no admin_token set:
 * requests are served at once), "required" (the client sends `{ id, method: "auth", args:
 * { proof } }` first, proof = hex HMAC-SHA256(admin_token, "nextmini/admin/1" | nonce)), or
 * "disabled" (nodes authenticate but no admin_token is set; `reason` says so and the server
 * closes the connection).
 */
export interface AdminGreeting {
  greeting: 'nextmini-admin';
  auth: 'none' | 'required' | 'disabled';
  /** Hex. */
  nonce: string;
  reason?: string;
}

/** Hex of bytes, as the greeting's nonce and the auth proof travel. */
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Bytes of a hex string of at most 128 bytes; undefined when it is not one. */
export function fromHex(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || !/^(?:[0-9a-f]{2})*$/i.test(s) || s.length > 256) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function isAdminMethod(m: unknown): m is AdminMethod {
  return typeof m === 'string' && (ADMIN_METHODS as readonly string[]).includes(m);
}

/**
 * The admin endpoint's URL from the controller's URL: `ws://host:port` (as nodes use),
 * `wss://…`, `http(s)://…` or bare `host:port`; `/admin` is appended to the path.
 * Returns undefined when `url` is none of those.
 */
export function adminUrl(url: string): string | undefined {
  if (typeof url !== 'string') return undefined;
  let text = url.trim();
  if (/^[^\s/:]+:\d{1,5}$/.test(text) || /^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(text)) text = `ws://${text}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return undefined;
  if (!u.host) return undefined;
  const path = u.pathname.replace(/\/+$/, '');
  if (!path.endsWith(ADMIN_PATH)) u.pathname = `${path}${ADMIN_PATH}`;
  u.hash = '';
  return u.toString();
}
