// `nextmini demo --preset lossy`: plain unicast messages that lose a fragment never arrive. The
// demo says so while it happens, and moves on, instead of going quiet for 8 s per message.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliPath, stopChild } from './harness.js';

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
});

describe('nextmini demo --preset lossy', () => {
  it('the unicast part never goes quiet for long, and names what was lost', async () => {
    const child = spawn(process.execPath, [cliPath, 'demo', '--preset', 'lossy'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEXTMINI_LOG: '' } });
    children.push(child);
    const lines: { at: number; text: string }[] = [];
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const rl = createInterface({ input: child.stdout! });
    // Bounded: the unicast part is over once the lossless part begins; that is all this checks.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no lossless part within 40 s:\n${lines.map((l) => l.text).join('\n')}\n${stderr}`)), 40_000);
      rl.on('line', (text) => {
        lines.push({ at: performance.now(), text });
        if (text.startsWith('lossless multicast')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo exited ${code} before its lossless part:\n${lines.map((l) => l.text).join('\n')}\n${stderr}`));
      });
    });
    const start = lines.findIndex((l) => l.text.startsWith('topology ready'));
    expect(start).toBeGreaterThanOrEqual(0);
    const unicast = lines.slice(start);
    const text = unicast.map((l) => l.text).join('\n');
    // Each of the three messages ends in a line: intact, or lost with the reason.
    for (const n of [1, 2, 3]) expect(text).toMatch(new RegExp(`^message ${n}: .*(intact|LOST)`, 'm'));
    // With seed 1 the 1 MiB message (hundreds of fragments) always loses some.
    expect(text).toMatch(/^message 3: 1048576 bytes from node 1 -> node 3: LOST: \d+ datagrams? dropped by the emulated links; plain unicast does not resend/m);
    expect(text).not.toMatch(/TIMED OUT/);
    // Something is printed at least every 3 s (the old demo waited 8 s per lost message in silence).
    const gaps = unicast.slice(1).map((l, i) => l.at - unicast[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(3_000);
  });
});
