// The topology chooser's choices as controller configs, with the checks a visitor's typing
// needs before anything starts: each error names the field, what it got and what is valid.

/** Limits that keep a whole network responsive in one tab (every node runs on its main thread). */
export const LIMITS = { full_mesh: [2, 16], ring: [3, 64], torus: [2, 8], custom: [2, 64] };

/**
 * Every link emulated, so its counters are live, at 16 Mbit/s: slow enough that a 4 MiB
 * multicast takes a few seconds to watch, fast enough not to bore.
 */
export const DEFAULT_LINK = { rate: 2_000_000 };

function intIn(name, raw, [min, max]) {
  const n = Number(String(raw).trim());
  if (String(raw).trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(String(raw))}`);
  }
  return n;
}

/**
 * Custom edges as typed: pairs "a-b" (or "a b"), separated by commas, semicolons or new lines
 * ("a-b" pairs also by spaces alone).
 * Node ids run 1..the largest id given; returns { n, edges }.
 */
export function parseEdges(text) {
  // "1-2 2-3": dashed pairs separated by spaces alone are several links, not one bad one.
  const parts = text
    .split(/[,;\n]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((s) => (/^\d+\s*[-–]\s*\d+(\s+\d+\s*[-–]\s*\d+)+$/.test(s) ? s.match(/\d+\s*[-–]\s*\d+/g) : [s]));
  if (parts.length === 0) throw new Error('custom edges: type at least one link, as pairs like "1-2, 2-3, 3-1"');
  const seen = new Set();
  const edges = parts.map((p, i) => {
    const m = /^(\d+)\s*(?:-|–|\s)\s*(\d+)$/.exec(p);
    if (!m) throw new Error(`custom edges: link ${i + 1} ${JSON.stringify(p)} is not a pair of node ids "a-b" (write e.g. "1-2, 2-3")`);
    const [a, b] = [Number(m[1]), Number(m[2])];
    if (a < 1 || b < 1) throw new Error(`custom edges: link ${i + 1} ${JSON.stringify(p)}: node ids start at 1`);
    if (a === b) throw new Error(`custom edges: link ${i + 1} ${JSON.stringify(p)} joins node ${a} to itself; a link joins two different nodes`);
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (seen.has(key)) throw new Error(`custom edges: link ${i + 1} ${JSON.stringify(p)} is given twice (links are both ways already)`);
    seen.add(key);
    return [a, b];
  });
  const n = Math.max(...edges.flat());
  const [, max] = LIMITS.custom;
  if (n > max) throw new Error(`custom edges: node ids go up to ${max} in the playground, got ${n}`);
  const linked = new Set(edges.flat());
  const missing = [];
  for (let id = 1; id <= n; id++) if (!linked.has(id)) missing.push(id);
  if (missing.length) throw new Error(`custom edges: node ids run 1..${n}, and ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no link; link ${missing.length === 1 ? 'it' : 'them'} or renumber`);
  const apart = pieces(n, edges);
  if (apart.length > 1) {
    throw new Error(`custom edges: the graph is in ${apart.length} pieces (${apart.map((p) => p.join(', ')).join(' | ')}) and no node of one reaches the other; add a link between them, e.g. "${apart[0].at(-1)}-${apart[1][0]}"`);
  }
  return { n, edges };
}

/** The connected pieces of nodes 1..n over `edges`, each sorted, ordered by their least id. */
function pieces(n, edges) {
  const adj = new Map();
  for (const [a, b] of edges) {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  }
  const seen = new Set();
  const out = [];
  for (let id = 1; id <= n; id++) {
    if (seen.has(id)) continue;
    const part = [id];
    seen.add(id);
    for (let i = 0; i < part.length; i++) {
      for (const m of adj.get(part[i]) ?? []) {
        if (!seen.has(m)) {
          seen.add(m);
          part.push(m);
        }
      }
    }
    out.push(part.sort((x, y) => x - y));
  }
  return out;
}

/**
 * The chosen topology: { kind, n, config, edges? } with config ready for startNetwork, or an
 * Error saying what to fix. `form` holds the chooser's raw values.
 */
export function topologyFrom(form) {
  const base = { link_defaults: { ...DEFAULT_LINK }, routing: { protocol: 'shortest_path' } };
  switch (form.kind) {
    case 'full_mesh': {
      const n = intIn('full mesh: n', form.n, LIMITS.full_mesh);
      return { kind: 'full_mesh', n, label: `full mesh of ${n}`, config: { ...base, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: n } } } };
    }
    case 'ring': {
      const n = intIn('ring: n', form.n, LIMITS.ring);
      return { kind: 'ring', n, label: `ring of ${n}`, config: { ...base, topology: { type: 'ring', ring_config: { n_nodes: n } } } };
    }
    case 'torus': {
      const side = intIn('torus: side', form.n, LIMITS.torus);
      return { kind: 'torus', n: side * side, side, label: `${side}×${side} torus`, config: { ...base, topology: { type: 'torus', torus_config: { dim: 2, n: side } } } };
    }
    case 'fat_tree':
      return { kind: 'fat_tree', n: 36, k: 4, label: 'fat tree k = 4', config: { ...base, topology: { type: 'fat_tree', fat_tree_config: { k: 4 } } } };
    case 'custom': {
      const { n, edges } = parseEdges(form.edges ?? '');
      return { kind: 'custom', n, edges, label: `custom, ${n} nodes`, config: { ...base, topology: { type: 'custom', n_nodes: n, edges } } };
    }
    default:
      throw new Error(`topology must be one of full_mesh, ring, torus, fat_tree, custom; got ${JSON.stringify(form.kind)}`);
  }
}
