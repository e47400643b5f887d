// NEXTMINI_LOG and setLogLevel in the SDK: an unknown level is never silently ignored.
// Child processes, since the level is read from the environment when the SDK loads.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setLogLevel, isNextminiError } from 'nextmini';

const dist = pathToFileURL(fileURLToPath(new URL('../../dist/node.js', import.meta.url))).href;

function run(script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Logs two warnings (a controller without auth_token, and one more), then exits.
const twoWarnings = `
const { startController } = await import(${JSON.stringify(dist)});
for (let i = 0; i < 2; i++) {
  const c = await startController({ port: 0, topology: { n_nodes: 1, edges: [] } });
  await c.close();
}`;

describe('log level', () => {
  it('setLogLevel with an unknown level throws INVALID_ARGUMENT naming the valid ones', () => {
    let err: unknown;
    try {
      setLogLevel('verbose');
    } catch (e) {
      err = e;
    }
    expect(isNextminiError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toBe("setLogLevel: 'verbose' is not a log level (valid: error, warn, info, debug)");
    expect(() => setLogLevel('warn')).not.toThrow();
  });

  it('an unknown NEXTMINI_LOG is reported once, with the valid levels, and warn is used', () => {
    const r = run(twoWarnings, { NEXTMINI_LOG: 'verbose' });
    expect(r.status).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('[nextmini warn] log: NEXTMINI_LOG=verbose is not a log level (valid: error, warn, info, debug); logging at warn');
    expect(lines.filter((l) => l.includes('NEXTMINI_LOG'))).toHaveLength(1);
    // warn is in force: both warnings, no info lines
    expect(lines.filter((l) => l.includes('no auth_token'))).toHaveLength(2);
    expect(r.stdout).toBe('');
  });

  it('a known NEXTMINI_LOG, in any case, is used without comment', () => {
    const r = run(twoWarnings, { NEXTMINI_LOG: 'Error' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
  });
});
