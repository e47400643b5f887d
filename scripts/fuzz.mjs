// `npm run fuzz`: a long fuzzing campaign over the core's decoders, a two-engine session and
// the TypeScript control codec. Prints inputs per second per target; any crashing input is
// saved under build/fuzz-crashes/ and its path printed (exit 1).
//
//   npm run fuzz -- [--inputs N] [--seconds S] [--seed N] [--jobs N] [--target a,b]
//                   [--control-inputs N] [--libfuzzer S]
//
//   --inputs          native inputs in total over the core targets (default 100,000,000)
//   --seconds         time bound of the native campaign (default 900)
//   --seed            campaign seed (default: the current time, printed)
//   --jobs            native worker threads (default 2)
//   --target          core targets only (header, frag, lossless_frame, route_table,
//                     mcast_table, session; default all)
//   --control-inputs  inputs to the TypeScript control codec (default 3,000,000; 0 = skip)
//   --libfuzzer S     also run each cargo-fuzz target (coverage-guided, needs nightly and
//                     cargo-fuzz) for S seconds; corpora in core-rs/fuzz/corpus/
//
// The native harness is core-rs/examples/fuzz.rs (targets in core-rs/fuzz/targets.rs),
// built by fuzzCargoArgs() below; `npm test` runs a short campaign of it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const crashDir = join(root, 'build', 'fuzz-crashes');

/**
 * `cargo run` arguments for the native harness: release optimisation without LTO (fast to
 * build), panics unwinding (so a crash is caught and its input saved), and overflow checks
 * and debug assertions on (so arithmetic slips are findings too). A profile of its own, in
 * core-rs/target/fuzz/, leaving the release build alone.
 */
export function fuzzCargoArgs() {
  const profile = {
    inherits: '"release"',
    lto: 'false',
    'codegen-units': '16',
    incremental: 'true',
    panic: '"unwind"',
    'overflow-checks': 'true',
    'debug-assertions': 'true',
  };
  const config = Object.entries(profile).flatMap(([k, v]) => ['--config', `profile.fuzz.${k}=${v}`]);
  return ['run', '--quiet', '--profile', 'fuzz', ...config, '--example', 'fuzz', '--'];
}

function parse(argv) {
  const o = { inputs: 100_000_000, seconds: 900, seed: Date.now() % 1_000_000_007, jobs: 2, target: null, controlInputs: 3_000_000, libfuzzer: 0 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const num = () => {
      const n = Number(String(v).replaceAll('_', ''));
      if (!Number.isFinite(n) || n < 0) throw new Error(`${argv[i]} needs a number, got ${v}`);
      i++;
      return n;
    };
    switch (argv[i]) {
      case '--inputs': o.inputs = num(); break;
      case '--seconds': o.seconds = num(); break;
      case '--seed': o.seed = num(); break;
      case '--jobs': o.jobs = Math.max(1, num()); break;
      case '--control-inputs': o.controlInputs = num(); break;
      case '--libfuzzer': o.libfuzzer = num(); break;
      case '--target': o.target = v; i++; break;
      default: throw new Error(`unknown argument ${argv[i]} (see the head of scripts/fuzz.mjs)`);
    }
  }
  return o;
}

