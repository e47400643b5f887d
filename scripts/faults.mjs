// `npm run faults`: replays the hostile probes of issue 12 against the current build, on
// loopback, each bounded in count and time, and prints a table: probe, held or failed, figures.
//   node scripts/faults.mjs [--only id,...]
import { setLogLevel } from '../dist/node.js';
import controllerFrames from './faults/controller-frames.mjs';
import tcpLinks from './faults/tcp-links.mjs';
import { reassembly, forwarding } from './faults/reassembly.mjs';
import { controlCodec, fuzzing } from './faults/decoders.mjs';
import { loss40, corruption, failedProgress } from './faults/lossless.mjs';

const PROBES = [reassembly, forwarding, tcpLinks, controllerFrames, loss40, corruption, failedProgress, controlCodec, fuzzing].sort((a, b) => a.issue - b.issue);

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? new Set(process.argv[i + 1].split(',')) : null;
})();

setLogLevel('error');
const rows = [];
for (const p of PROBES) {
  if (only && !only.has(p.id) && !only.has(String(p.issue))) continue;
  process.stdout.write(`${p.issue}. ${p.title} ... `);
  const t0 = performance.now();
  let r;
  try {
    r = await p.run();
  } catch (err) {
    r = { held: false, figures: `probe error: ${err instanceof Error ? err.message : String(err)}` };
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${r.held ? 'held' : 'FAILED'} (${secs} s)`);
  rows.push({ ...p, ...r, secs });
}
console.log('\n| # | probe | result | figures |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.issue} | ${r.title} | ${r.held ? 'held' : '**FAILED**'} | ${r.figures} |`);
const failed = rows.filter((r) => !r.held).length;
console.log(`\n${rows.length - failed} of ${rows.length} probes held`);
process.exit(failed ? 1 : 0);
