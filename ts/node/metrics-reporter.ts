// A node's periodic metrics report to the controller: every `metrics_interval_ms` its
// stats() become one `metrics` control message (see control/messages.ts). The controller
// stores the samples and serves them (controller.metrics(), GET /metrics).
import { logger } from '../log.js';
import { encode, type MetricSample } from '../control/messages.js';
import type { DataplaneStats } from './dataplane.js';
import type { LinkCounters } from './engine.js';

const log = logger('metrics');

export interface MetricsReporterOptions {
  /** Milliseconds between reports; 0 (or less) = never report. */
  intervalMs: number;
  /** The counters to report (the node's stats()). */
  stats(): DataplaneStats;
  /** Sends one encoded control message; expected to drop it when not connected (ControlClient.send does). */
  send(message: Uint8Array): void;
}

/** The top-level counters of DataplaneStats, reported under these same names. */
const TOP = ['messagesSent', 'packetsSent', 'packetsReceived', 'packetsForwarded', 'messagesDelivered', 'bytesDelivered', 'queued'] as const;
/** The per-link counters, reported as `link.<name>` with `neighbor` set. */
const LINK = ['bytesSent', 'packetsSent', 'dropsLoss', 'dropsQueue', 'dropsRed', 'queueDepth', 'inFlight', 'measuredRate'] as const satisfies readonly (keyof LinkCounters)[];

/**
 * Turns stats() into samples: top-level counters by their stats() names (`packetsSent`…),
 * drops as `drops.<reason>`, lossless sessions as `sessions.active|completed|failed`, per-link counters as `link.<counter>` with `neighbor` set
 * (0 = not a link counter).
 */
export function statsToSamples(s: DataplaneStats): MetricSample[] {
  const out: MetricSample[] = [];
  const put = (name: string, neighbor: number, value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value)) out.push({ name, neighbor, value });
  };
  for (const k of TOP) put(k, 0, s[k]);
  for (const [reason, v] of Object.entries(s.drops)) put(`drops.${reason}`, 0, v);
  for (const [k, v] of Object.entries(s.sessions ?? {})) put(`sessions.${k}`, 0, v);
  for (const l of s.links) {
    // Links without emulation have no counters of their own (their traffic is in the totals).
    if (!l.emulated || !Number.isInteger(l.neighbor) || l.neighbor < 1) continue;
    for (const k of LINK) put(`link.${k}`, l.neighbor, l[k]);
  }
  return out;
}

/**
 * Reports a node's counters every `intervalMs` while started. The timer never keeps a
 * process alive (unref'd where the runtime has it); a report that cannot be made (the node
 * closing under it) is skipped, never thrown.
 */
export class MetricsReporter {
  readonly #o: MetricsReporterOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(options: MetricsReporterOptions) {
    this.#o = options;
  }

  /** Starts the periodic reports (a no-op when the interval is 0 or it was stopped). Returns this. */
  start(): this {
    const ms = this.#o.intervalMs;
    if (this.#stopped || this.#timer !== undefined || !(ms > 0) || !Number.isFinite(ms)) return this;
    this.#timer = setInterval(() => this.report(), ms);
    (this.#timer as { unref?: () => void }).unref?.();
    return this;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Sends one report now; false if it could not be made (stopped, or stats() failed). */
  report(): boolean {
    if (this.#stopped) return false;
    let samples: MetricSample[];
    try {
      samples = statsToSamples(this.#o.stats());
    } catch (err) {
      log.debug(`no metrics report: ${(err as Error).message}`);
      return false;
    }
    try {
      this.#o.send(encode({ t: 'metrics', samples }));
    } catch (err) {
      log.debug(`metrics report not sent: ${(err as Error).message}`);
      return false;
    }
    return true;
  }

  /** Stops for good. Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
