// Where each node sits in the drawing: one fixed, deterministic layout per kind of topology
// (the same network always looks the same, and no physics to tune): a circle for meshes,
// rings and custom graphs, a grid for the torus, layers for the fat tree.

export const W = 760;
export const H = 520;

/** Node ids 1..n on a circle. */
function circle(n) {
  const r = Math.min(W, H) / 2 - 40;
  const pos = new Map();
  for (let i = 0; i < n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    pos.set(i + 1, { x: W / 2 + r * Math.cos(a), y: H / 2 + r * Math.sin(a) });
  }
  return pos;
}

/** A side×side torus, numbered as the core numbers it: node 1 + x + side·y at (x, y). */
function grid(side) {
  const pos = new Map();
  const step = Math.min((W - 120) / (side - 1 || 1), (H - 120) / (side - 1 || 1));
  const x0 = W / 2 - (step * (side - 1)) / 2;
  const y0 = H / 2 - (step * (side - 1)) / 2;
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) pos.set(1 + x + side * y, { x: x0 + x * step, y: y0 + y * step });
  return pos;
}

/**
 * The k-ary fat tree in four layers (core, aggregation, edge, hosts), numbered as the core
 * numbers it: (k/2)² core switches, then k·k/2 aggregation, k·k/2 edge, k³/4 hosts.
 */
export function fatTreeRoles(k) {
  const h = k / 2;
  const counts = [h * h, k * h, k * h, k * h * h];
  const names = ['core', 'aggregation', 'edge', 'host'];
  const roles = new Map();
  let id = 1;
  counts.forEach((c, layer) => {
    for (let i = 0; i < c; i++) roles.set(id++, { layer, index: i, count: c, role: names[layer] });
  });
  return roles;
}

function layers(k) {
  const pos = new Map();
  for (const [id, { layer, index, count }] of fatTreeRoles(k)) {
    const y = 50 + layer * ((H - 100) / 3);
    const x = 30 + ((W - 60) * (index + 0.5)) / count;
    pos.set(id, { x, y });
  }
  return pos;
}

/** Positions by node id for the topology `t` (from topology.js). */
export function layout(t) {
  if (t.kind === 'torus') return grid(t.side);
  if (t.kind === 'fat_tree') return layers(t.k);
  return circle(t.n);
}
