import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

// A copy of just what the freshness check reads: scripts/, core-rs/{src,Cargo.*}, wasm/stamp.json.
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nextmini-stale-'));
  cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
  cpSync(join(root, 'core-rs', 'src'), join(dir, 'core-rs', 'src'), { recursive: true });
  for (const f of ['Cargo.toml', 'Cargo.lock']) cpSync(join(root, 'core-rs', f), join(dir, 'core-rs', f));
  cpSync(join(root, 'wasm', 'stamp.json'), join(dir, 'wasm', 'stamp.json'));
  return dir;
}

const check = (dir: string) => spawnSync(process.execPath, [join(dir, 'scripts', 'wasm-stamp.mjs')], { encoding: 'utf8' });

describe('stale wasm/ detection', () => {
  it('passes on the committed tree and fails with a clear message after a core edit', () => {
    const dir = scratchCopy();
    try {
      expect(check(dir).status).toBe(0);
      appendFileSync(join(dir, 'core-rs', 'src', 'wire.rs'), '\n// edited\n');
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('stale WebAssembly core');
      expect(r.stderr).toContain('npm run build:wasm');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // npm test's stale-core stop must end like every other failing stage, with the summary line
  // that CI and people grep for.
  it('npm test stops on a stale core with a "0 passed, 1 failed" line', () => {
    const dir = scratchCopy();
    try {
      appendFileSync(join(dir, 'core-rs', 'src', 'wire.rs'), '\n// edited\n');
      const r = spawnSync(process.execPath, [join(dir, 'scripts', 'test.mjs')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('stale WebAssembly core');
      expect(r.stdout).toMatch(/^nextmini: 0 passed, 1 failed$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails when the lock file changes', () => {
    const dir = scratchCopy();
    try {
      appendFileSync(join(dir, 'core-rs', 'Cargo.lock'), '\n');
      expect(check(dir).status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
