// Builds core-rs for wasm32 with Debian's rustc (which has a std for wasm32, see
// scripts/setup-wasm-toolchain.sh), generates bindings with the pinned wasm-bindgen CLI,
// optimises with wasm-opt (npm binaryen) and writes wasm/stamp.json.
//
// Why not wasm-pack: its npm package downloads a prebuilt binary at install time, which this
// network refuses, and it adds nothing we need over calling wasm-bindgen directly.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inputsHash, pinnedWasmBindgen, root, stampPath } from './wasm-stamp.mjs';

const core = join(root, 'core-rs');
const out = join(root, 'wasm');
const targetDir = join(core, 'target-wasm');
const debug = process.argv.includes('--debug');
const run = (cmd, args, opts = {}) => {
  console.log(`[build-wasm] ${cmd} ${args.join(' ')}`);
  return String(execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts }) ?? '');
};

const rustc = existsSync('/usr/bin/rustc') ? '/usr/bin/rustc' : 'rustc';
const env = { ...process.env, RUSTC: rustc, CARGO_TARGET_DIR: targetDir };
const profile = debug ? [] : ['--release'];
try {
  run('cargo', ['build', '--lib', '--target', 'wasm32-unknown-unknown', ...profile], { cwd: core, env, stdio: 'inherit' });
} catch {
  console.error('[build-wasm] cargo failed. On a fresh machine run first: bash scripts/setup-wasm-toolchain.sh');
  process.exit(1);
}
const built = join(targetDir, 'wasm32-unknown-unknown', debug ? 'debug' : 'release', 'nextmini_core.wasm');

const wbVersion = run('wasm-bindgen', ['--version']).trim().split(/\s+/)[1];
if (wbVersion !== pinnedWasmBindgen()) {
  console.error(`[build-wasm] wasm-bindgen CLI is ${wbVersion}, the crate pins ${pinnedWasmBindgen()}: run bash scripts/setup-wasm-toolchain.sh`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// --target web: an ES module with an async default init() and initSync(); the Node/Deno/Bun
// entry feeds initSync bytes read synchronously, the browser entry awaits init().
run('wasm-bindgen', ['--target', 'web', '--out-dir', out, '--out-name', 'nextmini_core', built]);

const wasmFile = join(out, 'nextmini_core_bg.wasm');
if (!debug) {
  const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
  const before = statSync(wasmFile).size;
  // Rust's wasm32 target enables these proposals by default; wasm-opt must be told.
  run(wasmOpt, ['-O3', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
    '--enable-reference-types', '--enable-multivalue', '--enable-mutable-globals',
    wasmFile, '-o', wasmFile + '.opt']);
  copyFileSync(wasmFile + '.opt', wasmFile);
  rmSync(wasmFile + '.opt');
  console.log(`[build-wasm] wasm-opt: ${before} -> ${statSync(wasmFile).size} bytes`);
}
const rustcVersion = run(rustc, ['--version']).trim();
writeFileSync(stampPath, JSON.stringify({ inputsHash: inputsHash(), wasmBindgen: wbVersion, rustc: rustcVersion, profile: debug ? 'debug' : 'release' }, null, 2) + '\n');
console.log(`[build-wasm] wrote ${out} and stamp`);
