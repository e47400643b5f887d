// A node of the mixed-runtime test in its own process (Node, Deno or Bun): reads one JSON
// command a line on stdin ({ id, cmd, args }), runs them concurrently through mixed-driver.mjs
// and prints each answer as one line "R { id, ok, value | error }". Exits when stdin closes.
import process from 'node:process';
import { createInterface } from 'node:readline';
import { driver } from './mixed-driver.mjs';

const d = driver();
const reply = (m) => process.stdout.write(`R ${JSON.stringify(m)}\n`);
createInterface({ input: process.stdin })
  .on('line', async (line) => {
    if (!line.trim()) return;
    const { id, cmd, args } = JSON.parse(line);
    try {
      reply({ id, ok: true, value: (await d.call(cmd, args)) ?? null });
    } catch (e) {
      reply({ id, ok: false, error: `${e?.code ?? 'ERROR'}: ${e?.message ?? e}` });
    }
  })
  .on('close', async () => {
    await d.call('close').catch(() => {});
    process.exit(0);
  });
console.log(`READY ${typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node'}`);
