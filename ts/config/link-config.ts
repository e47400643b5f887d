// Link emulation settings: parsing the controller's [link_defaults], [[link_rates]] and
// [[links]] tables, and the flat Float64Array the core takes (layout in core-rs/src/wasm/link.rs).
import { validateLinkParams } from '../../wasm/nextmini_core.js';
import { callCore, NextminiError } from '../errors.js';
import { TableReader } from './reader.js';
import { checkOptions } from '../options.js';

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
    burst.checkKeys(['p_good_to_bad', 'p_bad_to_good', 'loss_in_bad']);
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

const INPUT_KEYS = { rate: 'rate', bucketSize: 'bucket_size', delayMs: 'delay_ms', jitterMs: 'jitter_ms', reorder: 'reorder', loss: 'loss', queueLimitPackets: 'queue_limit_packets', seed: 'seed' } as const;

/**
 * The config form of setLink's arguments, checked by the same rules as `[[links]]` in a config
 * file (types and ranges: a rate of -1, "100" or NaN is refused, not stored); INVALID_ARGUMENT
 * names the key.
 */
export function fromInput(i: LinkParamsInput, where = 'setLink'): LinkParamsConfig {
  const t: Record<string, unknown> = {};
  for (const [camel, snake] of Object.entries(INPUT_KEYS)) {
    const v = (i as Record<string, unknown>)[camel];
    if (v !== undefined) t[snake] = v;
  }
  const burst: unknown = i.lossBurst;
  if (burst !== undefined) {
    if (burst === null || typeof burst !== 'object' || Array.isArray(burst)) throw new NextminiError('INVALID_ARGUMENT', `${where}: lossBurst must be { pGoodToBad, pBadToGood, lossInBad }`);
    checkOptions(`${where}: lossBurst`, burst, ['pGoodToBad', 'pBadToGood', 'lossInBad']);
    const b = burst as Record<string, unknown>;
    t.loss_burst = { p_good_to_bad: b.pGoodToBad, p_bad_to_good: b.pBadToGood, loss_in_bad: b.lossInBad };
  }
  try {
    return readLinkParams(new TableReader(where, t));
  } catch (err) {
    throw err instanceof NextminiError ? new NextminiError('INVALID_ARGUMENT', err.message) : err;
  }
}

export function linkError(message: string): NextminiError {
  return new NextminiError('CONFIG_INVALID', message);
}
