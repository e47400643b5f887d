// Multicast trees: parent -> child links from a source to its members over a set of links,
// by breadth-first search, so each member is reached by a shortest path within those links.

/** { edges: [[parent, child]], unreachable: [ids] } over `links` ([a, b] pairs, both ways). */
export function treeOver(links, source, members) {
  const adj = new Map();
  for (const [a, b] of links) {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  }
  const parent = new Map([[source, 0]]);
  const queue = [source];
  for (let i = 0; i < queue.length; i++) {
    for (const n of (adj.get(queue[i]) ?? []).slice().sort((x, y) => x - y)) {
      if (!parent.has(n)) {
        parent.set(n, queue[i]);
        queue.push(n);
      }
    }
  }
  const out = new Map();
  const unreachable = [];
  for (const m of members) {
    if (!parent.has(m)) {
      unreachable.push(m);
      continue;
    }
    for (let c = m; c !== source; c = parent.get(c)) out.set(`${parent.get(c)}>${c}`, [parent.get(c), c]);
  }
  return { edges: [...out.values()], unreachable };
}

/** Node ids typed as "3, 5, 7-9" (ranges allowed) or "all"; every id must be in 1..n. */
export function parseIds(text, n, what) {
  const t = text.trim();
  if (t === 'all') return Array.from({ length: n }, (_, i) => i + 1);
  if (t === '') throw new Error(`${what}: give node ids like "3, 5, 7-9", or "all" (nodes are 1..${n})`);
  const ids = new Set();
  for (const part of t.split(/[,\s]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`${what}: ${JSON.stringify(part)} is not a node id or a range a-b (nodes are 1..${n})`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (lo < 1 || hi > n || lo > hi) throw new Error(`${what}: ${JSON.stringify(part)} is outside the nodes 1..${n}`);
    for (let i = lo; i <= hi; i++) ids.add(i);
  }
  return [...ids];
}
