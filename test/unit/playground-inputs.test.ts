// The playground's input checks (playground/src/topology.js, tree.js: plain browser modules
// with no DOM use): what a visitor types becomes a controller config or a multicast tree, and
// bad input is refused naming the field, what it got and what is valid.
import { describe, expect, it } from 'vitest';

type Topo = { kind: string; n: number; config: { topology: Record<string, unknown>; link_defaults: Record<string, unknown> } };
// Imported by URL: the page's modules are JavaScript without declarations.
const topology = (await import(new URL('../../playground/src/topology.js', import.meta.url).href as string)) as { topologyFrom(f: Record<string, string>): Topo; parseEdges(t: string): { n: number; edges: number[][] } };
const tree = (await import(new URL('../../playground/src/tree.js', import.meta.url).href as string)) as { treeOver(l: number[][], s: number, m: number[]): { edges: number[][]; unreachable: number[] }; parseIds(t: string, n: number, what: string): number[] };

const size = (await import(new URL('../../playground/src/size.js', import.meta.url).href as string)) as { parseMiB(raw: string): number };

describe('playground inputs', () => {
  it('turns each kind into the controller config startNetwork takes, every link emulated', () => {
    expect(topology.topologyFrom({ kind: 'ring', n: ' 6 ' })).toMatchObject({ kind: 'ring', n: 6, config: { topology: { type: 'ring', ring_config: { n_nodes: 6 } }, link_defaults: { rate: 2_000_000 } } });
    expect(topology.topologyFrom({ kind: 'torus', n: '3' })).toMatchObject({ n: 9, config: { topology: { type: 'torus', torus_config: { dim: 2, n: 3 } } } });
    expect(topology.topologyFrom({ kind: 'fat_tree' })).toMatchObject({ n: 36, config: { topology: { type: 'fat_tree', fat_tree_config: { k: 4 } } } });
    // Pairs with dashes may also be separated by spaces alone.
    expect(topology.parseEdges('1-2 2-3  3-1')).toEqual({ n: 3, edges: [[1, 2], [2, 3], [3, 1]] });
    expect(topology.topologyFrom({ kind: 'custom', edges: '1-2, 2 3;3-1\n3-4' })).toMatchObject({ n: 4, config: { topology: { type: 'custom', n_nodes: 4, edges: [[1, 2], [2, 3], [3, 1], [3, 4]] } } });
  });

  it('refuses bad sizes and edges, saying what is valid', () => {
    expect(() => topology.topologyFrom({ kind: 'full_mesh', n: '17' })).toThrow('full mesh: n must be a whole number from 2 to 16, got "17"');
    expect(() => topology.topologyFrom({ kind: 'ring', n: '2.5' })).toThrow('ring: n must be a whole number from 3 to 64');
    expect(() => topology.topologyFrom({ kind: 'star' })).toThrow('topology must be one of full_mesh, ring, torus, fat_tree, custom; got "star"');
    expect(() => topology.parseEdges('')).toThrow(/type at least one link/);
    expect(() => topology.parseEdges('1-2, 2-x')).toThrow('custom edges: link 2 "2-x" is not a pair of node ids "a-b"');
    expect(() => topology.parseEdges('2-2')).toThrow('joins node 2 to itself');
    expect(() => topology.parseEdges('1-2, 2-1')).toThrow('link 2 "2-1" is given twice');
    expect(() => topology.parseEdges('1-2, 4-5')).toThrow('node ids run 1..5, and 3 has no link');
    expect(() => topology.parseEdges('1-65')).toThrow('node ids go up to 64 in the playground, got 65');
    // A graph in pieces used to start, and every ping or send across it failed with a NO_ROUTE
    // that talked about config files and [[routes]].
    expect(() => topology.parseEdges('1-2, 3-4')).toThrow('custom edges: the graph is in 2 pieces (1, 2 | 3, 4) and no node of one reaches the other; add a link between them, e.g. "2-3"');
    expect(() => topology.parseEdges('1-2, 3-4, 5-6')).toThrow('the graph is in 3 pieces (1, 2 | 3, 4 | 5, 6)');
  });

  it('builds shortest-path trees, and says which members a drawn tree misses', () => {
    const ring = [[1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 1]];
    expect(tree.treeOver(ring, 1, [3, 4, 5])).toEqual({ edges: [[2, 3], [1, 2], [3, 4], [6, 5], [1, 6]], unreachable: [] });
    expect(tree.treeOver([[1, 2]], 1, [2, 4])).toEqual({ edges: [[1, 2]], unreachable: [4] });
    expect(tree.parseIds('3, 5 7-9', 10, 'members')).toEqual([3, 5, 7, 8, 9]);
    expect(tree.parseIds('all', 3, 'members')).toEqual([1, 2, 3]);
    expect(() => tree.parseIds('0', 6, 'members')).toThrow('members: "0" is outside the nodes 1..6');
    expect(() => tree.parseIds('a', 6, 'source')).toThrow('source: "a" is not a node id or a range a-b (nodes are 1..6)');
  });

  it('takes the multicast size in MiB down to one byte, and refuses sizes that round to no bytes', () => {
    expect(size.parseMiB(' 4 ')).toBe(4 * 1024 * 1024);
    expect(size.parseMiB('0.5')).toBe(512 * 1024);
    expect(size.parseMiB('0.000001')).toBe(1);
    expect(size.parseMiB('64')).toBe(64 * 1024 * 1024);
    // 1e-7 MiB is 0.1 byte: it used to create a group and fail inside sendData, rows stuck on "receiving".
    for (const bad of ['0.0000001', '0', '-1', '', 'abc', '64.5', 'Infinity']) {
      expect(() => size.parseMiB(bad)).toThrow(`MiB must be a number from 0.000001 (one byte) to 64, e.g. 4 or 0.5; got ${JSON.stringify(bad)}`);
    }
  });
});
