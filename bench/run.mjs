#!/usr/bin/env node
// nextmini benchmark harness. `npm run bench` builds the package, then runs this.
//
//   node bench/run.mjs [--quick] [--only id|number,...] [--reps N] [--out DIR] [--profile]
//
// Every scenario runs against its baselines in the same run, interleaved repetition by
// repetition; the report gives median and min–max, and the ratio to the baseline.
// Writes DIR/latest.json, DIR/latest.md and DIR/latest.svg (DIR defaults to bench/results).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarios } from './scenarios/index.mjs';
import { killAll } from './lib/proc.mjs';
import { machineInfo } from './lib/machine.mjs';
import { renderMarkdown, renderSvg } from './lib/report.mjs';
import { summarizeProfiles } from './lib/profile.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const DEFAULT_OUT = join(here, 'results');

function parseArgs(argv) {
  const o = { quick: false, only: null, out: DEFAULT_OUT, profile: false, reps: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--profile') o.profile = true;
    else if (a.startsWith('--only')) o.only = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a.startsWith('--out')) o.out = resolve(val());
    else if (a.startsWith('--reps')) o.reps = Number(val());
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.mjs [--quick] [--only id|number,...] [--reps N] [--out DIR] [--profile]');
      console.log(`scenarios: ${scenarios.map((s) => `${s.number} ${s.id}${s.pending ? ' (pending)' : ''}`).join(', ')}`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (o.reps !== null && !(Number.isInteger(o.reps) && o.reps >= 1 && o.reps <= 50)) throw new Error('--reps must be an integer 1..50');
  if (o.only) {
    const known = new Set(scenarios.flatMap((s) => [s.id, String(s.number)]));
    const bad = o.only.filter((x) => !known.has(x));
    if (bad.length) throw new Error(`--only: unknown scenario ${bad.join(', ')} (known: ${scenarios.map((s) => s.id).join(', ')})`);
  }
  return o;
}

/** Ratio to the first baseline and the goal verdict, with how far off a missed goal is. */
function judge(c) {
  const nm = c.series.find((s) => s.kind === 'nextmini');
  const bl = c.series.find((s) => s.kind === 'baseline');
  c.ratio = nm && bl && bl.median > 0 ? nm.median / bl.median : null;
  if (!c.goal) return;
  // A goal may be set against another baseline than the first (`against`: its name's start).
  const other = c.goal.against ? c.series.find((s) => s.kind === 'baseline' && s.name.startsWith(c.goal.against)) : undefined;
  const r = other ? (nm && other.median > 0 ? nm.median / other.median : null) : c.ratio;
  if (!Number.isFinite(r)) {
    c.goal = { ...c.goal, met: false, verdict: 'no ratio (a side produced no number)' };
  } else if (c.goal.minRatio !== undefined) {
    const met = r >= c.goal.minRatio;
    c.goal = {
      ...c.goal,
      met,
      verdict: met
        ? `${(100 * r).toFixed(0)}% of the baseline (goal ≥ ${(100 * c.goal.minRatio).toFixed(0)}%)`
        : `${(100 * r).toFixed(0)}% of the baseline, goal ≥ ${(100 * c.goal.minRatio).toFixed(0)}%: short by ${(100 * (c.goal.minRatio - r)).toFixed(0)} points (needs ${(c.goal.minRatio / r).toFixed(2)}× its current goodput)`,
    };
  } else if (c.goal.minSpeedup !== undefined) {
    // Lower is better (a time): speed-up = baseline / nextmini.
    const x = 1 / r;
    const met = x >= c.goal.minSpeedup;
    c.goal = {
      ...c.goal,
      met,
      verdict: met
        ? `${x.toFixed(2)}× faster than the baseline (goal ≥ ${c.goal.minSpeedup}×)`
        : `${x.toFixed(2)}× faster than the baseline, goal ≥ ${c.goal.minSpeedup}×: short by ${(c.goal.minSpeedup - x).toFixed(2)}× (needs to be ${(c.goal.minSpeedup / x).toFixed(2)}× faster)`,
    };
  } else if (c.goal.maxRatio !== undefined) {
    const met = r <= c.goal.maxRatio;
    c.goal = {
      ...c.goal,
      met,
      verdict: met
        ? `${r.toFixed(2)}× the baseline (goal ≤ ${c.goal.maxRatio}×)`
        : `${r.toFixed(2)}× the baseline, goal ≤ ${c.goal.maxRatio}×: over by ${(r - c.goal.maxRatio).toFixed(2)}× (needs to be ${(r / c.goal.maxRatio).toFixed(2)}× faster)`,
    };
  } else if (c.goal.maxDelta !== undefined) {
    // An absolute cost (e.g. µs added to a round trip): nextmini's median minus the baseline's.
    const d = nm.median - bl.median;
    const met = d <= c.goal.maxDelta;
    c.goal = {
      ...c.goal,
      met,
      verdict: met
        ? `${d.toFixed(1)} ${c.unit} over the baseline (goal ≤ ${c.goal.maxDelta} ${c.unit})`
        : `${d.toFixed(1)} ${c.unit} over the baseline, goal ≤ ${c.goal.maxDelta} ${c.unit}: over by ${(d - c.goal.maxDelta).toFixed(1)} ${c.unit}`,
    };
  }
  // Say which baseline a goal set `against` another one was judged by.
  if (other && c.goal.verdict) c.goal.verdict = c.goal.verdict.replaceAll('the baseline', other.name);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const reps = opts.reps ?? (opts.quick ? 2 : 7);
  const started = performance.now();
  // Every loop below is bounded; this is the last word if something hangs anyway.
  // Quick mode may first build the native corebench example (scenario 4), ~30 s.
  const watchdogMs = opts.quick ? 240_000 : 20 * 60_000;
  const watchdog = setTimeout(() => {
    console.error(`bench: watchdog: still running after ${watchdogMs / 1000} s, giving up`);
    killAll();
    process.exit(1);
  }, watchdogMs);
  watchdog.unref();

  const profileRoot = opts.profile ? mkdtempSync(join(tmpdir(), 'nextmini-bench-prof-')) : null;
  const ctx = {
    quick: opts.quick,
    reps,
    /** Where results go (latest.json, …); scenarios may add files of their own there. */
    outDir: opts.out,
    log: (m) => console.log(m),
    profileDirFor: (name) => {
      const d = join(profileRoot, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
  };
  const selected = scenarios.filter((s) => !opts.only || opts.only.includes(s.id) || opts.only.includes(String(s.number)));
  const results = [];
  const profiles = [];
  for (const sc of selected) {
    const base = { id: sc.id, number: sc.number, title: sc.title };
    if (sc.pending) {
      console.log(`${sc.number}. ${sc.title}: ${sc.pending}`);
      results.push({ ...base, status: 'pending', reason: sc.pending });
      continue;
    }
    console.log(`${sc.number}. ${sc.title}`);
    const t0 = performance.now();
    try {
      const { cases } = await sc.run(ctx);
      cases.forEach(judge);
      results.push({ ...base, status: 'ok', hosting: sc.hosting, seconds: (performance.now() - t0) / 1000, cases });
      for (const c of cases) {
        const cells = c.series.map((s) => `${s.name.split(" (")[0]} ${Number.isFinite(s.median) ? +s.median.toPrecision(4) : "–"}`).join(' vs ');
        console.log(`   ${c.label}: ${cells} ${c.unit}${Number.isFinite(c.ratio) ? `, ratio ${c.ratio.toFixed(2)}` : ''}${c.goal ? (c.goal.met ? ' (goal met)' : ' (GOAL MISSED)') : ''}`);
      }
      const missed = cases.filter((c) => c.goal && !c.goal.met).map((c) => c.id);
      if (opts.profile && missed.length && sc.profile) {
        console.log(`   profiling ${missed.join(', ')}`);
        for (const p of await sc.profile(ctx, missed)) {
          p.roles.forEach((role, i) => profiles.push({ scenario: sc.id, caseId: p.caseId, role, summary: summarizeProfiles(p.dir, role, p.windows?.[i]) }));
        }
      }
    } catch (err) {
      console.error(`   failed: ${err?.stack ?? err}`);
      results.push({ ...base, status: 'error', hosting: sc.hosting, error: String(err?.message ?? err), cases: [] });
    }
  }
  // Scenarios left out by --only are still listed, so the file always names every scenario.
  for (const sc of scenarios) if (!selected.includes(sc)) results.push({ id: sc.id, number: sc.number, title: sc.title, status: 'skipped', reason: 'not selected (--only)' });
  results.sort((a, b) => a.number - b.number);

  const report = {
    meta: {
      command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      quick: opts.quick,
      reps,
      only: opts.only,
      profile: opts.profile,
      durationS: (performance.now() - started) / 1000,
      machine: machineInfo(),
    },
    scenarios: results,
    profiles,
  };
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'latest.json'), JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  writeFileSync(join(opts.out, 'latest.md'), renderMarkdown(report));
  writeFileSync(join(opts.out, 'latest.svg'), renderSvg(report));
  if (!opts.quick && resolve(opts.out) === resolve(DEFAULT_OUT)) updateReadme(report, renderMarkdown(report));
  if (profileRoot) rmSync(profileRoot, { recursive: true, force: true });
  console.log(`\nwrote ${join(opts.out, 'latest.{json,md,svg}')} in ${report.meta.durationS.toFixed(1)} s`);
  return results.some((r) => r.status === 'error') ? 1 : 0;
}

/**
 * The README shows the latest results table: a full run into bench/results rewrites the part
 * between the bench markers (and nothing else), so the README never shows stale numbers.
 */
function updateReadme(report, md) {
  const readme = fileURLToPath(new URL('../README.md', import.meta.url));
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  let text;
  try {
    text = readFileSync(readme, 'utf8');
  } catch {
    return;
  }
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  // Only the results table: the first one whose header starts with "| # |".
  const lines = md.split('\n');
  const first = lines.findIndex((l) => l.startsWith('| # |'));
  const table = [];
  for (let i = first; i >= 0 && i < lines.length && lines[i].startsWith('|'); i++) table.push(lines[i]);
  const m = report.meta.machine;
  const head = `Measured ${m.date.slice(0, 10)} by \`${report.meta.command}\` on ${m.cpu}, ${m.cores} cores, Node ${m.node}, in ${report.meta.durationS.toFixed(0)} s. Median (min–max); ratio = nextmini / baseline.`;
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${head}\n\n${table.join('\n')}\n${text.slice(b)}`);
  console.log('updated the results table in README.md');
}

process.on('unhandledRejection', (err) => {
  console.error('bench: unhandled rejection:', err);
  killAll();
  process.exit(1);
});

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err) => {
    console.error(`bench: ${err?.message ?? err}`);
    killAll();
    process.exit(1);
  },
);
