// Link emulation settings: parsing the controller's [link_defaults], [[link_rates]] and
// [[links]] tables, and the flat Float64Array the core takes (layout in core-rs/src/wasm/link.rs).
import { validateLinkParams } from '../../wasm/nextmini_core.js';
import { callCore, NextminiError } from '../errors.js';
import type { TableReader } from './reader.js';

/** Emulation of one directed link (TOML keys). Omitted keys mean "no shaping" for that aspect. */
export interface LinkParamsConfig {
  /** Bytes per second; omitted = unlimited. */
  rate?: number;
  /** Token bucket depth in bytes. Default with a rate: max(rate / 20, 16 KiB). */
  bucket_size?: number;
  delay_ms?: number;
  /** Uniform extra delay in [0, jitter_ms]; packets keep their order unless `reorder`. */
  jitter_ms?: number;
  reorder?: boolean;
  /** Random loss probability, 0.0–1.0. */
  loss?: number;
  /** Bursty (Gilbert–Elliott) loss. */
  loss_burst?: { p_good_to_bad: number; p_bad_to_good: number; loss_in_bad: number };
  /** Packets waiting for the rate limiter beyond this are tail-dropped. */
  queue_limit_packets?: number;
  /** Seed of the link's loss and jitter; runs with the same seed drop the same packets. */
  seed?: number;
}

export const LINK_KEYS = ['rate', 'bucket_size', 'delay_ms', 'jitter_ms', 'reorder', 'loss', 'loss_burst', 'queue_limit_packets', 'seed'] as const;

export function readLinkParams(r: TableReader): LinkParamsConfig {
  const out: LinkParamsConfig = {};
  if (r.has('rate')) out.rate = r.int('rate', { min: 1 });
  if (r.has('bucket_size')) out.bucket_size = r.int('bucket_size', { min: 1 });
  if (r.has('delay_ms')) out.delay_ms = r.num('delay_ms', { min: 0, max: 3_600_000 });
  if (r.has('jitter_ms')) out.jitter_ms = r.num('jitter_ms', { min: 0, max: 3_600_000 });
  if (r.has('reorder')) out.reorder = r.bool('reorder');
  if (r.has('loss')) out.loss = r.num('loss', { min: 0, max: 1 });
  const burst = r.table('loss_burst');
  if (burst) {
    out.loss_burst = {
      p_good_to_bad: burst.num('p_good_to_bad', { min: 0, max: 1 }),
      p_bad_to_good: burst.num('p_bad_to_good', { min: 0, max: 1 }),
      loss_in_bad: burst.num('loss_in_bad', { min: 0, max: 1 }),
    };
  }
  if (r.has('queue_limit_packets')) out.queue_limit_packets = r.int('queue_limit_packets', { min: 1 });
  if (r.has('seed')) out.seed = r.int('seed', { min: 0 });
  return out;
}

/** True when the params shape nothing (the link can skip emulation entirely). */
export function isNeutral(p: LinkParamsConfig): boolean {
  return p.rate === undefined && !p.delay_ms && !p.jitter_ms && !p.loss && !p.loss_burst && p.queue_limit_packets === undefined;
}

/** The core's flat form; `linkSeed` separates links that share a configured seed. */
export function toCoreParams(p: LinkParamsConfig, linkSeed: number): Float64Array {
  const bucket = p.rate !== undefined ? (p.bucket_size ?? Math.max(Math.floor(p.rate / 20), 16 * 1024)) : -1;
  const seed = ((p.seed ?? 0) * 1_000_003 + linkSeed) % Number.MAX_SAFE_INTEGER;
  return Float64Array.from([
    p.rate ?? -1,
    bucket,
    p.delay_ms ?? 0,
    p.jitter_ms ?? 0,
    p.reorder ? 1 : 0,
    p.loss ?? 0,
    p.loss_burst?.p_good_to_bad ?? -1,
    p.loss_burst?.p_bad_to_good ?? -1,
    p.loss_burst?.loss_in_bad ?? -1,
    p.queue_limit_packets ?? -1,
    seed,
  ]);
}

/** Validates with the core's rules; the error names the link and the key. */
export function checkLinkParams(where: string, p: LinkParamsConfig): void {
  try {
    callCore(() => validateLinkParams(toCoreParams(p, 0)));
  } catch (err) {
    const e = err as NextminiError;
    throw new NextminiError('CONFIG_INVALID', `${where}: ${e.message}`, { cause: err });
  }
}

/** camelCase form for `controller.setLink(...)`. */
export interface LinkParamsInput {
  rate?: number;
  bucketSize?: number;
  delayMs?: number;
  jitterMs?: number;
  reorder?: boolean;
  loss?: number;
  lossBurst?: { pGoodToBad: number; pBadToGood: number; lossInBad: number };
  queueLimitPackets?: number;
  seed?: number;
}

export function fromInput(i: LinkParamsInput): LinkParamsConfig {
  const out: LinkParamsConfig = {};
  if (i.rate !== undefined) out.rate = i.rate;
  if (i.bucketSize !== undefined) out.bucket_size = i.bucketSize;
  if (i.delayMs !== undefined) out.delay_ms = i.delayMs;
  if (i.jitterMs !== undefined) out.jitter_ms = i.jitterMs;
  if (i.reorder !== undefined) out.reorder = i.reorder;
  if (i.loss !== undefined) out.loss = i.loss;
  if (i.lossBurst) out.loss_burst = { p_good_to_bad: i.lossBurst.pGoodToBad, p_bad_to_good: i.lossBurst.pBadToGood, loss_in_bad: i.lossBurst.lossInBad };
  if (i.queueLimitPackets !== undefined) out.queue_limit_packets = i.queueLimitPackets;
  if (i.seed !== undefined) out.seed = i.seed;
  return out;
}

export function linkError(message: string): NextminiError {
  return new NextminiError('CONFIG_INVALID', message);
}
