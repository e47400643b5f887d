import { NextminiError } from '../errors.js';

/** A parsed TOML table or an object literal with the same snake_case keys. */
export type Table = Record<string, unknown>;

const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'a table' : String(v));

/**
 * Reads one config table key by key, so that every error names the key and what was
 * expected, and so that keys nobody read can be reported as unknown.
 */
export class TableReader {
  readonly #t: Table;
  readonly #used = new Set<string>();

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
    this.#used.add(key);
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

  /** Keys present in the table that no reader asked for. */
  unknownKeys(): string[] {
    return Object.keys(this.#t).filter((k) => !this.#used.has(k));
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
