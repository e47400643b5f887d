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
  /** Seed of the link's loss, jitter and RED draws; runs with the same seed drop the same packets. */
  seed?: number;
  /** Order the rate limiter's queue is served in: arrival order, or weighted round robin between flows (source node, destination) by their flow_weight. Default "fifo". */
  scheduler?: 'fifo' | 'wrr';
  /** What the rate limiter's queue drops: only at queue_limit_packets ("tail"), or early by random early detection ("red"). Default "tail". */
  drop?: 'tail' | 'red';
  /** RED: below this average queue (packets) nothing is dropped. Default queue_limit_packets / 4, or 5 without a limit. */
  min_th?: number;
  /** RED: at this average queue (packets) and above every arrival is dropped. Default 3/4 of queue_limit_packets, or 15 without a limit. */
  max_th?: number;
  /** RED: drop probability reached just below max_th, in (0, 1]. Default 0.1. */
  max_p?: number;
}

export const LINK_KEYS = ['rate', 'bucket_size', 'delay_ms', 'jitter_ms', 'reorder', 'loss', 'loss_burst', 'queue_limit_packets', 'seed', 'scheduler', 'drop', 'min_th', 'max_th', 'max_p'] as const;

/** RED's keys, meaningful only with `drop = "red"`. */
const RED_KEYS = ['min_th', 'max_th', 'max_p'] as const;

/** The largest WRR weight of a flow (the core's MAX_FLOW_WEIGHT, core-rs/src/node/egress.rs). */
export const MAX_FLOW_WEIGHT = 1_000_000;

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
  if (r.has('scheduler')) out.scheduler = r.oneOf('scheduler', ['fifo', 'wrr'] as const);
  if (r.has('drop')) out.drop = r.oneOf('drop', ['tail', 'red'] as const);
  if (r.has('min_th')) out.min_th = r.int('min_th', { min: 0, max: 0xffff_fffe });
  if (r.has('max_th')) out.max_th = r.int('max_th', { min: 1, max: 0xffff_ffff });
  if (r.has('max_p')) {
    out.max_p = r.num('max_p', { min: 0, max: 1 });
    if (out.max_p === 0) throw r.fail('max_p', 'must be within (0, 1] (0 would never drop early; use drop = "tail"), got 0');
  }
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
    p.scheduler === 'wrr' ? 1 : 0,
    p.drop === 'red' ? 1 : 0,
    p.min_th ?? -1,
    p.max_th ?? -1,
    p.max_p ?? -1,
  ]);
}

/**
 * Validates with the core's rules; the error names the link and the key. RED's keys on a link
 * whose drop (after merging defaults and earlier settings) is not "red" are refused: they would
 * do nothing.
 */
export function checkLinkParams(where: string, p: LinkParamsConfig): void {
  if (p.drop !== 'red') {
    const stray = RED_KEYS.filter((k) => p[k] !== undefined);
    if (stray.length) throw new NextminiError('CONFIG_INVALID', `${where}: ${stray.join(', ')} ${stray.length > 1 ? 'are RED settings and need' : 'is a RED setting and needs'} drop = "red" (drop is ${JSON.stringify(p.drop ?? 'tail')}); valid drop values: "tail", "red"`);
  }
  // The average queue cannot reach min_th when the queue holds fewer packets: RED would never act.
  if (p.drop === 'red' && p.min_th !== undefined && p.queue_limit_packets !== undefined && p.min_th >= p.queue_limit_packets) {
    throw new NextminiError('CONFIG_INVALID', `${where}: min_th (${p.min_th}) must be below queue_limit_packets (${p.queue_limit_packets}): the queue never holds min_th packets, so RED would never drop; lower min_th or raise queue_limit_packets`);
  }
  try {
    callCore(() => validateLinkParams(toCoreParams(p, 0)));
  } catch (err) {
    const e = err as NextminiError;
    throw new NextminiError('CONFIG_INVALID', `${where}: ${e.message}`, { cause: err });
  }
}

/**
 * A link's settings after a change that names only some keys: the change's keys over the
 * current ones. A `drop` other than "red" also drops the current RED thresholds, which mean
 * nothing under another drop policy (thresholds given in the change itself stay, for
 * checkLinkParams to refuse).
 */
export function mergeLinkParams(current: LinkParamsConfig, change: LinkParamsConfig): LinkParamsConfig {
  const kept = { ...current };
  if (change.drop !== undefined && change.drop !== 'red') for (const k of RED_KEYS) delete kept[k];
  return { ...kept, ...change };
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
  scheduler?: 'fifo' | 'wrr';
  drop?: 'tail' | 'red';
  minTh?: number;
  maxTh?: number;
  maxP?: number;
}

const INPUT_KEYS = { rate: 'rate', bucketSize: 'bucket_size', delayMs: 'delay_ms', jitterMs: 'jitter_ms', reorder: 'reorder', loss: 'loss', queueLimitPackets: 'queue_limit_packets', seed: 'seed', scheduler: 'scheduler', drop: 'drop', minTh: 'min_th', maxTh: 'max_th', maxP: 'max_p' } as const;

/** setLink's option names for the link keys (camelCase). */
export const LINK_INPUT_KEYS: readonly string[] = [...Object.keys(INPUT_KEYS), 'lossBurst'];

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
