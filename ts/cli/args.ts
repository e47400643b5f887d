// Flag tables and their strict parsing (node:util parseArgs), shared by every `nextmini` command:
// one table per command gives both the parser's options and the --help text, so they cannot drift.
import { parseArgs } from 'node:util';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of a string flag's value in the help text (default: the choices, else VALUE). */
  value?: string;
  /** The only values a string flag takes. */
  choices?: readonly string[];
  /** The command cannot run without it. */
  required?: boolean;
  help: string;
}
export type Flags = Record<string, Flag>;
export type Values = Record<string, string | boolean | undefined>;

/** Exit status of a usage error, for every command. */
export const USAGE_EXIT = 2;

/** A mistake on the command line: reported as `nextmini <where>: <message>`, exit 2. */
export class UsageError extends Error {
  constructor(
    readonly where: string,
    message: string,
    /** Follow the message with a pointer to --help (not for a bad environment variable). */
    readonly pointToHelp = true,
  ) {
    super(message);
  }
}

export const HELP_FLAG: Flags = { help: { type: 'boolean', short: 'h', help: 'show this help' } };

function placeholder(f: Flag): string {
  return f.value ?? f.choices?.join('|') ?? 'VALUE';
}

function flagLabel(name: string, f: Flag): string {
  return `${f.short ? `-${f.short}, ` : ''}--${name}${f.type === 'string' ? ` ${placeholder(f)}` : ''}`;
}

/** One line of flags, for error messages: `--config FILE.toml, --help`. */
export function flagList(flags: Flags): string {
  return Object.entries(flags)
    .map(([name, f]) => `--${name}${f.type === 'string' ? ` ${placeholder(f)}` : ''}`)
    .join(', ');
}

/** The flags as an aligned table, for --help. */
export function flagHelp(flags: Flags): string {
  const rows = Object.entries(flags).map(([name, f]) => [flagLabel(name, f), f.help] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}

/** A synopsis from the table: required flags bare, the others in brackets (help left out). */
export function synopsis(flags: Flags): string {
  return Object.entries(flags)
    .filter(([name]) => name !== 'help')
    .map(([name, f]) => {
      const s = `--${name}${f.type === 'string' ? ` ${placeholder(f)}` : ''}`;
      return f.required ? s : `[${s}]`;
    })
    .join(' ');
}

/** True when -h or --help comes before any `--`. */
export function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known flag a misspelt one most likely meant (at most two edits away), if any. */
function closest(given: string, flags: Flags): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const name of Object.keys(flags)) {
    const d = distance(given, name);
    if (d < bestD) [best, bestD] = [name, d];
  }
  return best;
}

/** A usage error for a single-value flag given more than once, listing what was given. */
export function repeatedFlag(where: string, name: string, given: readonly unknown[]): UsageError {
  return new UsageError(where, `--${name} given more than once (${given.map((v) => `'${String(v)}'`).join(', ')}): give it once`);
}

/**
 * `--flag -1` as `--flag=-1`: parseArgs reads a value starting with '-' as a flag and reports the
 * value missing, when what is wrong is the value itself (the command then refuses it by name).
 */
function negativeValuesJoined(args: string[], flags: Flags): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i)];
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && flags[a.slice(2)]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * Parses `args` strictly: an unknown flag, a missing, empty or unwanted value, a string flag
 * given twice, a value outside a flag's choices, a missing required flag or a positional
 * argument is a UsageError naming the flag and listing the valid ones.
 */
export function parseFlags(where: string, args: string[], flags: Flags): Values {
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }]));
  let values: Values;
  try {
    const parsed = parseArgs({ args: negativeValuesJoined(args, flags), options, strict: true, allowPositionals: false, tokens: true });
    values = parsed.values as Values;
    // parseArgs keeps the last of a repeated flag: `--config a.toml --config b.toml` would run on b.toml unnoticed.
    const seen = new Map<string, string[]>();
    for (const t of parsed.tokens) {
      if (t.kind !== 'option' || flags[t.name]?.type !== 'string') continue;
      seen.set(t.name, [...(seen.get(t.name) ?? []), t.value ?? '']);
    }
    for (const [name, given] of seen) {
      if (given.length > 1) throw repeatedFlag(where, name, given);
      // `--config=` is no value, not a file named ''.
      if (given[0] === '') throw new UsageError(where, `--${name} needs a value: --${name} ${placeholder(flags[name]!)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as { code?: string; message?: string };
    // parseArgs quotes the offending flag or argument: "Unknown option '--bogus'", "Option '--preset <value>' argument missing".
    const quoted = /'([^'<]+?)(?: <value>)?'/.exec(e.message ?? '')?.[1];
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
        const guess = quoted?.startsWith('--') ? closest(quoted.slice(2).split('=')[0]!, flags) : undefined;
        throw new UsageError(where, `unknown flag ${quoted ?? '?'}${guess ? ` (did you mean --${guess}?)` : ''} (valid: ${flagList(flags)})`);
      }
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        const name = quoted?.replace(/^-+/, '') ?? '';
        const entry = flags[name] ? ([name, flags[name]] as const) : Object.entries(flags).find(([, x]) => x.short === name);
        if (entry?.[1].type === 'boolean') throw new UsageError(where, `${quoted} takes no value`);
        const label = entry ? `--${entry[0]}` : quoted;
        throw new UsageError(where, `${label} needs a value: ${label} ${entry ? placeholder(entry[1]) : 'VALUE'}`);
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(where, `unexpected argument '${quoted ?? '?'}' (valid flags: ${flagList(flags)})`);
      default:
        throw new UsageError(where, e.message ?? String(err));
    }
  }
  for (const [name, f] of Object.entries(flags)) {
    const v = values[name];
    if (v === undefined) {
      if (f.required) throw new UsageError(where, `--${name} ${placeholder(f)} is required`);
    } else if (f.choices && !f.choices.includes(String(v))) {
      throw new UsageError(where, `--${name} must be one of ${f.choices.join(', ')}, got '${String(v)}'`);
    }
  }
  return values;
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (sig: string) => resolve(sig);
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
}
