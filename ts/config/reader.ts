import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { closest } from './did-you-mean.js';

/** A parsed TOML table or an object literal with the same snake_case keys. */
export type Table = Record<string, unknown>;

const log = logger('config');

const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'a table' : String(v));

/**
 * Reads one config table key by key, so that every error names the key and what was
 * expected; checkKeys refuses keys the table does not have.
 */
export class TableReader {
  readonly #t: Table;

  constructor(
    readonly what: string,
    table: unknown,
  ) {
    if (table === null || typeof table !== 'object' || Array.isArray(table)) {
      throw this.fail('', `must be a table, got ${describe(table)}`);
    }
    this.#t = table as Table;
  }

  fail(key: string, message: string): NextminiError {
    const where = key ? `${this.what}.${key}` : this.what;
    return new NextminiError('CONFIG_INVALID', `${where} ${message}`);
  }

  has(key: string): boolean {
    return this.#t[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.#t[key];
  }

  int(key: string, opts: { min?: number; max?: number; default?: number } = {}): number {
    const v = this.raw(key);
    const min = opts.min ?? 0;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    if (v === undefined) {
      if (opts.default !== undefined) return opts.default;
      throw this.fail(key, `is required (a whole number from ${min} to ${max})`);
    }
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw this.fail(key, `must be a whole number from ${min} to ${max}, got ${describe(v)}`);
    }
    return n;
  }

  /**
   * A port: a whole number, or a string of digits as upstream nextmini's configs write them
   * (`private_network_port = "8080"`, `[db] port = "5432"`); anything else is refused.
   */
  port(key: string, opts: { min?: number; default?: number } = {}): number {
    const v = this.raw(key);
    const min = opts.min ?? 0;
    if (v === undefined && opts.default !== undefined) return opts.default;
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 65535) {
      throw this.fail(key, `must be a port from ${min} to 65535 (a number, or a string of digits), got ${describe(v)}`);
    }
    return n;
  }

  num(key: string, opts: { min?: number; max?: number; default?: number } = {}): number {
    const v = this.raw(key);
    const min = opts.min ?? -Infinity;
    const max = opts.max ?? Infinity;
    if (v === undefined) {
      if (opts.default !== undefined) return opts.default;
      throw this.fail(key, `is required (a number from ${min} to ${max})`);
    }
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      throw this.fail(key, `must be a number from ${min} to ${max}, got ${describe(v)}`);
    }
    return n;
  }

  str(key: string, opts: { default?: string } = {}): string {
    const v = this.raw(key);
    if (v === undefined && opts.default !== undefined) return opts.default;
    if (typeof v !== 'string' || v.length === 0) throw this.fail(key, `must be a non-empty string, got ${describe(v)}`);
    return v;
  }

  bool(key: string, opts: { default?: boolean } = {}): boolean {
    const v = this.raw(key);
    if (v === undefined && opts.default !== undefined) return opts.default;
    if (typeof v !== 'boolean') throw this.fail(key, `must be true or false, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], opts: { default?: T } = {}): T {
    const v = this.raw(key);
    if (v === undefined && opts.default !== undefined) return opts.default;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      throw this.fail(key, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  }

  ipv4(key: string, opts: { default?: string } = {}): string {
    const s = this.str(key, opts);
    if (parseIpv4(s) === null) throw this.fail(key, `must be a dotted IPv4 address, got ${JSON.stringify(s)}`);
    return s;
  }

  table(key: string): TableReader | undefined {
    const v = this.raw(key);
    return v === undefined ? undefined : new TableReader(`${this.what}.${key}`, v);
  }

  tables(key: string): TableReader[] {
    const v = this.raw(key);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.fail(key, `must be an array of tables ([[${key}]]), got ${describe(v)}`);
    return v.map((item, i) => new TableReader(`${this.what}.${key}[${i}]`, item));
  }

  /**
   * Rejects keys this table does not have, before any value is read: a misspelt optional key
   * would otherwise leave its default in force unnoticed, and a misspelt required key would be
   * reported as missing without naming the typo. `noEffect` are keys of upstream nextmini's
   * configs that mean nothing here (a TUN device, thread counts): warned about, not refused, so
   * upstream files still load.
   */
  checkKeys(known: readonly string[], noEffect: readonly string[] = []): void {
    const ignored: string[] = [];
    const unknown: string[] = [];
    for (const k of Object.keys(this.#t)) {
      if (known.includes(k)) continue;
      if (noEffect.includes(k)) {
        ignored.push(k);
      } else unknown.push(k);
    }
    if (unknown.length) {
      const named = unknown.map((k) => {
        // Upstream keys are candidates too (`featur` meant `feature`), said to change nothing here.
        const c = closest(k, [...known, ...noEffect]);
        const note = c !== undefined && !known.includes(c) ? ', an upstream key with no effect here' : '';
        return `${JSON.stringify(k)}${c === undefined ? '' : ` (did you mean \`${c}\`${note}?)`}`;
      });
      const where = this.what;
      throw new NextminiError('CONFIG_INVALID', `${where}: unknown key${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; known keys: ${known.join(', ')}`);
    }
    if (ignored.length) log.warn(`${this.what}: ${ignored.join(', ')} ${ignored.length > 1 ? 'are upstream nextmini keys' : 'is an upstream nextmini key'} with no effect here; ignored`);
  }

}

export function parseIpv4(s: string): [number, number, number, number] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return nums.every((n) => n >= 0 && n <= 255) ? (nums as [number, number, number, number]) : null;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipv4ToInt(s: string): number {
  const p = parseIpv4(s);
  if (!p) throw new NextminiError('INVALID_ARGUMENT', `not a dotted IPv4 address: ${JSON.stringify(s)}`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Runs a config resolver; errors about a file's content also name the file. */
export function withConfigFile<T>(config: unknown, resolve: () => T): T {
  try {
    return resolve();
  } catch (err) {
    if (typeof config === 'string' && err instanceof NextminiError) throw new NextminiError(err.code, `${err.message} (in ${config})`, { cause: err });
    throw err;
  }
}
