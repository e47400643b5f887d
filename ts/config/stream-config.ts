// The node config's `[stream]` table: tunables of the node's reliable streams (the core's
// StreamConfig, core-rs/src/stream/mod.rs), checked here so errors name the keys users write.
import type { TableReader } from './reader.js';

export interface StreamRuntimeConfig {
  /** Bytes a stream buffers for sending (unacknowledged plus unsent). Default 1 MiB. */
  send_buffer?: number;
  /** Receive window: bytes buffered for the application (unread plus out of order). Default 1 MiB. A stream moves at most this much per round trip. */
  recv_window?: number;
  /** A keepalive after this long without hearing from the peer. Default 10000. */
  keepalive_ms?: number;
  /** TIMEOUT after this long without hearing from the peer (connecting included). Default 30000; must exceed keepalive_ms. */
  idle_timeout_ms?: number;
  /** Streams held at once, in any state. Default 4096. */
  max_connections?: number;
  /** Half-open incoming streams per listening port (connects beyond are refused), and accepted streams waiting for the application per listener (beyond are reset). Default 128. */
  backlog?: number;
  /**
   * Congestion control: "model" (default; paces at the path's measured bandwidth, tolerant of
   * random loss) or "newreno" (halves its window on every loss episode, as classic TCP).
   */
  congestion?: 'model' | 'newreno';
}

export const STREAM_KEYS = ['send_buffer', 'recv_window', 'keepalive_ms', 'idle_timeout_ms', 'max_connections', 'backlog', 'congestion'] as const;
const CONGESTION = ['model', 'newreno'] as const;

const DEFAULT_KEEPALIVE_MS = 10_000;
const DEFAULT_IDLE_MS = 30_000;

export function readStream(t: TableReader | undefined): StreamRuntimeConfig {
  if (!t) return {};
  t.checkKeys([...STREAM_KEYS]);
  const out: StreamRuntimeConfig = {};
  if (t.has('send_buffer')) out.send_buffer = t.int('send_buffer', { min: 1, max: 1 << 30 });
  if (t.has('recv_window')) out.recv_window = t.int('recv_window', { min: 1, max: 2 ** 32 - 1 });
  if (t.has('keepalive_ms')) out.keepalive_ms = t.int('keepalive_ms', { min: 1, max: 86_400_000 });
  if (t.has('idle_timeout_ms')) out.idle_timeout_ms = t.int('idle_timeout_ms', { min: 2, max: 86_400_000 });
  if (t.has('max_connections')) out.max_connections = t.int('max_connections', { min: 1, max: 1 << 20 });
  if (t.has('backlog')) out.backlog = t.int('backlog', { min: 1, max: 1 << 16 });
  if (t.has('congestion')) out.congestion = t.oneOf('congestion', CONGESTION);
  const keep = out.keepalive_ms ?? DEFAULT_KEEPALIVE_MS;
  const idle = out.idle_timeout_ms ?? DEFAULT_IDLE_MS;
  if (keep >= idle) {
    // Else a live but quiet peer would time out before it is asked for a sign of life.
    if (out.keepalive_ms !== undefined) throw t.fail('keepalive_ms', `(${keep}) must be below idle_timeout_ms (${idle})`);
    throw t.fail('idle_timeout_ms', `(${idle}) must be above keepalive_ms (${keep})`);
  }
  return out;
}

/** The core's flat form (core-rs/src/wasm/stream.rs `streamConfigure`); -1 = default. */
export function streamCoreParams(c: StreamRuntimeConfig): Float64Array {
  const { congestion, ...sizes } = c;
  return Float64Array.from([...STREAM_KEYS.slice(0, 6).map((k) => sizes[k as Exclude<typeof k, 'congestion'>] ?? -1), congestion === undefined ? -1 : CONGESTION.indexOf(congestion)]);
}
