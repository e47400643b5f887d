// Option bags: an array is not an option bag (every key of [] would pass as "no unknown
// option", and the call would run on defaults), nor is a number or a string.
import { describe, expect, it } from 'vitest';
import { checkOptions } from '../../ts/options.js';

const codeOf = (f: () => void): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
};

describe('checkOptions', () => {
  it('accepts undefined and plain objects with known keys', () => {
    expect(codeOf(() => checkOptions('recv', undefined, ['timeoutMs']))).toBe('ok');
    expect(codeOf(() => checkOptions('recv', { timeoutMs: 5 }, ['timeoutMs']))).toBe('ok');
  });
  it('refuses null, which used to pass here and then fail as a TypeError in the call', () => {
    expect(codeOf(() => checkOptions('recv', null as never, ['timeoutMs']))).toBe('INVALID_ARGUMENT: recv: options must be an object or left out, got null');
  });
  it('refuses arrays and non-objects, naming the call', () => {
    expect(codeOf(() => checkOptions('recv', [] as never, ['timeoutMs']))).toBe('INVALID_ARGUMENT: recv: options must be an object, got an array');
    expect(codeOf(() => checkOptions('recv', 5 as never, ['timeoutMs']))).toBe('INVALID_ARGUMENT: recv: options must be an object, got number');
  });
  it('names unknown options and the known ones', () => {
    expect(codeOf(() => checkOptions('recv', { timeout: 5 }, ['timeoutMs']))).toBe('INVALID_ARGUMENT: recv: unknown option timeout (known: timeoutMs)');
  });
});
