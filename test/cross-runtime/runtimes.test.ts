// Packs the package, installs the tarball into a scratch project and runs the same checks in
// Node, Deno, Bun and headless Chromium. Each runtime is its own test, so a broken import in
// any one of them fails by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
let project = '';

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'nextmini-smoke-'));
  // dist/ is already built by `npm test`; skip prepack's rebuild.
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', project], { cwd: root, stdio: 'pipe' });
  const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'smoke', private: true, type: 'module', dependencies: { nextmini: `file:./${tarball}` } }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, stdio: 'pipe' });
  for (const f of ['checks.mjs', 'smoke.mjs', 'index.html']) copyFileSync(join(here, f), join(project, f));
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

function runSmoke(cmd: string, args: string[]): { failures: string[]; bytes: string } {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('SMOKE '));
  if (!line) throw new Error(`${cmd} printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(6));
}

const EXPECTED_PREFIX = '1,0,0,32,0,0,0,1,0,0,1,2';

describe('the packed tarball in every runtime', () => {
  it('Node', () => {
    const r = runSmoke(process.execPath, ['smoke.mjs']);
    expect(r.failures).toEqual([]);
    expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
  });

  it('Deno (npm package through node_modules)', () => {
    const r = runSmoke(bin('deno'), ['run', '--allow-read', '--allow-env', 'smoke.mjs']);
    expect(r.failures).toEqual([]);
    expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
  });

  it('Bun', () => {
    const r = runSmoke(bin('bun'), ['smoke.mjs']);
    expect(r.failures).toEqual([]);
    expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
  });

  it('headless Chromium (browser entry, await init())', async () => {
    const { chromium } = await import('playwright-core');
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
    const server: Server = createServer((req, res) => {
      const path = join(project, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      try {
        const body = readFileSync(path.endsWith('/') ? join(path, 'index.html') : path);
        res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/index.html`);
      const r = (await page.evaluate('window.smoke')) as { failures: string[]; bytes: string };
      expect(errors).toEqual([]);
      expect(r.failures).toEqual([]);
      expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
