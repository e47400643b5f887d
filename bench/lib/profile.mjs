// Summarises V8 .cpuprofile files (written by `node --cpu-prof`) into top self-time frames.
import { readdirSync, readFileSync } from 'node:fs';
import { join, basename } from 'node:path';

const shortUrl = (url) => {
  if (!url) return '';
  if (url.startsWith('wasm://')) return 'wasm';
  const m = /(?:dist|bench|node_modules)\/.*$/.exec(url);
  return m ? m[0] : basename(url.replace(/^file:\/\//, ''));
};

/** Self time in µs per frame key for one parsed profile. */
function selfTimes(profile, into) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    // The interval after a sample is attributed to it (the last one gets the previous interval).
    const dt = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    const n = byId.get(samples[i]);
    if (!n) continue;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const where = shortUrl(cf.url);
    const key = where ? `${name} ${where}:${cf.lineNumber + 1}` : name;
    into.set(key, (into.get(key) ?? 0) + Math.max(0, dt));
  }
}

/**
 * Top `top` self-time frames over every profile in `dir` whose file name starts with `role`.
 * (idle) is left out of the ranking and reported as a share instead.
 */
export function summarizeProfiles(dir, role, top = 10) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith(`${role}.`) && f.endsWith('.cpuprofile'));
  } catch {
    return null;
  }
  if (!files.length) return null;
  const times = new Map();
  for (const f of files) selfTimes(JSON.parse(readFileSync(join(dir, f), 'utf8')), times);
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  const idle = times.get('(idle)') ?? 0;
  const busy = total - idle;
  const frames = [...times.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, pctOfBusy: busy > 0 ? (100 * us) / busy : 0 }));
  return { role, files: files.length, totalMs: total / 1000, idlePct: total > 0 ? (100 * idle) / total : 0, frames };
}
