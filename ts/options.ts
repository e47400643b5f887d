import { NextminiError } from './errors.js';

/**
 * Rejects option names a call does not know. TypeScript already flags them at compile time;
 * this catches them in plain JavaScript, where a typo (`timeout` for `timeoutMs`) would
 * otherwise be ignored silently.
 */
export function checkOptions(call: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined) return;
  // null is not "no options": the call would go on to read fields of it.
  if (options === null) throw new NextminiError('INVALID_ARGUMENT', `${call}: options must be an object or left out, got null`);
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new NextminiError('INVALID_ARGUMENT', `${call}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new NextminiError(
      'INVALID_ARGUMENT',
      `${call}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${allowed.join(', ')})`,
    );
  }
}

export const WAIT_KEYS = ['timeoutMs', 'signal'] as const;

/** A port number argument; INVALID_ARGUMENT names it otherwise. */
export function checkPort(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new NextminiError('INVALID_ARGUMENT', `${name} must be a port number 0..65535, got ${v}`);
  return v;
}
