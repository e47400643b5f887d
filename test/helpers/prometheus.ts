// A small strict parser of the Prometheus text exposition format (0.0.4), as far as the
// controller's GET /metrics uses it: `# HELP name text`, `# TYPE name counter|gauge`, and
// `name{label="value",...} value` lines. Throws on anything else: a sample whose family has
// no TYPE line before it, a family whose lines are not grouped, a repeated HELP/TYPE or
// series, a bad escape, a malformed value, a missing final newline.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: 'counter' | 'gauge';
  help: string | undefined;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

class ParseError extends Error {
  constructor(line: number, text: string, why: string) {
    super(`prometheus text, line ${line}: ${why}: ${JSON.stringify(text)}`);
  }
}

function parseValue(s: string): number | undefined {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return FLOAT.test(s) ? Number(s) : undefined;
}

/** Unescapes HELP text (`\\` and `\n` only). */
function unescapeHelp(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === '\\') out += '\\';
    else if (n === 'n') out += '\n';
    else return undefined;
  }
  return out;
}

/** Parses `{a="x",b="y"}` starting at `s[i] === '{'`; returns the labels and the index after `}`. */
function parseLabels(s: string, i: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  i++; // {
  if (s[i] === '}') return { labels, end: i + 1 };
  for (;;) {
    const eq = s.indexOf('=', i);
    if (eq < 0) return 'label without =';
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) return `bad label name ${JSON.stringify(name)}`;
    if (Object.hasOwn(labels, name)) return `repeated label ${name}`;
    i = eq + 1;
    if (s[i] !== '"') return 'label value not quoted';
    i++;
    let value = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) return 'unterminated label value';
      if (c === '\n') return 'raw newline in a label value';
      if (c === '"') break;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else return `bad escape \\${n ?? ''} in a label value`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++; // closing quote
    if (s[i] === '}') return { labels, end: i + 1 };
    if (s[i] !== ',') return 'expected , or } after a label';
    i++;
  }
}

/** Parses the whole text; families in the order they appear. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  if (text === '') return families;
  if (!text.endsWith('\n')) throw new Error('prometheus text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const helps = new Map<string, string>();
  const seriesSeen = new Set<string>();
  /** Families whose group has ended: none of their lines may come again. */
  const closed = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, n: number, line: string) => {
    if (name === current) return;
    if (closed.has(name)) throw new ParseError(n, line, `family ${name} is not grouped (it appeared before)`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  lines.forEach((line, idx) => {
    const n = idx + 1;
    if (line === '') throw new ParseError(n, line, 'empty line');
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new ParseError(n, line, 'a comment that is neither # HELP nor # TYPE');
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!METRIC_NAME.test(name)) throw new ParseError(n, line, 'bad metric name');
      enter(name, n, line);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new ParseError(n, line, 'a second HELP');
        if (families.get(name)?.samples.length) throw new ParseError(n, line, 'HELP after samples');
        const help = unescapeHelp(rest);
        if (help === undefined) throw new ParseError(n, line, 'bad escape in HELP');
        helps.set(name, help);
        const f = families.get(name);
        if (f) f.help = help;
      } else {
        if (families.has(name)) throw new ParseError(n, line, 'a second TYPE');
        if (rest !== 'counter' && rest !== 'gauge') throw new ParseError(n, line, `type ${JSON.stringify(rest)} (expected counter or gauge)`);
        families.set(name, { name, type: rest, help: helps.get(name), samples: [] });
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new ParseError(n, line, 'a sample line must start with a metric name');
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const r = parseLabels(line, i);
      if (typeof r === 'string') throw new ParseError(n, line, r);
      labels = r.labels;
      i = r.end;
    }
    if (line[i] !== ' ') throw new ParseError(n, line, 'expected one space before the value');
    const valueText = line.slice(i + 1);
    const value = parseValue(valueText);
    if (value === undefined) throw new ParseError(n, line, `bad value ${JSON.stringify(valueText)} (or a timestamp, which is not expected)`);
    const family = families.get(name);
    if (!family) throw new ParseError(n, line, `sample of ${name} with no # TYPE line before it`);
    enter(name, n, line);
    if (family.type === 'counter' && !(value >= 0)) throw new ParseError(n, line, 'a counter must be a non-negative number');
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    if (seriesSeen.has(key)) throw new ParseError(n, line, 'the same series twice');
    seriesSeen.add(key);
    family.samples.push({ name, labels, value });
  });
  return families;
}

/** The samples of one family whose labels include `match`. */
export function samplesOf(families: Map<string, PromFamily>, name: string, match: Record<string, string> = {}): PromSample[] {
  return (families.get(name)?.samples ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
