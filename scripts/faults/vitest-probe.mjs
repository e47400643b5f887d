// A probe that replays an attack through the e2e test that pins it down: it runs that vitest
// file (against the built package, as npm test does) and takes its figures from the JSON line
// the test prints. Held = the test passed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './util.mjs';

/** One run per test file and filter, shared by the probes that read figures from it. */
const runs = new Map();

function runVitest(file, filter) {
  const key = `${file}|${filter ?? ''}`;
  if (!runs.has(key)) runs.set(key, runOnce(file, filter));
  return runs.get(key);
}

async function runOnce(file, filter) {
  const args = [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', file, ...(filter ? ['-t', filter] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  return { code, out };
}

/**
 * Runs a test file (once per file and filter, however many probes ask): whether it passed, the
 * JSON lines it printed, and the first error when it failed.
 */
export async function runTest(file, filter) {
  const { code, out } = await runVitest(file, filter);
  const json = out
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter((l) => l.startsWith('{') && l.endsWith('}'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .filter(Boolean);
  const failure = code === 0 ? '' : (/(AssertionError|Error): [^\n]*/.exec(out)?.[0] ?? `vitest exited ${code}`);
  return { held: code === 0, json, failure };
}

/** A probe held when its test passes; `summarize(json)` turns the JSON lines it printed into figures. */
export function vitestProbe({ id, issue, title, file, filter, summarize }) {
  return {
    id,
    issue,
    title,
    async run() {
      const { held, json, failure } = await runTest(file, filter);
      const figures = summarize(json) || 'no figures printed';
      return { held, figures: `${figures}${failure ? `; ${failure}` : ''} (${file})` };
    },
  };
}
