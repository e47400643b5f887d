// Probes 8 and 9 of issue 12: the control decoder under mutated input (every malformed frame
// must be MALFORMED_PACKET, never a TypeError), and a bounded fuzzing campaign over the core's
// decoders and a two-engine session (no crash, no corrupt delivery).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './util.mjs';
import { vitestProbe } from './vitest-probe.mjs';

export const controlCodec = vitestProbe({
  id: 'control-codec',
  issue: 8,
  title: 'control decoder: invalid UTF-8 and other malformed frames',
  file: 'test/unit/control-codec-fuzz.test.ts',
  // The codec test prints no figures; say what it checks.
  summarize: () => '300 k seeded mutations of all 15 message types + random bytes: every malformed frame MALFORMED_PACKET, every decoded one re-encodes equal',
});

export const fuzzing = {
  id: 'fuzz-campaign',
  issue: 9,
  title: 'fuzzing: decoders, reassembly, lossless frames, tables, two-engine session',
  async run() {
    const child = spawn(process.execPath, [join(root, 'scripts', 'fuzz.mjs'), '--inputs', '3000000', '--seconds', '90', '--seed', '12', '--control-inputs', '100000'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
    const total = /total (\d+) inputs/.exec(out)?.[1];
    const rows = [...out.matchAll(/^(\w+)\s+(\d+)\s+[\d.]+\s+(\d+)\s+(\S+)/gm)].map((m) => `${m[1]} ${(Number(m[3]) / 1000).toFixed(0)} k/s`);
    return { held: code === 0, figures: `${total ?? '?'} inputs, ${code === 0 ? 'no findings' : 'FINDINGS (see build/fuzz-crashes/)'}; ${rows.join(', ')} (npm run fuzz runs ≥ 100 M)` };
  },
};
