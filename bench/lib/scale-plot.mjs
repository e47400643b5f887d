// The growth plot of scenario 5: startNetwork's time to ready and RSS per node against N (log
// scale: sizes span 36 to 10,000 nodes), as bench/results/scale.svg beside the other results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** rows: { label, nodes, ms, kib } in any order. */
export function writeGrowthPlot(ctx, rows) {
  const W = 720;
  const H = 340;
  const pad = 56;
  const sorted = [...rows].sort((a, b) => a.nodes - b.nodes);
  const lo = Math.log10(Math.min(...sorted.map((r) => r.nodes)) / 1.5);
  const hi = Math.log10(Math.max(...sorted.map((r) => r.nodes)) * 1.5);
  const maxMs = Math.max(...sorted.map((r) => r.ms), 1);
  const maxKiB = Math.max(...sorted.map((r) => r.kib), 128) * 1.1;
  const x = (n) => pad + ((W - 2 * pad) * (Math.log10(n) - lo)) / (hi - lo);
  const yMs = (ms) => H - pad - ((H - 2 * pad) * ms) / maxMs;
  const yKiB = (k) => H - pad - ((H - 2 * pad) * k) / maxKiB;
  const f = (v) => v.toFixed(1);
  const line = (pts, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`;
  const msPts = sorted.map((r) => [x(r.nodes), yMs(r.ms)]);
  const kibPts = sorted.map((r) => [x(r.nodes), yKiB(r.kib)]);
  const time = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${pad}" y="20" font-size="13">startNetwork over memory, one process: time to ready (blue) and RSS per idle node (orange) against N</text>`,
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#1f5fbf"/>`,
    `<line x1="${W - pad}" y1="${pad}" x2="${W - pad}" y2="${H - pad}" stroke="#d9822b"/>`,
    `<text x="${pad - 4}" y="${pad - 6}" text-anchor="middle" fill="#1f5fbf">${time(maxMs)}</text>`,
    `<text x="${W - pad}" y="${pad - 6}" text-anchor="middle" fill="#d9822b">${Math.round(maxKiB)} KiB</text>`,
    line(msPts, '#1f5fbf'),
    line(kibPts, '#d9822b'),
    `<line x1="${pad}" y1="${f(yKiB(128))}" x2="${W - pad}" y2="${f(yKiB(128))}" stroke="#d9822b" stroke-dasharray="4 3"/>`,
    `<text x="${W - pad - 100}" y="${f(yKiB(128) - 4)}" fill="#d9822b">128 KiB/node goal</text>`,
    ...sorted.map(
      (r, i) =>
        `<text x="${f(x(r.nodes))}" y="${H - pad + 14}" text-anchor="middle">${r.nodes}</text>` +
        `<text x="${f(x(r.nodes))}" y="${H - pad + 26}" text-anchor="middle" font-size="9">${r.label}</text>` +
        `<circle cx="${f(msPts[i][0])}" cy="${f(msPts[i][1])}" r="3" fill="#1f5fbf"/><text x="${f(msPts[i][0] + 4)}" y="${f(msPts[i][1] - 4)}" fill="#1f5fbf">${time(r.ms)}</text>` +
        `<circle cx="${f(kibPts[i][0])}" cy="${f(kibPts[i][1])}" r="3" fill="#d9822b"/><text x="${f(kibPts[i][0] + 4)}" y="${f(kibPts[i][1] + 12)}" fill="#d9822b">${r.kib} KiB</text>`,
    ),
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">nodes (N, log scale)</text>`,
    '</svg>',
  ].join('\n');
  const dir = ctx.outDir ?? fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scale.svg'), `${svg}\n`);
}
