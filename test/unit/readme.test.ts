// The README's first example must run as written against the built package.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('README', () => {
  it('the "Using it" example runs and prints what it says', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using it'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, code!.replace("from 'nextmini'", `from '${pathToFileURL(join(root, 'dist', 'node.js')).href}'`));
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('192.168.0.1 40000 5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
