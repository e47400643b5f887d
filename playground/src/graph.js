// The network drawn in SVG: a circle per node, a line per link (undirected; each carries both
// directions' counters). Links are coloured by measured use, red while they drop packets, and
// multicast tree edges are outlined. data-testid attributes let tests count and click them.
import { W, H, layout, fatTreeRoles } from './layout.js';

const NS = 'http://www.w3.org/2000/svg';
const el = (name, attrs = {}) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

export const linkKey = (a, b) => (a < b ? `${a}-${b}` : `${b}-${a}`);

/** Bytes/s as a colour from pale grey (idle) to deep blue (the busiest link of the moment). */
function useColour(rate, max) {
  if (rate <= 0) return '#c8ccd4';
  const f = Math.min(1, Math.log10(1 + rate) / Math.log10(1 + Math.max(max, 1e6)));
  const l = 78 - 48 * f;
  return `hsl(215 80% ${l}%)`;
}

export class Graph {
  /** @param svg the <svg> element; handlers: onNode(id), onLink(a, b) */
  constructor(svg, handlers) {
    this.svg = svg;
    this.handlers = handlers;
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    this.links = new Map(); // key -> { a, b, line, hit }
    this.nodes = new Map(); // id -> <g>
    this.tree = new Set();
  }

  /** Draws topology `t` with its links `edges` ([a, b] pairs, a < b). */
  draw(t, edges) {
    this.svg.replaceChildren();
    this.links.clear();
    this.nodes.clear();
    this.tree.clear();
    const pos = layout(t);
    const linkLayer = el('g', { class: 'links' });
    const nodeLayer = el('g', { class: 'nodes' });
    this.svg.append(linkLayer, nodeLayer);
    const roles = t.kind === 'fat_tree' ? fatTreeRoles(t.k) : null;
    for (const [a, b] of edges) {
      const p = pos.get(a);
      const q = pos.get(b);
      const d = this.#path(t, p, q);
      // Under the line, an orange band shown while the link is in a multicast tree.
      const band = el('path', { d, class: 'link-tree' });
      const line = el('path', { d, class: 'link', 'data-testid': `link-${a}-${b}`, 'data-drops': 0 });
      // A wide transparent twin makes thin links easy to click.
      const hit = el('path', { d, class: 'link-hit' });
      const title = el('title');
      title.textContent = `link ${a} — ${b}`;
      hit.append(title);
      hit.addEventListener('click', () => this.handlers.onLink(a, b));
      linkLayer.append(band, line, hit);
      this.links.set(linkKey(a, b), { a, b, line, hit, band });
    }
    const r = t.n > 30 ? 11 : 14;
    for (let id = 1; id <= t.n; id++) {
      const { x, y } = pos.get(id);
      const role = roles?.get(id)?.role;
      const g = el('g', { class: `node${role ? ` ${role}` : ''}`, 'data-testid': `node-${id}`, transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})` });
      const shape = role && role !== 'host' ? el('rect', { x: -r, y: -r * 0.8, width: 2 * r, height: 1.6 * r, rx: 3 }) : el('circle', { r });
      const label = el('text', { 'text-anchor': 'middle', dy: '0.35em' });
      label.textContent = String(id);
      const title = el('title');
      title.textContent = `node ${id}${role ? ` (${role})` : ''}`;
      g.append(shape, label, title);
      g.addEventListener('click', () => this.handlers.onNode(id));
      nodeLayer.append(g);
      this.nodes.set(id, g);
    }
  }

  /** Torus wrap-around links would run along the grid over other links: arc them aside. */
  #path(t, p, q) {
    const dx = q.x - p.x;
    const dy = q.y - p.y;
    const step = t.kind === 'torus' ? Math.min((W - 120) / (t.side - 1 || 1), (H - 120) / (t.side - 1 || 1)) : 0;
    const wrap = t.kind === 'torus' && t.side > 2 && Math.hypot(dx, dy) > 1.5 * step;
    if (!wrap) return `M${p.x.toFixed(1)},${p.y.toFixed(1)} L${q.x.toFixed(1)},${q.y.toFixed(1)}`;
    // Outwards from the grid's centre (the middle row or column arcs up or left).
    const out = (v, mid) => (Math.abs(v - mid) < 1 ? -1 : Math.sign(v - mid)) * step * 0.6;
    const cx = (p.x + q.x) / 2 + (Math.abs(dx) < 1 ? out(p.x, W / 2) : 0);
    const cy = (p.y + q.y) / 2 + (Math.abs(dy) < 1 ? out(p.y, H / 2) : 0);
    return `M${p.x.toFixed(1)},${p.y.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${q.x.toFixed(1)},${q.y.toFixed(1)}`;
  }

  /** states: key -> { rate (bytes/s, both ways), dropsLoss (total), dropping (lost in the last sample) } */
  update(states) {
    let max = 0;
    for (const s of states.values()) max = Math.max(max, s.rate);
    for (const [key, { line }] of this.links) {
      const s = states.get(key) ?? { rate: 0, dropsLoss: 0, dropping: false };
      line.style.stroke = s.dropping ? '#d93025' : useColour(s.rate, max);
      line.style.strokeWidth = String(2 + Math.min(5, (5 * Math.log10(1 + s.rate)) / 8));
      line.setAttribute('data-drops', String(s.dropsLoss));
      line.setAttribute('data-rate', String(Math.round(s.rate)));
    }
  }

  /** Outlines the multicast tree's links (undirected keys); an empty set clears it. */
  highlightTree(keys) {
    this.tree = new Set(keys);
    for (const [key, { band }] of this.links) band.classList.toggle('tree', this.tree.has(key));
  }

  /** Marks the selected node or link. */
  select(sel) {
    for (const [id, g] of this.nodes) g.classList.toggle('selected', sel?.node === id);
    for (const [key, { line }] of this.links) line.classList.toggle('selected', sel?.link === key);
  }

  /** Marks nodes by role in the current action (source, member). */
  mark(source, members) {
    const m = new Set(members);
    for (const [id, g] of this.nodes) {
      g.classList.toggle('source', id === source);
      g.classList.toggle('member', m.has(id));
    }
  }
}
