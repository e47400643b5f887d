// Minimal levelled logging. Level from NEXTMINI_LOG (error|warn|info|debug, any case), default warn.
// An unknown NEXTMINI_LOG is never ignored in silence: the first time the SDK has something to
// log (at any level) it says so once, listing the valid levels, and logs at warn. The CLI refuses
// to start instead (checkEnvLogLevel). setLogLevel with an unknown level throws.
import { NextminiError } from './errors.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
export const LOG_LEVELS = Object.keys(ORDER) as LogLevel[];

const isLevel = (v: string): v is LogLevel => Object.prototype.hasOwnProperty.call(ORDER, v);

/** NEXTMINI_LOG as set: `level` when it names one, `bad` (as given) when it does not; neither when unset or empty. */
function readEnv(): { level?: LogLevel; bad?: string } {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  const raw = g.process?.env?.NEXTMINI_LOG;
  if (raw === undefined || raw.trim() === '') return {};
  const v = raw.trim().toLowerCase();
  return isLevel(v) ? { level: v } : { bad: raw };
}

const env = readEnv();
let level: LogLevel = env.level ?? 'warn';
/** The unknown NEXTMINI_LOG still has to be reported (once). */
let badEnvUnreported = env.bad !== undefined;

function badEnvMessage(bad: string): string {
  return `NEXTMINI_LOG=${bad} is not a log level (valid: ${LOG_LEVELS.join(', ')})`;
}

/**
 * For the CLI, before anything logs: the level NEXTMINI_LOG asks for (undefined when unset), or
 * a NextminiError (INVALID_ARGUMENT) naming the bad value and the valid levels. Either way the
 * SDK no longer reports the value itself: the caller does.
 */
export function checkEnvLogLevel(): LogLevel | undefined {
  badEnvUnreported = false;
  if (env.bad !== undefined) throw new NextminiError('INVALID_ARGUMENT', badEnvMessage(env.bad));
  return env.level;
}

/** Sets the level; an unknown name is an INVALID_ARGUMENT error listing the valid ones. */
export function setLogLevel(l: LogLevel | string): void {
  const v = typeof l === 'string' ? l.toLowerCase() : l;
  if (typeof v !== 'string' || !isLevel(v)) throw new NextminiError('INVALID_ARGUMENT', `setLogLevel: '${String(l)}' is not a log level (valid: ${LOG_LEVELS.join(', ')})`);
  level = v;
}

function emit(l: LogLevel, scope: string, msg: string): void {
  if (badEnvUnreported) {
    badEnvUnreported = false;
    console.error(`[nextmini warn] log: ${badEnvMessage(env.bad!)}; logging at ${level}`);
  }
  if (ORDER[l] > ORDER[level]) return;
  const line = `[nextmini ${l}] ${scope}: ${msg}`;
  if (l === 'error' || l === 'warn') console.error(line);
  else console.log(line);
}

/** The program prints start-up facts itself (the CLI): Logger.startup lines are left out. */
let startupPrintedElsewhere = false;

/** For the CLI, which prints where a controller listens and what a node speaks in plain text, at every level. */
export function printStartupElsewhere(): void {
  startupPrintedElsewhere = true;
}

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** A start-up fact (where it listens, what it speaks): info, unless the program prints it itself. */
  startup(msg: string): void;
}

export function logger(scope: string): Logger {
  return {
    error: (m) => emit('error', scope, m),
    warn: (m) => emit('warn', scope, m),
    info: (m) => emit('info', scope, m),
    debug: (m) => emit('debug', scope, m),
    startup: (m) => {
      if (!startupPrintedElsewhere) emit('info', scope, m);
    },
  };
}
