// Smoke run of the benchmark harness (`node bench/run.mjs --quick`): checks the shape of
// its output, never its numbers' size (no timing assertions: this runs on shared machines).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runMjs = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));
const SCENARIOS = ['unicast-goodput', 'latency', 'lossless-multicast', 'core-microbench', 'memory-scale', 'auth-cost', 'stream-goodput'];
// Left out of the smoke run (listed as skipped): controller-store's quick run alone takes ~17 s
// (two PGlite initdbs, a PostgreSQL server, one process per controller start). Run it with
// `node bench/run.mjs --only controller-store --quick`.
const LEFT_OUT = ['controller-store'];

interface Series {
  name: string;
  kind: string;
  median: number;
  min: number;
  max: number;
}
interface Case {
  id: string;
  series: Series[];
  params?: Record<string, unknown>;
}
interface Scenario {
  id: string;
  status: string;
  reason?: string;
  error?: string;
  cases?: Case[];
}

describe('bench harness, quick smoke run', () => {
  // Up to ~240 s: the first run on a machine also builds the native corebench example (scenario 4).
  it('writes json, md and svg covering every scenario', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'nextmini-bench-smoke-'));
    try {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        execFile(process.execPath, [runMjs, '--quick', '--only', SCENARIOS.join(','), '--out', out], { timeout: 290_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` });
        });
      });
      expect(code, output).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as { scenarios: Scenario[] };
      expect(report.scenarios.map((s) => s.id).sort()).toEqual([...SCENARIOS, ...LEFT_OUT].sort());
      for (const s of report.scenarios) {
        if (LEFT_OUT.includes(s.id)) {
          expect(s.status, s.id).toBe('skipped');
          continue;
        }
        expect(s.status, `${s.id}: ${s.error ?? ''}`).toBe('ok');
        expect(s.cases!.length).toBeGreaterThan(0);
        for (const c of s.cases!) {
          expect(c.series.length).toBeGreaterThan(0);
          for (const x of c.series) {
            for (const v of [x.median, x.min, x.max]) {
              expect(Number.isFinite(v), `${s.id}/${c.id}/${x.name}`).toBe(true);
              expect(v, `${s.id}/${c.id}/${x.name}`).toBeGreaterThan(0);
            }
          }
        }
      }
      // Scenarios 3 and 4 name the variants they compare.
      const byId = new Map(report.scenarios.map((s) => [s.id, s]));
      const names = (id: string) => byId.get(id)!.cases!.flatMap((c) => c.series.map((x) => x.name)).join('\n');
      expect(names('lossless-multicast')).toMatch(/multicast/);
      expect(names('lossless-multicast')).toMatch(/unicast, 3 sessions/);
      expect(names('lossless-multicast')).toMatch(/node:net/);
      expect(byId.get('core-microbench')!.cases!.map((c) => c.id)).toEqual(['header', 'route', 'reassembly', 'raptorq-encode', 'raptorq-decode']);
      expect(names('core-microbench')).toMatch(/npm raptorq/);
      // Scenario 8: the stream against node:net and a lossless session on a clean link, and
      // against the lossless session and the link's rate on the lossy one, with the stream's
      // stats and a sentence on where its time went.
      const stream = byId.get('stream-goodput')!.cases!;
      expect(stream.map((c) => c.id)).toEqual(['clean', 'lossy', 'lossy-link-use']);
      expect(stream[0]!.series.map((x) => x.name).join('\n')).toMatch(/stream[^]*node:net[^]*lossless/);
      expect(stream[1]!.series.map((x) => x.name).join('\n')).toMatch(/stream[^]*lossless/);
      for (const c of stream.slice(0, 2)) {
        expect(Number.isFinite(c.params!.retransmitsMedian), c.id).toBe(true);
        expect(c.params!.rttMsMedian as number, c.id).toBeGreaterThan(0);
        expect(c.params!.whereTheTimeGoes, c.id).toMatch(/limited|sets the pace/);
      }
      const md = readFileSync(join(out, 'latest.md'), 'utf8');
      expect(md).toContain('| CPU |');
      expect(md).toContain('| Node |');
      expect(readFileSync(join(out, 'latest.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(existsSync(join(out, 'latest.md'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
