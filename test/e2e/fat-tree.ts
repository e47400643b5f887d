// A k-ary fat tree's links and hosts, numbered as the controller's fat_tree topology numbers
// them, and a shortest-path multicast tree over them: for tests that route groups by hand.

/** The k-ary fat tree's links, numbered as the core numbers them (core-rs FatTreeIds), and its hosts. */
export function fatTree(k: number): { edges: [number, number][]; hosts: number[] } {
  const h = k / 2;
  const core = (g: number, m: number) => 1 + g * h + m;
  const agg = (p: number, i: number) => 1 + h * h + p * h + i;
  const edge = (p: number, i: number) => 1 + h * h + k * h + p * h + i;
  const host = (p: number, e: number, x: number) => 1 + h * h + k * k + (p * h + e) * h + x;
  const edges: [number, number][] = [];
  const hosts: number[] = [];
  for (let p = 0; p < k; p++) {
    for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) edges.push([core(i, j), agg(p, i)], [agg(p, i), edge(p, j)]);
    for (let e = 0; e < h; e++) for (let x = 0; x < h; x++) {
      edges.push([edge(p, e), host(p, e, x)]);
      hosts.push(host(p, e, x));
    }
  }
  return { edges, hosts };
}

/** A shortest-path tree from `src` to `members` over `edges` (parent -> child links). */
export function tree(edges: [number, number][], src: number, members: number[]): [number, number][] {
  const adj = new Map<number, number[]>();
  for (const [a, b] of edges) {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  }
  const parent = new Map<number, number>([[src, 0]]);
  const queue = [src];
  for (let i = 0; i < queue.length; i++) {
    for (const n of adj.get(queue[i]!) ?? []) if (!parent.has(n)) parent.set(n, queue[i]!), queue.push(n);
  }
  const out = new Map<string, [number, number]>();
  for (let m of members) {
    while (m !== src) {
      const p = parent.get(m)!;
      out.set(`${p}>${m}`, [p, m]);
      m = p;
    }
  }
  return [...out.values()];
}
