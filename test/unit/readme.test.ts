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

  it('the "Streams and forwarding" examples run: fetch through forward/expose, and the stream API', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Streams and forwarding'));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const [wan, api] = blocks as [string, string];
    const dir = mkdtempSync(join(tmpdir(), 'nextmini-readme-'));
    try {
      const lib = pathToFileURL(join(root, 'dist', 'node.js')).href;
      // The first runs as written; the API snippet runs inside it, with n1 and n3 from it.
      const file = join(dir, 'streams.mjs');
      const closing = wan.indexOf('await forwarder.close();');
      const program = wan.slice(0, closing) + `const [n1, , n3] = nodes;\n${api}\n` + wan.slice(closing);
      writeFileSync(file, program.replace("from 'nextmini'", `from '${lib}'`));
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout.trim().split('\n');
      expect(out[0]).toBe('200 hello from across the WAN: /index.html');
      expect(out[1]).toBe('ping');
      expect(out.slice(2).join(' ').replace(/\s+/g, ' ')).toMatch(/^\{ rttMs: [\d.]+, cwndBytes: \d+, bytesSent: 4, bytesReceived: 4, retransmits: \d+, bytesInFlight: 0, timeouts: 0 \}$/);
      // Only the controller's no-auth_token warning.
      expect(r.stderr.replace(/.*no auth_token.*\n/g, '')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
