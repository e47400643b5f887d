// Throughput-over-time charts drawn as plain SVG polylines: a few series of at most 120
// points each need no chart library (nothing to install, nothing to load, ~80 lines).

const NS = 'http://www.w3.org/2000/svg';
const el = (name, attrs = {}, text) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

export const PALETTE = ['#1a73e8', '#e8710a', '#188038', '#a142f4', '#d93025', '#12b5cb', '#f9ab00', '#5f6368'];

/** Bytes per second, readably: "812 kB/s", "12.4 MB/s". */
export function formatRate(bps) {
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(bps >= 1e7 ? 0 : 1)} MB/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(0)} kB/s`;
  return `${Math.round(bps)} B/s`;
}

/** A "nice" axis top at or above v: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (v <= 0) return 1e5;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v);
}

/** The charts show the last WINDOW_S seconds. */
export const WINDOW_S = 30;

export class LineChart {
  constructor(svg, { width = 360, height = 150, windowS = WINDOW_S } = {}) {
    this.svg = svg;
    this.w = width;
    this.h = height;
    this.windowS = windowS;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  }

  /** series: [{ name, points: [[t seconds, bytes/s]] }]; now: the latest t. */
  render(series, now) {
    const pad = { l: 58, r: 8, t: 8, b: 18 };
    const iw = this.w - pad.l - pad.r;
    const ih = this.h - pad.t - pad.b;
    // The right edge is always now, so a point sits where the axis says it happened (in the
    // first seconds the left of the window is simply empty).
    const t0 = now - this.windowS;
    const top = niceMax(Math.max(0, ...series.flatMap((s) => s.points.filter(([t]) => t >= t0).map(([, v]) => v))));
    const x = (t) => pad.l + ((t - t0) / this.windowS) * iw;
    const y = (v) => pad.t + ih - (v / top) * ih;
    const out = [
      el('line', { x1: pad.l, y1: pad.t + ih, x2: pad.l + iw, y2: pad.t + ih, class: 'axis' }),
      el('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: pad.t + ih, class: 'axis' }),
      el('line', { x1: pad.l, y1: pad.t + ih / 2, x2: pad.l + iw, y2: pad.t + ih / 2, class: 'grid' }),
      el('text', { x: pad.l - 4, y: pad.t + 8, 'text-anchor': 'end', class: 'tick' }, formatRate(top)),
      el('text', { x: pad.l - 4, y: pad.t + ih / 2 + 4, 'text-anchor': 'end', class: 'tick' }, formatRate(top / 2)),
      el('text', { x: pad.l - 4, y: pad.t + ih, 'text-anchor': 'end', class: 'tick' }, '0'),
      el('text', { x: pad.l, y: this.h - 4, class: 'tick' }, `−${this.windowS} s`),
      el('text', { x: pad.l + iw, y: this.h - 4, 'text-anchor': 'end', class: 'tick' }, 'now'),
    ];
    series.forEach((s, i) => {
      const pts = s.points.filter(([t]) => t >= t0);
      if (pts.length > 1) {
        out.push(el('polyline', { points: pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' '), fill: 'none', stroke: PALETTE[i % PALETTE.length], 'stroke-width': 1.6 }));
      }
    });
    if (series.length === 0) out.push(el('text', { x: pad.l + iw / 2, y: pad.t + ih / 2, 'text-anchor': 'middle', class: 'empty' }, 'nothing to show yet'));
    this.svg.replaceChildren(...out);
  }
}

/** The legend beside a chart: a coloured swatch and name per series. */
export function legend(container, names) {
  container.replaceChildren(
    ...names.map((n, i) => {
      const s = document.createElement('span');
      s.className = 'key';
      s.style.setProperty('--c', PALETTE[i % PALETTE.length]);
      s.textContent = n;
      return s;
    }),
  );
}
