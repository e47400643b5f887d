// `npm test`: every check, in order, stopping at the first failing stage.
//   1. wasm/ must be fresh against core-rs/ (never test an old core by accident)
//   2. the core, natively: cargo fmt --check, clippy -D warnings, cargo test, then a short
//      fuzz campaign (1 M inputs over the decoders and a two-engine session; scripts/fuzz.mjs)
//   3. build the TypeScript package (tsc + rollup), then tsc --noEmit over sources and tests
//   4. vitest: unit, end-to-end on loopback sockets, and the cross-runtime smoke tests
// Ends with one line "nextmini: N passed, M failed" counting Rust and TypeScript tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, staleness } from './wasm-stamp.mjs';
import { crashDir, fuzzCargoArgs } from './fuzz.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
let passed = 0;
let failed = 0;

function stage(title, cmd, args, opts = {}) {
  console.log(`\n=== ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', ...opts });
  if (opts.capture) process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) {
    console.error(`\nnextmini: stage failed: ${title} (exit ${r.status ?? r.signal})`);
    console.log(`nextmini: ${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  }
  return r.stdout ?? '';
}

console.log('=== wasm/ freshness');
const why = staleness();
if (why) {
  console.error(`nextmini: stale WebAssembly core: ${why}.\nRebuild it with \`npm run build:wasm\` (first time on a machine: \`bash scripts/setup-wasm-toolchain.sh\`), then run npm test again.`);
  console.log('nextmini: 0 passed, 1 failed');
  process.exit(1);
}
console.log('wasm/ is fresh against core-rs/');

const hasPostgres = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')));
if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') || !hasPostgres) {
  stage('installing Chromium (browser smoke test) and PostgreSQL (store tests)', 'bash', [join(root, 'scripts', 'setup-test-deps.sh')]);
}

const core = join(root, 'core-rs');
stage('cargo fmt --check', 'cargo', ['fmt', '--check'], { cwd: core });
stage('cargo clippy -D warnings', 'cargo', ['clippy', '--all-targets', '--quiet', '--', '-D', 'warnings'], { cwd: core });
// proptest's default is 256 cases per property; 1,024 costs ~4 s more and finds more.
const proptestEnv = { ...process.env, PROPTEST_CASES: process.env.PROPTEST_CASES ?? '1024' };
const cargoOut = stage('cargo test (core, native; 1,024 proptest cases)', 'cargo', ['test', '--quiet'], { cwd: core, capture: true, env: proptestEnv });
for (const m of cargoOut.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}

// Seeded, so a failure reproduces; a crashing input is saved under build/fuzz-crashes/.
stage('fuzz: short campaign (1 M native inputs; npm run fuzz runs a long one)', 'cargo', [...fuzzCargoArgs(), '--inputs', '1000000', '--seconds', '60', '--jobs', '2', '--seed', '1', '--crash-dir', crashDir], { cwd: core });

stage('build the package (tsc + rollup)', bin('tsc'), ['-p', 'tsconfig.build.json']);
stage('rollup', bin('rollup'), ['-c', '--silent']);
stage('tsc --noEmit (strict, sources and tests)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);

mkdirSync(join(root, 'build'), { recursive: true });
const report = join(root, 'build', 'vitest.json');
const vitestArgs = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
console.log('\n=== vitest');
const v = spawnSync(bin('vitest'), vitestArgs, { cwd: root, stdio: 'inherit' });
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed += j.numPassedTests ?? 0;
  failed += j.numFailedTests ?? 0;
}
if (v.status !== 0 && failed === 0) failed += 1; // a crash or a failing hook, not a test
console.log(`\nnextmini: ${passed} passed, ${failed} failed`);
process.exit(v.status === 0 && failed === 0 ? 0 : 1);