function main() {
  const o = parse(process.argv.slice(2));
  mkdirSync(crashDir, { recursive: true });
  const core = join(root, 'core-rs');
  const rows = [];
  let crashed = false;

  console.log(`=== native campaign: ${o.inputs} inputs, at most ${o.seconds} s, ${o.jobs} jobs, seed ${o.seed}`);
  const args = [...fuzzCargoArgs(), '--inputs', String(o.inputs), '--seconds', String(o.seconds), '--seed', String(o.seed), '--jobs', String(o.jobs), '--crash-dir', crashDir, '--json'];
  if (o.target) args.push('--target', o.target);
  const r = spawnSync('cargo', args, { cwd: core, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(line);
  } catch {
    console.error(`fuzz: the native harness failed (exit ${r.status ?? r.signal}) without a report:\n${r.stdout}`);
    process.exit(1);
  }
  for (const t of report.targets) {
    rows.push({ target: t.name, inputs: t.inputs, seconds: t.seconds, perSecond: t.perSecond, result: t.crash ? `CRASH: ${t.crash.file}` : 'ok' });
    if (t.crash) crashed = true;
  }

  if (o.controlInputs > 0) {
    console.log(`=== control codec (TypeScript): ${o.controlInputs} inputs, seed ${o.seed}`);
    const vitest = join(root, 'node_modules', '.bin', 'vitest');
    const env = { ...process.env, NEXTMINI_FUZZ_CONTROL_INPUTS: String(o.controlInputs), NEXTMINI_FUZZ_SEED: String(o.seed), NEXTMINI_FUZZ_CRASH_DIR: crashDir };
    const t0 = Date.now();
    const v = spawnSync(vitest, ['run', 'test/unit/control-codec-fuzz.test.ts', '-t', 'seeded inputs', '--testTimeout', '0'], { cwd: root, env, encoding: 'utf8' });
    const out = `${v.stdout ?? ''}${v.stderr ?? ''}`;
    const m = /control codec fuzz: (\d+) inputs .* in ([\d.]+) s, (\d+) inputs\/s/.exec(out);
    const saved = /saved to (\S+)/.exec(out);
    if (v.status !== 0) crashed = true;
    rows.push({
      target: 'control_codec (ts)',
      inputs: m ? Number(m[1]) : 0,
      seconds: m ? Number(m[2]) : (Date.now() - t0) / 1000,
      perSecond: m ? Number(m[3]) : 0,
      result: v.status === 0 ? 'ok' : saved ? `CRASH: ${saved[1]}` : 'FAILED (see below)',
    });
    if (v.status !== 0 && !saved) console.error(out);
  }

  if (o.libfuzzer > 0) {
    const hasCargoFuzz = spawnSync('cargo', ['+nightly', 'fuzz', '--version'], { cwd: core, encoding: 'utf8' }).status === 0;
    if (!hasCargoFuzz) {
      console.log('=== libFuzzer: skipped (needs `rustup toolchain install nightly` and `cargo install cargo-fuzz`)');
    } else {
      const targets = (o.target ?? 'header,frag,lossless_frame,route_table,mcast_table,session').split(',');
      for (const t of targets) {
        console.log(`=== libFuzzer: ${t} for ${o.libfuzzer} s`);
        const artifacts = join(crashDir, `libfuzzer-${t}`) + '/';
        mkdirSync(artifacts, { recursive: true });
        const before = new Set(readdirSync(artifacts));
        const lf = spawnSync('cargo', ['+nightly', 'fuzz', 'run', '-O', t, '--', `-max_total_time=${o.libfuzzer}`, `-artifact_prefix=${artifacts}`, `-seed=${o.seed % 2 ** 31}`, '-print_final_stats=1'], { cwd: core, encoding: 'utf8' });
        const out = `${lf.stdout ?? ''}${lf.stderr ?? ''}`;
        const runs = /stat::number_of_executed_units:\s*(\d+)/.exec(out);
        const secs = /stat::total_run_time:\s*(\d+)/.exec(out) ?? [null, String(o.libfuzzer)];
        const fresh = readdirSync(artifacts).filter((f) => !before.has(f));
        if (lf.status !== 0) crashed = true;
        rows.push({
          target: `${t} (libFuzzer)`,
          inputs: runs ? Number(runs[1]) : 0,
          seconds: Number(secs[1]),
          perSecond: runs ? Math.round(Number(runs[1]) / Math.max(1, Number(secs[1]))) : 0,
          result: lf.status === 0 ? 'ok' : fresh.length ? `CRASH: ${join(artifacts, fresh[0])}` : `FAILED (exit ${lf.status})`,
        });
        if (lf.status !== 0 && !fresh.length) console.error(out.slice(-4000));
      }
    }
  }

  console.log('\ntarget                    inputs      seconds    inputs/s  result');
  for (const x of rows) {
    console.log(`${x.target.padEnd(22)} ${String(x.inputs).padStart(12)} ${x.seconds.toFixed(1).padStart(10)} ${String(Math.round(x.perSecond)).padStart(11)}  ${x.result}`);
  }
  const total = rows.reduce((s, x) => s + x.inputs, 0);
  console.log(`total ${total} inputs, seed ${o.seed}`);
  if (crashed) {
    console.log(`\nfuzz: findings saved in ${crashDir}. Replay a native one with:\n  cd core-rs && cargo run --example fuzz -- --target <name> --replay <file>`);
    process.exit(1);
  }
}

// Run only as a script; scripts/test.mjs imports fuzzCargoArgs() from here.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
