// Scenario 5's probe geometry on a 2-D torus (ids as the core numbers them: node (x, y) of an
// n × n torus is 1 + x + n·y): the node across the diameter from node 1, a deterministic spread
// of multicast members, and a shortest-path tree from the source to them.

export const torusId = (n, x, y) => 1 + (((x % n) + n) % n) + n * (((y % n) + n) % n);

function neighbors(n, id) {
  const x = (id - 1) % n;
  const y = Math.floor((id - 1) / n);
  return [torusId(n, x + 1, y), torusId(n, x - 1, y), torusId(n, x, y + 1), torusId(n, x, y - 1)];
}

/** Node 1 and the node farthest from it (n/2 hops in each dimension). */
export const diameterEnds = (n) => ({ src: 1, dst: torusId(n, Math.floor(n / 2), Math.floor(n / 2)) });

/**
 * `count` members spread over the torus (a stride coprime with n², so all distinct) other than
 * `src`, and the edges (parent, child) of a BFS tree from `src` that reaches them all.
 */
export function multicastPlan(n, src, count) {
  const total = n * n;
  const members = [];
  for (let i = 0; members.length < Math.min(count, total - 1) && i < total; i++) {
    const id = 1 + ((i * 9973 + Math.floor(total / 2)) % total);
    if (id !== src && !members.includes(id)) members.push(id);
  }
  const parent = new Map([[src, 0]]);
  const queue = [src];
  for (let head = 0; head < queue.length; head++) {
    for (const u of neighbors(n, queue[head])) {
      if (!parent.has(u)) {
        parent.set(u, queue[head]);
        queue.push(u);
      }
    }
  }
  const edges = new Map();
  for (const m of members) {
    // Walk up to the source; stop at a node already on the tree. At most n² steps.
    for (let v = m, steps = 0; v !== src && !edges.has(v) && steps < total; steps++) {
      edges.set(v, parent.get(v));
      v = parent.get(v);
    }
  }
  return { members, edges: [...edges].map(([child, par]) => [par, child]) };
}
