// Minimal levelled logging. Level from NEXTMINI_LOG (error|warn|info|debug), default warn.
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

function envLevel(): LogLevel {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  const v = g.process?.env?.NEXTMINI_LOG?.toLowerCase();
  return v && v in ORDER ? (v as LogLevel) : 'warn';
}

let level: LogLevel = envLevel();

/** Sets the level; an unknown name is ignored (the level stays as it was). */
export function setLogLevel(l: LogLevel | string): void {
  if (l in ORDER) level = l as LogLevel;
}

function emit(l: LogLevel, scope: string, msg: string): void {
  if (ORDER[l] > ORDER[level]) return;
  const line = `[nextmini ${l}] ${scope}: ${msg}`;
  if (l === 'error' || l === 'warn') console.error(line);
  else console.log(line);
}

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

export function logger(scope: string): Logger {
  return {
    error: (m) => emit('error', scope, m),
    warn: (m) => emit('warn', scope, m),
    info: (m) => emit('info', scope, m),
    debug: (m) => emit('debug', scope, m),
  };
}
