// Summarises V8 .cpuprofile files (written by `node --cpu-prof`) into top self-time frames.
import { readdirSync, readFileSync } from 'node:fs';
import { join, basename } from 'node:path';

const shortUrl = (url) => {
  if (!url) return '';
  if (url.startsWith('wasm://')) return 'wasm';
  const m = /\/((?:dist|bench|node_modules)\/.*)$/.exec(url);
  return m ? m[1] : basename(url.replace(/^file:\/\//, ''));
};

/** Self time in µs per frame key for one parsed profile. */
function selfTimes(profile, into, window) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const { samples = [], timeDeltas = [] } = profile;
  // Sample timestamps (µs, CLOCK_MONOTONIC). Only samples inside `window` count, if any fall in it.
  const at = [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) at.push((t += timeDeltas[i] ?? 0));
  const inWindow = window ? at.filter((x) => x >= window[0] && x <= window[1]).length : 0;
  const windowed = inWindow > 0;
  for (let i = 0; i < samples.length; i++) {
    if (windowed && (at[i] < window[0] || at[i] > window[1])) continue;
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
  return windowed;
}

/**
 * Top `top` self-time frames over every profile in `dir` whose file name starts with `role`.
 * (idle) is left out of the ranking and reported as a share instead. `window` ([from, to] in
 * µs of CLOCK_MONOTONIC) restricts it to the measured transfer, leaving start-up out.
 */
export function summarizeProfiles(dir, role, window, top = 10) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith(`${role}.`) && f.endsWith('.cpuprofile'));
  } catch {
    return null;
  }
  if (!files.length) return null;
  const times = new Map();
  let windowed = true;
  for (const f of files) windowed = selfTimes(JSON.parse(readFileSync(join(dir, f), 'utf8')), times, window) && windowed;
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  const idle = times.get('(idle)') ?? 0;
  const busy = total - idle;
  const frames = [...times.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, pctOfBusy: busy > 0 ? (100 * us) / busy : 0 }));
  return { role, files: files.length, windowed, totalMs: total / 1000, idlePct: total > 0 ? (100 * idle) / total : 0, frames };
}
